/**
 * WQL errors carry the WMI error code a real query would fail with (conditions-wql §2.5: syntax and
 * unknown property ⇒ WBEM_E_INVALID_QUERY, namespace ⇒ WBEM_E_INVALID_NAMESPACE, class ⇒
 * WBEM_E_INVALID_CLASS), plus where in the query it went wrong and what would have been right.
 */

import { OsdError } from '../../../common/errors.js';

/** WMI error constants (https://learn.microsoft.com/windows/win32/wmisdk/wmi-error-constants). */
export const WBEM = {
  WBEM_E_INVALID_NAMESPACE: 0x8004100e,
  WBEM_E_INVALID_CLASS: 0x80041010,
  WBEM_E_INVALID_QUERY: 0x80041017,
} as const;

export type WbemCodeName = keyof typeof WBEM;

export interface WqlErrorInit {
  codeName: WbemCodeName;
  message: string;
  /** The query text (or namespace) the error is about. */
  query: string;
  /** 1-based offset into the query text (the query counts as one line: WQL treats line breaks as spaces). */
  column?: number;
  /** Number of characters the error covers, from `column`. */
  length?: number;
  /** What the parser expected at `column`, e.g. `FROM` or `a string pattern`. */
  expected?: string;
  hint?: string;
}

export class WqlError extends OsdError {
  readonly codeName: WbemCodeName;
  /** Unsigned 32-bit WMI code, e.g. 0x80041017. */
  readonly code: number;
  readonly query: string;
  readonly column?: number;
  readonly length?: number;
  readonly expected?: string;

  constructor(init: WqlErrorInit) {
    super(
      'bad-input',
      {
        input: init.column !== undefined ? `WQL query, column ${init.column}` : 'WQL query',
        rule: init.message,
        hint: init.hint,
        exitCode: WBEM[init.codeName],
      },
      init.message,
    );
    this.name = 'WqlError';
    this.codeName = init.codeName;
    this.code = WBEM[init.codeName];
    this.query = init.query;
    this.column = init.column;
    this.length = init.length;
    this.expected = init.expected;
  }

  /** `0x80041017` — how admins see WMI codes. */
  get codeHex(): string {
    return hexCode(this.code);
  }

  /** One line: code, position and message, e.g. `0x80041017 WBEM_E_INVALID_QUERY at column 12: …`. */
  describe(): string {
    const at = this.column !== undefined ? ` at column ${this.column}` : '';
    const exp = this.expected ? ` (expected ${this.expected})` : '';
    return `${this.codeHex} ${this.codeName}${at}: ${this.message}${exp}`;
  }

  override toJSON(): Record<string, unknown> {
    return {
      error: 'WqlError',
      code: this.codeHex,
      codeName: this.codeName,
      message: this.message,
      column: this.column,
      expected: this.expected,
      hint: this.hint,
    };
  }
}

export function hexCode(code: number): string {
  return `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

export const UNSUPPORTED_HINT = 'not supported in task sequence conditions: write a plain SELECT … FROM <class> WHERE … query';
