/**
 * Keyset paging over devices in name order (the device list, a collection's members): a cursor is
 * the sort key and ResourceID of the last device of the previous page, so page 2,000 costs what
 * page 1 does. A cursor is only ever one this server handed out.
 */
import { badInput } from '../errors.js';
import { checkText, textProblem } from '../text-rules.js';

/** A page position: the sort key of the last device of the previous page (keyset paging). */
export function encodeDeviceCursor(d: { sort_key: string; resource_id: number | string }): string {
  // The database's lower(), not JavaScript's: the next page compares with the same function.
  return Buffer.from(JSON.stringify([d.sort_key, Number(d.resource_id)])).toString('base64url');
}

export function decodeDeviceCursor(cursor: string): [string, number] {
  try {
    const v = JSON.parse(Buffer.from(checkText(cursor, 'query.cursor'), 'base64url').toString('utf8')) as unknown;
    // Whatever decodes must still be a value the database takes: text without NUL or a lone
    // surrogate (JSON escapes can spell both) and a ResourceID in bigint's range.
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && !textProblem(v[0]) && Number.isSafeInteger(v[1]) && (v[1] as number) >= 0) {
      return [v[0], v[1] as number];
    }
  } catch {
    /* reported below */
  }
  throw badInput(
    'query.cursor',
    'not a cursor this server handed out',
    'pass the nextCursor of the previous page unchanged, or leave it out for the first page',
  );
}
