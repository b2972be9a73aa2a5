// What the Install Application and Install Software Updates handler tests share: a computer in
// folders whose C: holds the test OS (its SOFTWARE and SYSTEM hives as .reg text), and package
// content folders in the tests' temporary folders (applications are small shell scripts).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DirectoryComputer } from '../../../src/actions/directory-computer.js';
import { writeWindowsTree } from '../../../src/lab/test-content/windows-tree.js';
import { directoryComputer, profile } from './helpers.js';

export function tempDirs(prefix: string): { tmp: () => string; cleanup: () => void } {
  const dirs: string[] = [];
  return {
    tmp: () => {
      const d = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    cleanup: () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })),
  };
}

/** C: holds the test OS of `osArch` on a computer of `machine`. */
export async function installedComputer(
  tmp: () => string,
  osArch: 'x64' | 'x86' = 'x64',
  machine = 'uefi-x64-laptop-bare-metal.json',
): Promise<{ computer: DirectoryComputer; cleanup: () => void }> {
  const c = directoryComputer(profile(machine));
  const [v] = await c.computer.writeLayout(0, { style: 'gpt', partitions: [{ kind: 'primary', name: 'Windows' }] });
  await c.computer.format(v!, 'NTFS', 'Windows');
  const tree = tmp();
  await writeWindowsTree(tree, { index: 1, name: 'Windows 11 Enterprise', editionId: 'Enterprise' }, osArch, 0);
  await (await c.computer.files(v!)).copyIn(tree, '');
  c.computer.setDrives([{ letter: 'C:', disk: 0, partition: 1 }]);
  return c;
}

/** A package folder holding these files. */
export function packageFolder(tmp: () => string, files: Record<string, string>): string {
  const d = tmp();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(d, ...name.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(d, ...name.split('/')), text);
  }
  return d;
}
