/**
 * Import Computer Information from a CSV file (osd-features §3.2): a header row, then one computer
 * per row. Columns are found by the header names in `mapping` (the wizard's column assignment) or,
 * by default, by the usual headings. Every row is checked before anything is written, and every
 * problem comes back at once with its row number (the header is row 1).
 */
import type { Database } from '../db/database.js';
import { badInput } from '../errors.js';
import type { Actor } from '../security/roles.js';
import { checkText, quoteForMessage, textProblem } from '../text-rules.js';
import { importComputers, importError, type ComputerEntry, type ImportedComputer, type ImportOptions, type ImportProblem } from './devices.js';
import { MAX_CSV_COLUMNS, MAX_CSV_LENGTH, MAX_IMPORT_COMPUTERS } from './limits.js';

export interface CsvMapping {
  name?: string;
  mac?: string;
  smbiosGuid?: string;
  sourceComputer?: string;
}

/** Headings recognised without a mapping (compared case-insensitively, spaces ignored). */
const DEFAULT_HEADINGS: Record<keyof CsvMapping, string[]> = {
  name: ['name', 'computer', 'computername', 'netbiosname', 'hostname'],
  mac: ['mac', 'macaddress', 'macaddresses'],
  smbiosGuid: ['smbiosguid', 'guid', 'smbios', 'uuid'],
  sourceComputer: ['sourcecomputer', 'source'],
};

/**
 * Rows of cells, RFC 4180: quoted cells may hold commas, doubled quotes and line breaks. One pass;
 * refuses text over MAX_CSV_LENGTH, more than MAX_IMPORT_COMPUTERS rows after the header and rows
 * of more than MAX_CSV_COLUMNS cells as soon as it sees them.
 */
export function parseCsv(text: string): { cells: string[]; line: number }[] {
  if (text.length > MAX_CSV_LENGTH) {
    throw badInput(
      'body.csv',
      `the CSV text is ${text.length} characters; one import takes at most ${MAX_CSV_LENGTH}`,
      `split it: at most ${MAX_IMPORT_COMPUTERS} computers per import`,
    );
  }
  const rows: { cells: string[]; line: number }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = (): void => {
    cells.push(cell);
    if (cells.length > 1 || cells[0].trim() !== '') {
      if (rows.length > MAX_IMPORT_COMPUTERS) {
        throw badInput(
          'body.csv',
          `the CSV text has more than ${MAX_IMPORT_COMPUTERS} computers (rows after the header); one import takes at most ${MAX_IMPORT_COMPUTERS}`,
          'split it into several imports',
        );
      }
      rows.push({ cells, line: rowLine });
    }
    cells = [];
    cell = '';
  };
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
      if (cells.length >= MAX_CSV_COLUMNS)
        throw badInput(
          'body.csv',
          `row ${rowLine} has more than ${MAX_CSV_COLUMNS} columns`,
          'a computer needs a few columns: name, MAC, SMBIOS GUID, source computer',
        );
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else cell += c;
  }
  if (quoted) throw badInput('body.csv', `row ${rowLine}: a quoted cell is never closed`, 'close the cell with "');
  if (cell !== '' || cells.length) endRow();
  return rows;
}

export interface CsvImportInput extends ImportOptions {
  csv: string;
  mapping?: CsvMapping;
}

export async function importComputersFromCsv(db: Database, actor: Actor, input: CsvImportInput): Promise<ImportedComputer[]> {
  for (const [field, value] of Object.entries(input.mapping ?? {})) if (value !== undefined) checkText(value, `body.mapping.${field}`);
  const rows = parseCsv(input.csv);
  // No cell may hold what the database cannot store (NUL) or a lone surrogate, mapped or not:
  // every such cell is reported with its row and column, and nothing is imported.
  const problems: ImportProblem[] = [];
  for (const r of rows) {
    r.cells.forEach((c, i) => {
      const p = textProblem(c);
      if (p)
        problems.push({
          row: r.line,
          input: `body.csv row ${r.line} column ${rows[0].cells[i] !== undefined && r !== rows[0] ? quoteForMessage(rows[0].cells[i].trim()) : i + 1}`,
          rule: p.rule,
          kind: 'invalid',
          hint: p.hint,
        });
    });
  }
  if (problems.length) throw importError(problems);
  if (!rows.length) throw badInput('body.csv', 'the CSV text is empty', 'the first row names the columns, e.g. Name,MAC,SMBIOS GUID');
  const [header, ...data] = rows;
  if (!data.length) throw badInput('body.csv', 'the CSV text has a header row but no computers');
  const norm = (s: string): string => s.replace(/\s+/g, '').toLowerCase();
  const headings = header.cells.map(norm);
  const column: Partial<Record<keyof CsvMapping, number>> = {};
  for (const field of Object.keys(DEFAULT_HEADINGS) as (keyof CsvMapping)[]) {
    const wanted = input.mapping?.[field];
    if (wanted !== undefined) {
      const at = headings.indexOf(norm(wanted));
      if (at < 0)
        throw badInput(
          `body.mapping.${field}`,
          `the header row has no column ${quoteForMessage(wanted)}`,
          `its columns are: ${header.cells.map((c) => quoteForMessage(c, 40)).join(', ')}`,
        );
      column[field] = at;
    } else {
      const at = headings.findIndex((h) => DEFAULT_HEADINGS[field].includes(h));
      if (at >= 0) column[field] = at;
    }
  }
  if (column.name === undefined) {
    throw badInput(
      'body.mapping.name',
      'no column holds the computer name',
      `name it in "mapping" (the columns are ${header.cells.map((c) => quoteForMessage(c, 40)).join(', ')}), or head it "Name"`,
    );
  }
  if (column.mac === undefined && column.smbiosGuid === undefined) {
    throw badInput('body.mapping.mac', 'no column holds the MAC address or the SMBIOS GUID', 'name one in "mapping", or head them "MAC" and "SMBIOS GUID"');
  }
  const cell = (r: { cells: string[] }, f: keyof CsvMapping): string | undefined => (column[f] === undefined ? undefined : (r.cells[column[f]!] ?? '').trim());
  const entries: ComputerEntry[] = data.map((r) => {
    const macCell = cell(r, 'mac');
    // [I] several MACs in one cell, separated by ";" (a computer with more than one NIC).
    const macs = macCell
      ? macCell
          .split(';')
          .map((m) => m.trim())
          .filter(Boolean)
      : [];
    return { name: cell(r, 'name') ?? '', macAddresses: macs, smbiosGuid: cell(r, 'smbiosGuid'), sourceComputer: cell(r, 'sourceComputer') };
  });
  const fieldColumn: Record<string, keyof CsvMapping> = {
    name: 'name',
    mac: 'mac',
    macAddresses: 'mac',
    smbiosGuid: 'smbiosGuid',
    sourceComputer: 'sourceComputer',
  };
  return importComputers(db, actor, entries, input, {
    field: (i, f) => {
      const col = column[fieldColumn[f] ?? 'name'];
      return `body.csv row ${data[i].line} column ${quoteForMessage(col !== undefined ? header.cells[col].trim() : f)}`;
    },
    row: (i) => data[i].line,
    collectionInput: 'body.collectionId',
  });
}
