/**
 * The machinery behind every typed settings codec: variables ⇄ property slots ⇄ typed settings.
 *
 * A *slot* is a WMI property of the step class, with array elements flattened by index
 * (`DiskIndex`, `Partitions0Type`; task-sequence-format §5). Reading finds each `<variable>`'s slot
 * (by variable name, case-insensitively, else by its `property` attribute — MDT Lite Touch writes
 * un-prefixed names such as `Message`), then the type's `read` turns slot values into typed
 * settings, collecting issues instead of throwing. Writing runs the type's `write`, which produces
 * canonical slot values, and lays them out as ConfigMgr does (property order of the type).
 *
 * Files are rarely canonical (MDT order, `True`/`PERCENT`/`%` spellings, variables without a
 * `property`, MDT-only extras), so `read` also records a `layout`: the variables in source order
 * with their raw spellings and the unknown ones verbatim. `write` follows that layout while a
 * setting still means what it read as, so an unchanged setting is written back byte for byte and
 * an edited one gets the canonical spelling. Drop `layout` to get ConfigMgr's canonical form.
 */
import { z } from 'zod';
import type { NodeXmlHints, StepVariable } from '../model/task-sequence.js';
import { MAX_ARRAY_ELEMENTS } from '../limits.js';
import type { ArrayPropertySpec, PropertySpec, SettingsCodec } from './step-type.js';

export interface LayoutEntry {
  /** The property slot this variable fills (`Partitions0Type`); absent for a variable the type does not know. */
  slot?: string;
  name: string;
  property?: string;
  hidden?: boolean;
  /** The value as written, when it differs from the canonical value it read as (always set for unknown variables). */
  raw?: string;
  /** The canonical value `raw` read as; null when it read as nothing (empty or unparsable). */
  readAs?: string | null;
  extraAttributes?: Record<string, string>;
  xml?: NodeXmlHints;
}

/** How a step's variables were written (order, spellings, unknown variables); see the file comment. */
export interface VariableLayout {
  entries: LayoutEntry[];
}

const layoutEntrySchema = z.object({
  slot: z.string().optional(),
  name: z.string(),
  property: z.string().optional(),
  hidden: z.boolean().optional(),
  raw: z.string().optional(),
  readAs: z.string().nullable().optional(),
  extraAttributes: z.record(z.string(), z.string()).optional(),
  xml: z.custom<NodeXmlHints>((v) => typeof v === 'object' && v !== null).optional(),
});

export const variableLayoutSchema: z.ZodType<VariableLayout> = z.object({ entries: z.array(layoutEntrySchema) });

/** A settings object schema with the optional `layout` every codec carries. */
export function withLayout<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.object({ ...shape, layout: variableLayoutSchema.optional() });
}

/** Shorthand for a property spec. */
export function property(name: string, variable: string, more: Omit<PropertySpec, 'property' | 'variable'> = {}): PropertySpec {
  return { property: name, variable, ...more };
}

/** ConfigMgr writes booleans in `<action>` the .NET way (task-sequence-format §7: `/runfromnet:False`). */
export function actionBool(value: boolean | undefined): string {
  return value === undefined ? '' : value ? 'True' : 'False';
}

// ---------------------------------------------------------------------------------------------

interface SlotSpec {
  slot: string;
  variable: string;
  property: string;
  hidden?: boolean;
}

interface ArrayPattern {
  array: ArrayPropertySpec;
  element: PropertySpec;
  variable: RegExp;
  property: RegExp;
}

/** Resolves variables to slots and slots to their spec, for one step type. */
export class PropertyIndex {
  private readonly byVariable = new Map<string, PropertySpec>();
  private readonly byProperty = new Map<string, PropertySpec>();
  private readonly patterns: ArrayPattern[] = [];

  constructor(
    readonly properties: PropertySpec[],
    readonly arrays: ArrayPropertySpec[] = [],
  ) {
    for (const p of properties) {
      this.byVariable.set(p.variable.toLowerCase(), p);
      this.byProperty.set(p.property.toLowerCase(), p);
    }
    for (const array of arrays) {
      for (const element of array.elements) {
        this.patterns.push({
          array,
          element,
          variable: indexPattern(element.variable),
          property: indexPattern(element.property),
        });
      }
    }
  }

  /** The slot a variable fills: by name first (the run-time identity), then by `property`. */
  resolve(v: StepVariable): string | undefined {
    const byName = this.slotFor(v.name, 'variable');
    if (byName) return byName;
    return v.property === undefined ? undefined : this.slotFor(v.property, 'property');
  }

