/**
 * The limits of devices and their import (issue 10 "Site hardening"), in one place. Each is
 * checked before the work it bounds, with a 400 naming the field and the limit. Generous for real
 * use: the console imports a few hundred computers at a time, a computer has a few NICs.
 */

/** Characters of CSV text in one import (the admin API's JSON body limit is 8 MiB). */
export const MAX_CSV_LENGTH = 4 * 1024 * 1024;

/** Computers (data rows, the header not counted) in one CSV import, and entries of importComputers. */
export const MAX_IMPORT_COMPUTERS = 10_000;

/** Columns of a CSV row. */
export const MAX_CSV_COLUMNS = 100;

/** MAC addresses of one computer (a CSV cell may list several, separated by ";"). */
export const MAX_MACS_PER_COMPUTER = 100;

/** Inventory properties of one device. */
export const MAX_PROPERTIES = 1_000;

/** User accounts named in one computer association, and characters of each. */
export const MAX_ACCOUNTS = 1_000;
export const MAX_ACCOUNT_LENGTH = 256;
