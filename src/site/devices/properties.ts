/**
 * A device's inventory properties (manufacturer, model, operating system …): a free JSON object that
 * collection query rules read by name, case-insensitively, as SMS_R_System attributes. Keys are WQL
 * identifiers so a query can name them; the common ones are stored in one canonical spelling so a
 * query compiles to a direct jsonb lookup (fast over 100,000 devices) instead of a key search.
 */
import { badInput } from '../errors.js';
import { quoteForMessage, textProblem } from '../text-rules.js';
import { MAX_PROPERTIES } from './limits.js';

/** Canonical spellings of the inventory properties admins query most (SMS_R_System names, camelCase). */
export const INVENTORY_PROPERTIES = [
  'manufacturer',
  'model',
  'operatingSystemNameandVersion',
  'operatingSystem',
  'build',
  'buildExt',
  'osBranch',
  'systemType',
  'architecture',
  'resourceDomainOrWorkgroup',
  'fullDomainName',
  'adSiteName',
  'lastLogonUserName',
  'serialNumber',
  'ipAddresses',
  'virtualMachine',
] as const;

const CANONICAL = new Map<string, string>(INVENTORY_PROPERTIES.map((p) => [p.toLowerCase(), p]));

/** The stored key for a property named (in any case) in a query, if it is one of the common ones. */
export function canonicalPropertyKey(name: string): string | undefined {
  return CANONICAL.get(name.toLowerCase());
}

export type PropertyValue = string | number | boolean | null;

const KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Checks an inventory object and returns it with canonical key spellings. Throws naming the key. */
export function checkProperties(input: unknown, inputPath: string): Record<string, PropertyValue> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw badInput(inputPath, 'properties must be an object of name → value', 'e.g. {"manufacturer": "Dell Inc.", "model": "Latitude 7440"}');
  }
  const out: Record<string, PropertyValue> = {};
  const seen = new Map<string, string>();
  const entries = Object.entries(input as Record<string, unknown>);
  if (entries.length > MAX_PROPERTIES)
    throw badInput(inputPath, `a device has at most ${MAX_PROPERTIES} properties; ${entries.length} were given`, 'keep the inventory a query needs');
  for (const [key, value] of entries) {
    const at = `${inputPath}.${KEY.test(key) ? key : quoteForMessage(key, 40)}`;
    if (!KEY.test(key)) {
      const bad = textProblem(key, 'name');
      throw badInput(
        at,
        bad ? `the property name ${bad.rule}` : `${quoteForMessage(key, 64)} is not a property name a query can use`,
        'start with a letter; letters, digits and _ only; at most 64 characters',
      );
    }
    const lower = key.toLowerCase();
    const earlier = seen.get(lower);
    if (earlier !== undefined) throw badInput(at, `"${key}" and "${earlier}" are the same property (names are case-insensitive)`, 'keep one of them');
    seen.set(lower, key);
    if (value !== null && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw badInput(at, 'a property value is a string, a number, true/false or null', 'flatten lists into a string');
    }
    if (typeof value === 'number' && !Number.isFinite(value))
      throw badInput(at, `${value} is not a number a device property can hold`, 'give a finite number, or a string');
    if (typeof value === 'string') {
      const bad = textProblem(value);
      if (bad) throw badInput(at, bad.rule, bad.hint);
      if (value.length > 4000) throw badInput(at, 'a property value has at most 4,000 characters');
    }
    out[canonicalPropertyKey(key) ?? key] = value;
  }
  return out;
}
