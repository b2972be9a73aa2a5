/**
 * The JSON reader of device facts: a device's inventory as PostgreSQL's jsonb prints it
 * (`properties::text`), scanned rather than JSON.parse'd so each value keeps the text `->>` gives
 * the SQL (1.50 stays 1.50); anything the JS predicate could not read exactly is left to the SQL.
 */

/**
 * `{"key": value, …}` as jsonb prints it, to [key, value as ->> gives it] pairs in order: strings
 * unescaped, numbers as printed (so 1.50 stays 1.50), true/false, null as null. Undefined for
 * anything else (nested objects or arrays, which ->> would print in jsonb's own format).
 */
export function parseFlatJsonObject(text: string): [string, string | null][] | undefined {
  const out: [string, string | null][] = [];
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\t' || text[i] === '\r')) i++;
  };
  const str = (): string | undefined => {
    if (text[i] !== '"') return undefined;
    let j = i + 1;
    let escaped = false;
    while (j < text.length && text[j] !== '"') {
      if (text[j] === '\\') {
        escaped = true;
        j++;
      }
      j++;
    }
    if (j >= text.length) return undefined;
    const raw = text.slice(i, j + 1);
    i = j + 1;
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  };
  ws();
  if (text[i] !== '{') return undefined;
  i++;
  ws();
  if (text[i] === '}') return i + 1 === text.trimEnd().length ? out : undefined;
  for (;;) {
    ws();
    const key = str();
    if (key === undefined) return undefined;
    ws();
    if (text[i] !== ':') return undefined;
    i++;
    ws();
    let value: string | null;
    const c = text[i];
    if (c === '"') {
      const s = str();
      if (s === undefined) return undefined;
      value = s;
    } else {
      const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
      if (!m) return undefined;
      i += m[0].length;
      value = m[0] === 'null' ? null : m[0];
      // jsonb prints numbers without exponents; a stray one is left to the SQL.
      if (/[eE]/.test(m[0]) && m[0] !== 'true' && m[0] !== 'false') return undefined;
    }
    out.push([key, value]);
    ws();
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') {
      i++;
      ws();
      return i === text.length ? out : undefined;
    }
    return undefined;
  }
}
