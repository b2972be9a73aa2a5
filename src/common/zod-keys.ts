/**
 * The keys a zod object schema knows at a path of a value: what an unknown key is compared with
 * for a "did you mean" (request bodies of the admin API, the wizard's answers). Wrappers (optional,
 * default, nullable, pipe, lazy …) are looked through; a discriminated union answers with the keys
 * of the option the value's discriminator chooses, or of every option when it chooses none.
 */
import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  in?: z.ZodType;
  getter?: () => z.ZodType;
  valueType?: z.ZodType;
  items?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
}

const def = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly', 'catch', 'success']);

/** The schemas a value at this point is checked against, wrappers looked through. */
function unwrap(schema: z.ZodType, value: unknown, depth = 0): z.ZodType[] {
  if (depth > 32) return [];
  const d = def(schema);
  if (WRAPPERS.has(d.type) && d.innerType) return unwrap(d.innerType, value, depth + 1);
  if (d.type === 'pipe' && d.in) return unwrap(d.in, value, depth + 1);
  if (d.type === 'lazy' && d.getter) return unwrap(d.getter(), value, depth + 1);
  if (d.type === 'intersection' && d.left && d.right) return [...unwrap(d.left, value, depth + 1), ...unwrap(d.right, value, depth + 1)];
  if (d.type === 'union' && d.options) {
    const all = d.options.flatMap((o) => unwrap(o, value, depth + 1));
    if (d.discriminator && isRecord(value)) {
      const chosen = all.filter((o) => {
        const field = def(o).shape?.[d.discriminator!];
        return field !== undefined && field.safeParse(value[d.discriminator!]).success;
      });
      if (chosen.length) return chosen;
    }
    return all;
  }
  return [schema];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The keys known at `path` of `value` under `schema`: the shape keys of every object schema the
 * value there is checked against, or undefined when the path leads to no object schema.
 */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[], value: unknown): string[] | undefined {
  let schemas = unwrap(schema, value);
  let here: unknown = value;
  for (const key of path) {
    const next: z.ZodType[] = [];
    const child = isRecord(here) || Array.isArray(here) ? (here as Record<PropertyKey, unknown>)[key] : undefined;
    for (const s of schemas) {
      const d = def(s);
      if (d.type === 'object' && typeof key === 'string' && d.shape?.[key]) next.push(d.shape[key]);
      else if (d.type === 'array' && typeof key === 'number' && d.element) next.push(d.element);
      else if (d.type === 'tuple' && typeof key === 'number' && d.items?.[key]) next.push(d.items[key]);
      else if (d.type === 'record' && d.valueType) next.push(d.valueType);
    }
    schemas = next.flatMap((s) => unwrap(s, child));
    here = child;
  }
  const keys = new Set<string>();
  let objects = 0;
  for (const s of schemas) {
    const d = def(s);
    if (d.type !== 'object' || !d.shape) continue;
    objects++;
    for (const k of Object.keys(d.shape)) keys.add(k);
  }
  return objects ? [...keys] : undefined;
}
