/**
 * Input limits of the task sequence codecs, in one place (docs/site.md § Security lists them).
 *
 * Every parser and scan of a task sequence is linear in its input; these bounds exist where
 * linear is not enough: nesting (recursive code must not overflow the stack, so what is accepted
 * can always be read, exported, linted and compared again), per-element repetition, and the
 * amplification of an item's path, which reports and secret addresses repeat for every item below
 * it. Each is checked before the work it protects, and refused with an InputError naming the
 * input, the rule and the limit.
 *
 * Real task sequences stay far below every limit: the corpus (ConfigMgr and MDT templates and
 * exports) nests groups at most 5 deep, conditions at most 2 operators deep, and its longest item
 * path is 143 characters.
 */
import { InputError } from './input-error.js';
import type { Condition, ConditionNode, SequenceItem, TaskSequence } from './model/task-sequence.js';

/** Groups within groups: a top-level group is at depth 1; a group at depth 64 may hold steps, not groups. */
export const MAX_GROUP_DEPTH = 64;

/** Operators (and / or / not) within operators inside one `<condition>`; an operator directly in it is at depth 1. */
export const MAX_CONDITION_DEPTH = 32;

/**
 * Elements within elements in any XML the reader reads (a task sequence, its wrapper, a console
 * export's object.xml or Manifest.xml, Set Dynamic Variables rules). Above what the two limits
 * above allow a task sequence (wrapper 3 + groups 64 + step 1 + condition 1 + operators 32 +
 * expression and its variable 2 = 103), so it only stops documents that are deep for no reason,
 * before anything recursive sees them.
 */
export const MAX_XML_DEPTH = 256;

/** Attributes on one XML element (a ConfigMgr step has 11 at most); also unknown attributes of one item in JSON. */
export const MAX_ATTRIBUTES = 256;

/**
 * An item's path as reports show it (`Group / Sub-group / Step[2]`): at most this many characters.
 * Lint findings, diff changes, `osd ts show` and the site's secret addresses repeat the path for
 * every item, so a long path times many items is what would make a 2 MB task sequence produce
 * gigabytes. 1,024 fits 10 levels of 100-character names (the SDK's longest name).
 */
export const MAX_PATH_LENGTH = 1024;

/**
 * Groups and steps in one task sequence at the site (not in files the CLI reads: it handles
 * 100 MB task sequences). With the path limit it bounds what a report of one revision can be:
 * lint, diff and the JSON document repeat a path or an indentation per item. ConfigMgr's 2 MB
 * holds a few thousand real steps; the corpus's largest has 121 items.
 */
export const MAX_SITE_ITEMS = 10_000;

/**
 * Elements of a step's array property (partitions, network adapters): their variables are
 * numbered with at most 4 digits. A declared count above it is reported and not used (the step's
 * settings read as the elements present), never refused: reading settings never throws.
 */
export const MAX_ARRAY_ELEMENTS = 10_000;

/** Import warnings kept for one document; past it they are counted in one last warning. */
export const MAX_IMPORT_WARNINGS = 1000;

/** Indentation unit kept from a source file's layout; a longer one is not kept (written on one line). */
export const MAX_INDENT_LENGTH = 8;

/**
 * Nesting of a JSON document (objects and arrays) before it is validated: enough for a task
 * sequence at both limits above (two levels per group and per operator, plus the fixed levels
 * around them), far below what recursive validation and JSON.stringify can take.
 */
export const MAX_JSON_DEPTH = 2 * (MAX_GROUP_DEPTH + MAX_CONDITION_DEPTH) + 32;

/** A console-export zip: bytes inflated from one entry (Manifest.xml, or the object.xml read). */
export const MAX_ZIP_ENTRY_BYTES = 32 * 1024 * 1024;

/**
 * A console-export zip: bytes inflated in total from one zip, counted on the actual output (the
 * sizes a zip declares are not trusted). object.xml carries one task sequence of at most 2 MB
 * (§2.10), escaped and possibly UTF-16: 32 MiB is ample for it, 40 MiB for it and the manifest.
 */
export const MAX_ZIP_TOTAL_BYTES = 40 * 1024 * 1024;

/** A wizard answers file (JSON or YAML); real ones are a few KiB. */
export const MAX_ANSWERS_BYTES = 256 * 1024;

/** Formats a byte count as admins read limits: "32 MiB", "30.4 MiB", "256 KiB", "1,000 bytes". */
export function formatBytes(n: number): string {
  const MiB = 1024 * 1024;
  if (n >= MiB) return n % MiB === 0 ? `${n / MiB} MiB` : `${(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n.toLocaleString('en-US')} bytes`;
}

/**
 * Whether a parsed JSON value nests deeper than `max` (objects and arrays), found without
 * recursion: a hostile document can nest a million levels, and JSON.parse accepts that.
 */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    if (Array.isArray(v)) for (const x of v) stack.push([x, depth + 1]);
    else for (const k in v) stack.push([(v as Record<string, unknown>)[k], depth + 1]);
  }
  return false;
}

/** Refuses a parsed JSON value nested deeper than MAX_JSON_DEPTH. */
export function checkJsonDepth(value: unknown, input: string): void {
  if (jsonDepthExceeds(value, MAX_JSON_DEPTH)) {
    throw new InputError({
      input,
      rule: `the JSON nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep (limit ${MAX_JSON_DEPTH}: groups nest at most ${MAX_GROUP_DEPTH} deep, condition operators ${MAX_CONDITION_DEPTH})`,
      hint: 'flatten the task sequence: real ones nest groups fewer than 10 deep',
    });
  }
}

