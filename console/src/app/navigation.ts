/**
 * The console's navigation, after ConfigMgr's workspaces and nodes (osd-features §1–§4). A node's
 * page is the module `src/pages/<path>/page.tsx` (its default export), found by its folder: a node
 * whose module does not exist yet shows "Not available yet". Paths below a node's path (an object,
 * a wizard) go to the same page, which reads the rest of the path itself.
 */

export interface NavNode {
  label: string;
  /** The node's path; a folder has none. */
  path?: string;
  children?: NavNode[];
}

export interface Workspace {
  label: string;
  /** The path prefix of its nodes. */
  path: string;
  nodes: NavNode[];
}

export const WORKSPACES: Workspace[] = [
  {
    label: 'Software Library',
    path: '/software-library',
    nodes: [
      {
        label: 'Operating Systems',
        children: [
          { label: 'Task Sequences', path: '/software-library/task-sequences' },
          { label: 'Boot Images', path: '/software-library/boot-images' },
          { label: 'Operating System Images', path: '/software-library/operating-system-images' },
          { label: 'Drivers', path: '/software-library/drivers' },
          { label: 'Driver Packages', path: '/software-library/driver-packages' },
        ],
      },
      {
        label: 'Application Management',
        children: [
          { label: 'Applications', path: '/software-library/applications' },
          { label: 'Packages', path: '/software-library/packages' },
        ],
      },
      { label: 'Software Updates', path: '/software-library/software-updates' },
    ],
  },
  {
    label: 'Assets and Compliance',
    path: '/assets',
    nodes: [
      { label: 'Devices', path: '/assets/devices' },
      { label: 'Device Collections', path: '/assets/device-collections' },
    ],
  },
  {
    label: 'Monitoring',
    path: '/monitoring',
    nodes: [
      { label: 'Deployments', path: '/monitoring/deployments' },
      { label: 'Distribution Status', path: '/monitoring/distribution-status' },
    ],
  },
];

/** The first page shown after sign-in. */
export const HOME = '/software-library/task-sequences';

export function leaves(nodes: NavNode[] = WORKSPACES.flatMap((w) => w.nodes)): NavNode[] {
  return nodes.flatMap((n) => (n.children ? leaves(n.children) : n.path ? [n] : []));
}

/** The node a path belongs to (the longest node path it starts with), with its workspace. */
export function nodeOf(path: string): { workspace: Workspace; node: NavNode } | undefined {
  let best: { workspace: Workspace; node: NavNode } | undefined;
  for (const workspace of WORKSPACES) {
    for (const node of leaves(workspace.nodes)) {
      const p = node.path!;
      if ((path === p || path.startsWith(`${p}/`)) && (!best || p.length > best.node.path!.length)) best = { workspace, node };
    }
  }
  return best;
}
