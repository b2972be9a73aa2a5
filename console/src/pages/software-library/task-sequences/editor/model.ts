/**
 * The editor's in-memory task sequence: the site's JSON document (openosd.task-sequence,
 * docs/task-sequence-json.md) with each group and step wrapped in a node that has a stable id, so
 * the tree keeps its selection and open groups while items move. Every key of an item the editor
 * does not touch (extraAttributes, xml layout hints, raw XML items, the sequence's own keys) is
 * carried through unchanged, so a save keeps what the file had (lossless).
 *
 * Updates are immutable: a change copies the nodes from the root to the changed one, so the tree's
 * rows of untouched subtrees are not drawn again.
 */

export type Json = Record<string, unknown>;

/** A condition operand as the JSON document holds it. */
export type ConditionNode =
  | { kind: 'operator'; operator: string; operands: ConditionNode[]; [k: string]: unknown }
  | { kind: 'expression'; type: string; properties: ExpressionProperty[]; [k: string]: unknown }
  | { kind: 'raw'; xml: string };

export interface ExpressionProperty {
  name: string;
  value: string;
  [k: string]: unknown;
}

export interface Condition {
  operands: ConditionNode[];
  [k: string]: unknown;
}

export interface StepVariable {
  name: string;
  property?: string;
  hidden?: boolean;
  value: string;
  [k: string]: unknown;
}

/** An item's own keys (everything but `items` for a group). */
export interface ItemData {
  kind: 'group' | 'step' | 'raw';
  name?: string;
  description?: string;
  type?: string;
  disable?: boolean;
  continueOnError?: boolean;
  successCodeList?: string;
  condition?: Condition;
  action?: string;
  variables?: StepVariable[];
  xml?: unknown;
  [k: string]: unknown;
}

export interface Node {
  uid: string;
  data: ItemData;
  /** A group's children (undefined for steps and raw items). */
  children?: Node[];
}

export interface EditorDocument {
  /** The document's keys other than sequence.items (format, formatVersion, the sequence's own keys). */
  head: Json;
  sequenceHead: Json;
  items: Node[];
}

let counter = 0;
export function newUid(): string {
  counter += 1;
  return `n${counter}`;
}

function toNode(item: ItemData): Node {
  if (item.kind === 'group') {
    const { items, ...data } = item as ItemData & { items?: ItemData[] };
    return { uid: newUid(), data: data as ItemData, children: (items ?? []).map(toNode) };
  }
  return { uid: newUid(), data: item };
}

export function fromDocument(doc: Json): EditorDocument {
  const { sequence, ...head } = doc as { sequence?: Json };
  const { items, ...sequenceHead } = (sequence ?? {}) as { items?: ItemData[] };
  return { head, sequenceHead, items: (items ?? []).map(toNode) };
}

function toItem(node: Node): Json {
  if (node.children) return { ...node.data, items: node.children.map(toItem) };
  return node.data;
}

export function toDocument(doc: EditorDocument): Json {
  return { ...doc.head, sequence: { ...doc.sequenceHead, items: doc.items.map(toItem) } };
}