  private slotFor(text: string, kind: 'variable' | 'property'): string | undefined {
    const fixed = (kind === 'variable' ? this.byVariable : this.byProperty).get(text.toLowerCase());
    if (fixed) return fixed.property;
    for (const p of this.patterns) {
      const m = (kind === 'variable' ? p.variable : p.property).exec(text);
      if (m) return p.element.property.replace('{i}', String(Number(m[1])));
    }
    return undefined;
  }

  spec(slot: string): SlotSpec | undefined {
    const fixed = this.byProperty.get(slot.toLowerCase());
    if (fixed) return { slot, variable: fixed.variable, property: fixed.property, hidden: fixed.hidden };
    for (const p of this.patterns) {
      const m = p.property.exec(slot);
      if (m) {
        const i = String(Number(m[1]));
        return {
          slot,
          variable: p.element.variable.replace('{i}', i),
          property: p.element.property.replace('{i}', i),
          hidden: p.element.hidden,
        };
      }
    }
    return undefined;
  }

  /** Name of the variable a slot is published as (for issue messages and action templates). */
  variableName(slot: string): string {
    return this.spec(slot)?.variable ?? slot;
  }

  /**
   * Canonical write order: the type's property order, with each array's elements (index by
   * index, element order within) right after the property named like the array (`Partitions`,
   * `Adapters`, `PackageInfo`), else after its count property. ConfigMgr 3.10 sorts by property
   * name [C: cm-export-all-step-types-catalog.xml], which this order reproduces for < 10 elements.
   */
  order(slots: Iterable<string>): string[] {
    const present = new Set(slots);
    const out: string[] = [];
    const placed = new Set<ArrayPropertySpec>();
    const emitArray = (array: ArrayPropertySpec): void => {
      placed.add(array);
      for (const i of this.indexesOf(array, present)) {
        for (const e of array.elements) {
          const slot = e.property.replace('{i}', String(i));
          if (present.has(slot)) out.push(slot);
        }
      }
    };
    for (const p of this.properties) {
      if (present.has(p.property)) out.push(p.property);
      for (const array of this.arrays) {
        if (!placed.has(array) && arrayAnchor(array, this.properties) === p.property) emitArray(array);
      }
    }
    for (const array of this.arrays) if (!placed.has(array)) emitArray(array);
    // A set, not out.includes per slot: an array can have thousands of element slots.
    const written = new Set(out);
    for (const s of present) if (!written.has(s)) out.push(s);
    return out;
  }

  /** Indexes that have at least one element slot present, ascending. */
  indexesOf(array: ArrayPropertySpec, present: Iterable<string>): number[] {
    const found = new Set<number>();
    const patterns = this.patterns.filter((p) => p.array === array);
    for (const slot of present) {
      for (const p of patterns) {
        const m = p.property.exec(slot);
        if (m) found.add(Number(m[1]));
      }
    }
    return [...found].sort((a, b) => a - b);
  }
}