export function groupDepthError(input: string, where: string, location?: { line: number; column: number }): InputError {
  return new InputError({
    input,
    location,
    rule: `groups nest more than ${MAX_GROUP_DEPTH} deep${where ? ` (at ${where})` : ''}: at most ${MAX_GROUP_DEPTH} groups within groups are allowed`,
    hint: 'flatten the task sequence (real ones nest fewer than 10 deep), or move a branch into a child task sequence (Run Task Sequence)',
  });
}

export function conditionDepthError(input: string, where: string, location?: { line: number; column: number }): InputError {
  return new InputError({
    input,
    location,
    rule: `a condition nests operators (and/or/not) more than ${MAX_CONDITION_DEPTH} deep${where ? ` (on ${where})` : ''}: at most ${MAX_CONDITION_DEPTH} are allowed`,
    hint: "simplify the condition: the editor's if-statements rarely nest more than a few deep",
  });
}

export function pathLengthError(input: string, length: number, where: string): InputError {
  return new InputError({
    input,
    rule: `the path of an item is ${length.toLocaleString('en-US')} characters (${where}); at most ${MAX_PATH_LENGTH.toLocaleString('en-US')} are allowed (names of the item and its enclosing groups, joined by " / ")`,
    hint: 'shorten the names of the item and its groups (the console allows 50 characters per name)',
  });
}

export function attributeCountError(input: string, count: number, where: string, location?: { line: number; column: number }): InputError {
  return new InputError({
    input,
    location,
    rule: `${where} has ${count > MAX_ATTRIBUTES ? `more than ${MAX_ATTRIBUTES}` : count} attributes; at most ${MAX_ATTRIBUTES} are allowed on one element`,
    hint: 'a step has about a dozen attributes; remove the extra ones',
  });
}

/** A path shortened for a message (the path itself can be the problem): its start and its end. */
function shortPath(names: string[]): string {
  const text = names.join(' / ');
  return text.length > 120 ? `${text.slice(0, 40)}…${text.slice(-79)}` : text;
}

/** Operator nesting of a condition, counted without recursion. */
export function conditionDepth(condition: Condition | undefined): number {
  if (!condition) return 0;
  let max = 0;
  const stack: Array<[ConditionNode[], number]> = [[condition.operands, 0]];
  while (stack.length) {
    const [nodes, depth] = stack.pop()!;
    for (const n of nodes) {
      if (n.kind !== 'operator') continue;
      if (depth + 1 > max) max = depth + 1;
      // Deeper than the limit needs no more counting: the caller refuses it.
      if (depth + 1 <= MAX_CONDITION_DEPTH) stack.push([n.operands, depth + 1]);
    }
  }
  return max;
}

/**
 * Checks a model against the limits above, without recursion, before anything recursive sees it:
 * every way into the site (XML, wrapper, console export, JSON, the wizard, an API save) ends in a
 * model, and every save validates it here. `input` names the document in the error.
 */
export function itemCountError(input: string, count: number, max: number): InputError {
  return new InputError({
    input,
    rule: `the task sequence has ${count > max ? `more than ${max.toLocaleString('en-US')}` : count.toLocaleString('en-US')} groups and steps; at most ${max.toLocaleString('en-US')} are allowed at the site`,
    hint: 'split it into child task sequences (Run Task Sequence steps)',
  });
}

/** `maxItems`: groups and steps allowed in all (the site passes MAX_SITE_ITEMS). */
export function validateSequenceLimits(ts: TaskSequence, input: string, options: { maxItems?: number } = {}): void {
  const maxItems = options.maxItems ?? Infinity;
  let items = 0;
  if (Object.keys(ts.extraAttributes ?? {}).length > MAX_ATTRIBUTES) {
    throw attributeCountError(input, Object.keys(ts.extraAttributes!).length, 'the sequence');
  }
  // A frame per group: its items, depth, path length and its own frame above (names are only
  // gathered for a message, so a deep tree costs nothing per level).
  type Frame = { items: SequenceItem[]; depth: number; length: number; name: string; up: Frame | undefined };
  const where = (frame: Frame | undefined, name: string): string => {
    const names = [name];
    for (let f = frame; f && f.up; f = f.up) names.unshift(f.name);
    return `"${shortPath(names)}"`;
  };
  const stack: Frame[] = [{ items: ts.items, depth: 0, length: 0, name: '', up: undefined }];
  while (stack.length) {
    const frame = stack.pop()!;
    const seen = new Map<string, number>();
    for (const item of frame.items) {
      if (item.kind === 'raw') continue;
      if (++items > maxItems) throw itemCountError(input, items, maxItems);
      const n = (seen.get(item.name) ?? 0) + 1;
      seen.set(item.name, n);
      const name = n > 1 ? `${item.name}[${n}]` : item.name;
      const pathLength = frame.length + (frame.length ? 3 : 0) + name.length;
      if (pathLength > MAX_PATH_LENGTH) throw pathLengthError(input, pathLength, where(frame, name));
      if (item.extraAttributes) {
        const attributes = Object.keys(item.extraAttributes).length;
        if (attributes > MAX_ATTRIBUTES) throw attributeCountError(input, attributes, `${item.kind} ${where(frame, name)}`);
      }
      if (item.condition && conditionDepth(item.condition) > MAX_CONDITION_DEPTH) throw conditionDepthError(input, `${item.kind} ${where(frame, name)}`);
      if (item.kind === 'group') {
        if (frame.depth + 1 > MAX_GROUP_DEPTH) throw groupDepthError(input, where(frame, name));
        stack.push({ items: item.items, depth: frame.depth + 1, length: pathLength, name, up: frame });
      }
    }
  }
}