/** A deep copy of a node with new ids (copy/paste). */
export function cloneNode(node: Node): Node {
  return { uid: newUid(), data: structuredClone(node.data), ...(node.children ? { children: node.children.map(cloneNode) } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Addresses: a node's place as the indexes from the top.

export interface Place {
  /** uid of the parent group, null at the top. */
  parent: string | null;
  index: number;
}

export interface Located {
  node: Node;
  parent: Node | null;
  siblings: Node[];
  index: number;
  depth: number;
}

/** Index of every node by uid (rebuilt per document; O(n)). */
export function indexNodes(items: Node[]): Map<string, Located> {
  const out = new Map<string, Located>();
  const walk = (list: Node[], parent: Node | null, depth: number) => {
    list.forEach((node, index) => {
      out.set(node.uid, { node, parent, siblings: list, index, depth });
      if (node.children) walk(node.children, node, depth + 1);
    });
  };
  walk(items, null, 0);
  return out;
}

/** A copy of the list with the children of `parentUid` replaced by `change(children)`. */
function withChildren(items: Node[], parentUid: string | null, change: (children: Node[]) => Node[]): Node[] {
  if (parentUid === null) return change(items);
  let hit = false;
  const walk = (list: Node[]): Node[] => {
    let changed = false;
    const out = list.map((n) => {
      if (hit || !n.children) return n;
      if (n.uid === parentUid) {
        hit = true;
        changed = true;
        return { ...n, children: change(n.children) };
      }
      const c = walk(n.children);
      if (c !== n.children) {
        changed = true;
        return { ...n, children: c };
      }
      return n;
    });
    return changed ? out : list;
  };
  return walk(items);
}

export function updateNode(items: Node[], uid: string, change: (data: ItemData) => ItemData): Node[] {
  const where = indexNodes(items).get(uid);
  if (!where) return items;
  return withChildren(items, where.parent?.uid ?? null, (list) => list.map((n) => (n.uid === uid ? { ...n, data: change(n.data) } : n)));
}

export function removeNode(items: Node[], uid: string): Node[] {
  const where = indexNodes(items).get(uid);
  if (!where) return items;
  return withChildren(items, where.parent?.uid ?? null, (list) => list.filter((n) => n.uid !== uid));
}

export function insertNode(items: Node[], node: Node, place: Place): Node[] {
  return withChildren(items, place.parent, (list) => [...list.slice(0, place.index), node, ...list.slice(place.index)]);
}

/** True when `uid` is `ancestor` or inside it (a group cannot move into itself). */
export function isWithin(index: Map<string, Located>, uid: string | null, ancestor: string): boolean {
  let cur = uid;
  while (cur) {
    if (cur === ancestor) return true;
    cur = index.get(cur)?.parent?.uid ?? null;
  }
  return false;
}

/** Moves a node to a place given in the tree as it is before the move; null when it cannot go there. */
export function moveNode(items: Node[], uid: string, place: Place): Node[] | null {
  const index = indexNodes(items);
  const where = index.get(uid);
  if (!where) return null;
  if (place.parent !== null && isWithin(index, place.parent, uid)) return null;
  let target = place.index;
  const sameParent = (where.parent?.uid ?? null) === place.parent;
  if (sameParent && where.index < target) target -= 1;
  if (sameParent && where.index === target) return null;
  const without = removeNode(items, uid);
  return insertNode(without, where.node, { parent: place.parent, index: target });
}

export type Direction = 'up' | 'down' | 'in' | 'out';

/**
 * The keyboard's moves (Alt+arrows, Move Up / Move Down): up/down past the neighbour, leaving the
 * group at its first/last place; in: into the group just above (its last child); out: after the
 * enclosing group.
 */
export function placeFor(items: Node[], uid: string, direction: Direction): Place | null {
  const index = indexNodes(items);
  const where = index.get(uid);
  if (!where) return null;
  const parent = where.parent?.uid ?? null;
  const parentPlace = where.parent ? index.get(where.parent.uid)! : null;
  switch (direction) {
    case 'up':
      if (where.index > 0) return { parent, index: where.index - 1 };
      return parentPlace ? { parent: parentPlace.parent?.uid ?? null, index: parentPlace.index } : null;
    case 'down':
      if (where.index < where.siblings.length - 1) return { parent, index: where.index + 2 };
      return parentPlace ? { parent: parentPlace.parent?.uid ?? null, index: parentPlace.index + 1 } : null;
    case 'in': {
      const above = where.siblings[where.index - 1];
      if (!above?.children) return null;
      return { parent: above.uid, index: above.children.length };
    }
    case 'out':
      return parentPlace ? { parent: parentPlace.parent?.uid ?? null, index: parentPlace.index + 1 } : null;
  }
}

// ---------------------------------------------------------------------------------------------
// How the site names items: lint paths and the simulator's positions.

/**
 * Path text of every group and step as the site writes it (names from the top joined by " / ",
 * `[n]` on the n-th sibling of the same name) and the pre-order position of groups and steps (raw
 * items not counted), as the simulator's `index`.
 */
export function siteAddresses(items: Node[]): { byPath: Map<string, string>; byIndex: string[] } {
  const byPath = new Map<string, string>();
  const byIndex: string[] = [];
  const walk = (list: Node[], prefix: string) => {
    const seen = new Map<string, number>();
    for (const n of list) {
      if (n.data.kind === 'raw') continue;
      const name = n.data.name ?? '';
      const k = (seen.get(name) ?? 0) + 1;
      seen.set(name, k);
      const path = `${prefix}${k > 1 ? `${name}[${k}]` : name}`;
      byPath.set(path, n.uid);
      byIndex.push(n.uid);
      if (n.children) walk(n.children, `${path} / `);
    }
  };
  walk(items, '');
  return { byPath, byIndex };
}

export function countNodes(items: Node[]): { groups: number; steps: number } {
  let groups = 0;
  let steps = 0;
  const walk = (list: Node[]) => {
    for (const n of list) {
      if (n.data.kind === 'group') groups++;
      else if (n.data.kind === 'step') steps++;
      if (n.children) walk(n.children);
    }
  };
  walk(items);
  return { groups, steps };
}

/** A variable of a step by name, case-insensitively. */
export function variableOf(data: ItemData, name: string): StepVariable | undefined {
  const lower = name.toLowerCase();
  return data.variables?.find((v) => v.name.toLowerCase() === lower);
}

/** The step with one variable set (added with its property/hidden when missing) or, with `undefined`, removed. */
export function withVariable(data: ItemData, name: string, value: string | undefined, spec?: { property?: string; hidden?: boolean }): ItemData {
  const vars = [...(data.variables ?? [])];
  const lower = name.toLowerCase();
  const i = vars.findIndex((v) => v.name.toLowerCase() === lower);
  if (value === undefined) {
    if (i >= 0) vars.splice(i, 1);
  } else if (i >= 0) {
    vars[i] = { ...vars[i]!, value };
  } else {
    vars.push({ name, ...(spec?.property ? { property: spec.property } : {}), ...(spec?.hidden ? { hidden: true } : {}), value });
  }
  return { ...data, variables: vars };
}

/**
 * What differs between two versions of the tree, by the site's paths: items only in one of them,
 * and items whose own settings differ (a stale base's "what did I change compared to the latest").
 */
export function differences(mine: Node[], theirs: Node[], theirName: string): string[] {
  const flat = (items: Node[]) => {
    const out = new Map<string, string>();
    const { byPath } = siteAddresses(items);
    const byUid = indexNodes(items);
    for (const [path, uid] of byPath) out.set(path, JSON.stringify(byUid.get(uid)!.node.data));
    return out;
  };
  const a = flat(mine);
  const b = flat(theirs);
  const out: string[] = [];
  for (const [path, data] of a) {
    if (!b.has(path)) out.push(`Only in your edits: ${path}`);
    else if (b.get(path) !== data) out.push(`Changed in your edits: ${path}`);
  }
  for (const path of b.keys()) if (!a.has(path)) out.push(`Only in ${theirName}: ${path}`);
  return out;
}