function indexPattern(template: string): RegExp {
  const [before, after] = template.split('{i}');
  return new RegExp(`^${escapeRegExp(before)}(\\d{1,4})${escapeRegExp(after ?? '')}$`, 'i');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function arrayAnchor(array: ArrayPropertySpec, properties: PropertySpec[]): string {
  const prefix = array.elements[0]?.property.split('{i}')[0] ?? '';
  return properties.some((p) => p.property === prefix) ? prefix : array.countProperty;
}

// ---------------------------------------------------------------------------------------------

interface SlotValue {
  value: string;
  /** The variable name as written (for messages). */
  name: string;
}

/** Lenient typed access to slot values; every problem becomes an issue, never an exception. */
export class SlotReader {
  constructor(
    private readonly values: Map<string, SlotValue>,
    readonly issues: string[],
    readonly index: PropertyIndex,
  ) {}

  has(slot: string): boolean {
    return this.values.has(slot);
  }

  /** The value as written; undefined when the variable is absent. */
  raw(slot: string): string | undefined {
    return this.values.get(slot)?.value;
  }

  /** A string setting: absent ⇒ undefined; whitespace-only ⇒ '' (task-sequence-format §5). */
  string(slot: string): string | undefined {
    const v = this.raw(slot);
    if (v === undefined) return undefined;
    return v.trim() === '' ? '' : v;
  }

  /** Booleans appear as true/True/TRUE (§5): case-insensitive; empty ⇒ undefined. */
  bool(slot: string): boolean | undefined {
    const v = this.raw(slot);
    if (v === undefined) return undefined;
    const t = v.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
    if (t !== '') this.issue(slot, v, 'is not a boolean (true or false)');
    return undefined;
  }

  /** An integer; out-of-range values are kept (and reported) so nothing silently changes. */
  int(slot: string, range?: { min?: number; max?: number }): number | undefined {
    const v = this.raw(slot);
    if (v === undefined || v.trim() === '') return undefined;
    if (!/^\s*-?\d{1,15}\s*$/.test(v)) {
      this.issue(slot, v, 'is not a whole number');
      return undefined;
    }
    const n = Number(v);
    if ((range?.min !== undefined && n < range.min) || (range?.max !== undefined && n > range.max)) {
      this.issue(slot, v, `is outside ${range?.min ?? '…'}–${range?.max ?? '…'}`);
    }
    return n;
  }

  /**
   * One of a fixed set of values, matched case-insensitively and through `aliases` (e.g. `%` for
   * Percent); returns the canonical spelling. Empty ⇒ undefined unless '' is one of the values.
   */
  choice<T extends string>(slot: string, values: readonly T[], aliases: Record<string, T> = {}): T | undefined {
    const v = this.raw(slot);
    if (v === undefined) return undefined;
    const t = v.trim().toLowerCase();
    for (const c of values) if (c.toLowerCase() === t) return c;
    for (const [a, c] of Object.entries(aliases)) if (a.toLowerCase() === t) return c;
    if (t !== '') this.issue(slot, v, `is not one of ${values.filter((x) => x !== '').join(', ')}`);
    return undefined;
  }

  /** A delimited list (comma by default); '' ⇒ [], absent ⇒ undefined. Entries are trimmed, empties dropped. */
  list(slot: string, separator: string | RegExp = ','): string[] | undefined {
    const v = this.raw(slot);
    if (v === undefined) return undefined;
    return v
      .split(separator)
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  /** Space-separated exit codes (`SuccessCodes`, §4); bad tokens are reported and skipped. */
  codes(slot: string): number[] | undefined {
    const v = this.raw(slot);
    if (v === undefined) return undefined;
    const out: number[] = [];
    for (const tok of v.trim().split(/\s+/)) {
      if (tok === '') continue;
      if (/^-?\d{1,15}$/.test(tok)) out.push(Number(tok));
      else this.issue(slot, v, `has "${tok}", which is not an exit code`);
    }
    return out;
  }

  /**
   * Number of elements of an array: the larger of the declared count and the highest index that
   * has variables (+1). A disagreement is reported (§5: the count must match the elements).
   */
  arrayLength(array: ArrayPropertySpec): number {
    const declared = this.declaredCount(array.countProperty);
    const indexes = this.index.indexesOf(array, this.values.keys());
    const present = indexes.length ? indexes[indexes.length - 1] + 1 : 0;
    if (declared !== undefined && present > declared) {
      this.issue(array.countProperty, String(declared), `but variables for ${present} elements are present; reading ${present}`);
    }
    return Math.max(declared ?? 0, present);
  }

  /**
   * A declared element count, at most MAX_ARRAY_ELEMENTS (element variables are numbered with at
   * most 4 digits, so no more can be present): a count of a billion would otherwise make the
   * reader build a billion empty elements. A larger one is reported and not used.
   */
  declaredCount(slot: string): number | undefined {
    const n = this.int(slot, { min: 0 });
    if (n !== undefined && n > MAX_ARRAY_ELEMENTS) {
      this.issue(slot, String(n), `is more than ${MAX_ARRAY_ELEMENTS.toLocaleString('en-US')} elements; not used`);
      return undefined;
    }
    return n;
  }

  issue(slot: string, value: string, message: string): void {
    const name = this.values.get(slot)?.name ?? this.index.variableName(slot);
    this.issues.push(`${name}="${value}" ${message}`);
  }
}

/** Collects canonical slot values; undefined means "not written" (ConfigMgr omits null properties). */
export class SlotWriter {
  readonly values = new Map<string, string>();

  string(slot: string, value: string | undefined): void {
    if (value !== undefined) this.values.set(slot, value);
  }

  bool(slot: string, value: boolean | undefined): void {
    if (value !== undefined) this.values.set(slot, value ? 'true' : 'false');
  }

  int(slot: string, value: number | undefined): void {
    if (value !== undefined) this.values.set(slot, String(value));
  }

  list(slot: string, value: string[] | undefined, separator = ','): void {
    if (value !== undefined) this.values.set(slot, value.join(separator));
  }

  codes(slot: string, value: number[] | undefined): void {
    if (value !== undefined) this.values.set(slot, value.join(' '));
  }
}

// ---------------------------------------------------------------------------------------------

export interface SettingsCodecDefinition<S extends { layout?: VariableLayout }> {
  properties: PropertySpec[];
  arrays?: ArrayPropertySpec[];
  schema: z.ZodType<S>;
  /** Slots → typed settings (without layout). */
  read(r: SlotReader): Omit<S, 'layout'>;
  /** Typed settings → canonical slot values. */
  write(settings: Omit<S, 'layout'>, w: SlotWriter): void;
}

export interface LayoutCodec<S> extends SettingsCodec<S> {
  readonly index: PropertyIndex;
}

export function settingsCodec<S extends { layout?: VariableLayout }>(def: SettingsCodecDefinition<S>): LayoutCodec<S> {
  const index = new PropertyIndex(def.properties, def.arrays);

  const canonical = (typed: Omit<S, 'layout'>): Map<string, string> => {
    const w = new SlotWriter();
    def.write(typed, w);
    return w.values;
  };

  const canonicalVariables = (values: Map<string, string>): StepVariable[] =>
    index.order(values.keys()).map((slot) => specVariable(index, slot, values.get(slot) ?? ''));

  return {
    index,
    schema: def.schema,

    read(variables) {
      const issues: string[] = [];
      const slots = new Map<string, SlotValue>();
      const entries: LayoutEntry[] = [];
      for (const v of variables) {
        const slot = index.resolve(v);
        const entry: LayoutEntry = { name: v.name };
        if (v.property !== undefined) entry.property = v.property;
        if (v.hidden !== undefined) entry.hidden = v.hidden;
        if (v.extraAttributes) entry.extraAttributes = v.extraAttributes;
        if (v.xml) entry.xml = v.xml;
        if (slot !== undefined && !slots.has(slot)) {
          slots.set(slot, { value: v.value, name: v.name });
          entry.slot = slot;
        } else {
          if (slot !== undefined) {
            issues.push(`${v.name}="${v.value}" repeats ${slots.get(slot)?.name}; the first one is used, this one kept as written`);
          }
          entry.raw = v.value;
        }
        entries.push(entry);
      }
      const typed = def.read(new SlotReader(slots, issues, index));
      const values = canonical(typed);
      for (const e of entries) {
        if (e.slot === undefined) continue;
        const raw = slots.get(e.slot)?.value ?? '';
        const c = values.get(e.slot);
        if (c !== raw) {
          e.raw = raw;
          e.readAs = c ?? null;
        }
      }
      const settings = { ...typed } as S;
      // Only keep a layout when the canonical form would not reproduce the variables exactly.
      if (!sameVariables(canonicalVariables(values), variables)) settings.layout = { entries };
      return { settings, issues };
    },

    write(settings) {
      const { layout, ...typed } = settings;
      const values = canonical(typed as Omit<S, 'layout'>);
      if (!layout) return canonicalVariables(values);
      const out: Array<{ slot?: string; variable: StepVariable }> = [];
      const inLayout = new Set<string>();
      for (const e of layout.entries) {
        if (e.slot === undefined) {
          out.push({ variable: entryVariable(e, e.raw ?? '') });
          continue;
        }
        inLayout.add(e.slot);
        const current = values.get(e.slot);
        const value = e.raw !== undefined && (current ?? null) === (e.readAs ?? null) ? e.raw : current;
        if (value !== undefined) out.push({ slot: e.slot, variable: entryVariable(e, value) });
      }
      // Settings the layout does not have go where ConfigMgr would put them: after the nearest
      // preceding slot in canonical order that is already written.
      const order = index.order(values.keys());
      for (let k = 0; k < order.length; k++) {
        const slot = order[k];
        if (inLayout.has(slot)) continue;
        let at = -1;
        for (let j = k - 1; j >= 0 && at === -1; j--) at = out.findIndex((o) => o.slot === order[j]);
        const item = { slot, variable: specVariable(index, slot, values.get(slot) ?? '') };
        if (at === -1) out.splice(firstFollowing(out, order, k), 0, item);
        else out.splice(at + 1, 0, item);
        inLayout.add(slot);
      }
      return out.map((o) => o.variable);
    },
  };
}

function firstFollowing(out: Array<{ slot?: string }>, order: string[], k: number): number {
  for (let j = k + 1; j < order.length; j++) {
    const at = out.findIndex((o) => o.slot === order[j]);
    if (at !== -1) return at;
  }
  return out.length;
}

function specVariable(index: PropertyIndex, slot: string, value: string): StepVariable {
  const spec = index.spec(slot);
  const v: StepVariable = { name: spec?.variable ?? slot, property: spec?.property ?? slot, value };
  if (spec?.hidden) v.hidden = true;
  return v;
}

function entryVariable(e: LayoutEntry, value: string): StepVariable {
  const v: StepVariable = { name: e.name, value };
  if (e.property !== undefined) v.property = e.property;
  if (e.hidden !== undefined) v.hidden = e.hidden;
  if (e.extraAttributes) v.extraAttributes = e.extraAttributes;
  if (e.xml) v.xml = e.xml;
  return v;
}

function sameVariables(a: StepVariable[], b: StepVariable[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.name !== y.name || x.property !== y.property || (x.hidden ?? false) !== (y.hidden ?? false)) return false;
    if (x.value !== y.value || y.hidden === false || y.extraAttributes || y.xml) return false;
  }
  return true;
}
