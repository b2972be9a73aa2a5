/**
 * A small JSON reader that remembers where every value and key starts, so that a validation error
 * can point at `file:line:column`, not only at a JSON path. JSON.parse gives neither positions for
 * values nor consistent positions for syntax errors (Node 20 omits them for some messages), and it
 * silently keeps the last of two duplicate keys — a mistake we want to report.
 */

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

export type JsonPath = Array<string | number>;

/** Where a value starts and, for object members, where its key starts. */
export interface JsonPosition {
  value: number;
  key?: number;
}

export interface JsonSource {
  value: unknown;
  /** Keyed by `pathKey(path)`. */
  positions: Map<string, JsonPosition>;
}

/** The map key for a path: JSON text of the array, unambiguous for any key spelling. */
export function pathKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map((p) => (typeof p === 'number' ? p : String(p))));
}

/** Offset of the deepest recorded ancestor-or-self of `path` (the key for a member, if asked). */
export function positionOf(src: JsonSource, path: readonly PropertyKey[], preferKey = false): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const p = src.positions.get(pathKey(path.slice(0, n)));
    if (p) return preferKey && n === path.length && p.key !== undefined ? p.key : p.value;
  }
  return undefined;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;

export function parseJsonSource(text: string): JsonSource {
  const positions = new Map<string, JsonPosition>();
  // A byte order mark is not JSON but editors write it; skip it without shifting offsets.
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const ws = (): void => {
    WS.lastIndex = i;
    WS.exec(text);
    i = WS.lastIndex;
  };
  const fail = (msg: string, at = i): never => {
    throw new JsonSyntaxError(msg, at);
  };
  const found = (): string => (i >= text.length ? 'the end of the text' : `'${text[i]}'`);

  const str = (): string => {
    const start = i;
    i++; // opening quote
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) fail('unterminated string', start);
      if (c === 0x22) break;
      if (c === 0x5c) i += 2;
      else if (c < 0x20) fail('control character in a string (write it as an escape such as \\n)');
      else i++;
    }
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('invalid escape sequence in a string', start);
    }
  };

  const value = (path: JsonPath, key?: number): unknown => {
    ws();
    const start = i;
    positions.set(pathKey(path), key === undefined ? { value: start } : { value: start, key });
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] === "'") fail('strings and names need double quotes in JSON');
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${found()}`);
        const keyAt = i;
        const k = str();
        if (seen.has(k)) fail(`duplicate key "${k}"`, keyAt);
        seen.add(k);
        ws();
        if (text[i] !== ':') fail(`expected ':' after the property name "${k}", found ${found()}`);
        i++;
        // defineProperty: a "__proto__" key must become a plain member, not the prototype.
        Object.defineProperty(obj, k, { value: value([...path, k], keyAt), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === '}') fail('trailing comma before }');
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail(`expected ',' or '}' after the value of "${k}", found ${found()}`);
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value([...path, arr.length]));
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === ']') fail('trailing comma before ]');
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail(`expected ',' or ']' in the array, found ${found()}`);
      }
    }
    if (c === '"') return str();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m) {
      i += m[0].length;
      return Number(m[0]);
    }
    if (c === "'") return fail('strings and names need double quotes in JSON');
    return fail(i >= text.length ? 'unexpected end of the text (a value is missing)' : `unexpected ${found()}`);
  };

  const v = value([]);
  ws();
  if (i < text.length) fail(`unexpected ${found()} after the end of the document`);
  return { value: v, positions };
}
