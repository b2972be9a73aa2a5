/**
 * The state migration point's admin commands (docs/state-migration-point.md), through the admin API:
 *
 *   osd smp show                               storage folders, deletion policy, restore-only
 *   osd smp set [--folder SPEC]… [--delete-after 1d|12h|immediately] [--restore-only on|off]
 *   osd userstate stores [--state S] [--device NAME]   the stores: state, source, size, times
 *   osd userstate show STORE                   one store with its files
 *   osd userstate recovery STORE               User State Recovery Information (key and location; audited)
 *   osd userstate delete STORE [--force]       delete a store now
 *
 * A folder SPEC is `PATH[,max-clients=N][,min-free=AMOUNT]` with AMOUNT as `500MB`, `10GB` or `5%`
 * (defaults [I]: 100 clients, 1 GB). No logic of its own.
 */
import type { Command } from 'commander';
import { InputError } from '../../sequence/input-error.js';
import { print, printJson } from '../output.js';
import { AdminClient, withConnection, type ConnectionOptions } from './admin-client.js';
import { resolveDevice } from './device-address.js';
import { fieldWords } from './field-words.js';

type Opts = ConnectionOptions & { json?: boolean };

interface Folder {
  path: string;
  maxClients: number;
  minFree: { value: number; unit: 'MB' | 'GB' | 'Percent' };
}
interface Settings {
  storageFolders: Folder[];
  deletion: { mode: 'immediate' } | { mode: 'after'; value: number; unit: 'days' | 'hours' };
  restoreOnly: boolean;
}
interface Store {
  storeId: string;
  state: string;
  sourceName: string;
  restoreResourceId: number | null;
  folder: string;
  path: string;
  bytes: number;
  files: number;
  requestedAt: string;
  capturedAt: string | null;
  restoredAt: string | null;
  expiresAt: string | null;
  deletedAt: string | null;
  fileList?: { name: string; size: number; received: number; complete: boolean }[];
}

const STATES = ['requested', 'capturing', 'captured', 'restoring', 'restored', 'abandoned', 'deleted'];

const table = (rows: string[][]): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
};

const size = (n: number): string =>
  n >= 1024 ** 3
    ? `${(n / 1024 ** 3).toFixed(1)} GB`
    : n >= 1024 ** 2
      ? `${(n / 1024 ** 2).toFixed(1)} MB`
      : n >= 1024
        ? `${(n / 1024).toFixed(0)} KB`
        : `${n} B`;

const freeWords = (f: Folder['minFree']): string => (f.unit === 'Percent' ? `${f.value}%` : `${f.value} ${f.unit}`);

function deletionWords(d: Settings['deletion']): string {
  return d.mode === 'immediate'
    ? 'immediately after the restore is released'
    : `${d.value} ${d.value === 1 ? d.unit.replace(/s$/, '') : d.unit} after the restore is released`;
}

/** `PATH[,max-clients=N][,min-free=AMOUNT]`. */
export function parseFolderSpec(spec: string): Folder {
  const parts = spec.split(',');
  const path = parts.shift()!.trim();
  if (!path)
    throw new InputError({
      input: '--folder',
      rule: 'a folder spec starts with the folder path',
      hint: 'e.g. --folder /srv/smpstore,max-clients=100,min-free=10GB',
    });
  const folder: Folder = { path, maxClients: 100, minFree: { value: 1, unit: 'GB' } };
  for (const p of parts) {
    const m = /^\s*(max-clients|min-free)\s*=\s*(.+?)\s*$/.exec(p);
    if (!m)
      throw new InputError({
        input: '--folder',
        rule: `"${p}" is not max-clients=N or min-free=AMOUNT`,
        hint: 'e.g. --folder /srv/smpstore,max-clients=100,min-free=10GB',
      });
    if (m[1] === 'max-clients') {
      if (!/^\d{1,5}$/.test(m[2]!)) throw new InputError({ input: '--folder', rule: `max-clients "${m[2]}" is not a number from 1 to 99999` });
      folder.maxClients = Number(m[2]);
    } else {
      const a = /^(\d{1,5})\s*(MB|GB|%)$/i.exec(m[2]!);
      if (!a) throw new InputError({ input: '--folder', rule: `min-free "${m[2]}" is not an amount like 500MB, 10GB or 5%` });
      const unit = a[2]!.toUpperCase();
      folder.minFree = { value: Number(a[1]), unit: unit === '%' ? 'Percent' : (unit as 'MB' | 'GB') };
    }
  }
  return folder;
}

/** `1d`, `12h`, `immediately`. */
export function parseDeletion(text: string): Settings['deletion'] {
  const t = text.trim().toLowerCase();
  if (t === 'immediately' || t === 'immediate' || t === '0') return { mode: 'immediate' };
  const m = /^(\d{1,5})\s*(d|days?|h|hours?)$/.exec(t);
  if (!m) throw new InputError({ input: '--delete-after', rule: `"${text}" is not a time like 1d, 12h or immediately` });
  return { mode: 'after', value: Number(m[1]), unit: m[2]!.startsWith('d') ? 'days' : 'hours' };
}

function showSettings(s: Settings): void {
  if (!s.storageFolders.length) print('storage folders: none (captures are refused: no-capacity)');
  else {
    print('storage folders (in the order captures try them):');
    print(table([['PATH', 'MAX CLIENTS', 'MIN FREE'], ...s.storageFolders.map((f) => [f.path, String(f.maxClients), freeWords(f.minFree)])]));
  }
  print(`deletion: ${deletionWords(s.deletion)}`);
  print(`restore-only: ${s.restoreOnly ? 'on (no new captures)' : 'off'}`);
}

function find(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

export function registerSmpCommands(program: Command): void {
  const smp = find(program, 'smp', 'the state migration point: storage folders, deletion policy, restore-only');
  withConnection(smp.command('show').description('the state migration point’s settings').option('--json', 'JSON output')).action(async (o: Opts) => {
    const s = await AdminClient.fromOptions(o).get<Settings>('/state-migration-point');
    if (o.json) return printJson(s);
    showSettings(s);
  });
  const set = withConnection(
    smp
      .command('set')
      .description('change the state migration point (what is given replaces the current value)')
      .option(
        '--folder <spec...>',
        'storage folders in order, each PATH[,max-clients=N][,min-free=500MB|10GB|5%] (defaults 100 clients, 1GB); replaces the list',
      )
      .option('--no-folders', 'remove every storage folder (captures are then refused)')
      .option('--delete-after <time>', 'after the restore is released: immediately, or e.g. 1d, 12h')
      .option('--restore-only <on|off>', 'on: answer restore requests only')
      .option('--json', 'JSON output'),
  );
  fieldWords(set, { storageFolders: '--folder', deletion: '--delete-after', restoreOnly: '--restore-only' });
  set.action(async (o: Opts & { folder?: string[]; folders?: boolean; deleteAfter?: string; restoreOnly?: string }) => {
    const body: Partial<Settings> = {};
    if (o.folder) body.storageFolders = o.folder.map(parseFolderSpec);
    if (o.folders === false) {
      if (o.folder) throw new InputError({ input: '--no-folders', rule: 'give --folder or --no-folders, not both' });
      body.storageFolders = [];
    }
    if (o.deleteAfter !== undefined) body.deletion = parseDeletion(o.deleteAfter);
    if (o.restoreOnly !== undefined) {
      if (!['on', 'off', 'true', 'false'].includes(o.restoreOnly))
        throw new InputError({ input: '--restore-only', rule: `"${o.restoreOnly}" is not on or off` });
      body.restoreOnly = o.restoreOnly === 'on' || o.restoreOnly === 'true';
    }
    if (!Object.keys(body).length)
      throw new InputError({ input: 'osd smp set', rule: 'nothing to change', hint: 'give --folder, --no-folders, --delete-after or --restore-only' });
    const s = await AdminClient.fromOptions(o).put<Settings>('/state-migration-point', body);
    if (o.json) return printJson(s);
    showSettings(s);
  });

  const us = find(program, 'userstate', 'user state migration: stores, recovery');
  withConnection(
    us
      .command('stores')
      .description('user state stores on the state migration point, newest first')
      .option('--state <state>', STATES.join(' | '))
      .option('--device <name>', 'stores this computer captured or restores (name or ResourceID)')
      .option('--json', 'JSON output'),
  ).action(async (o: Opts & { state?: string; device?: string }) => {
    if (o.state && !STATES.includes(o.state)) throw new InputError({ input: '--state', rule: `"${o.state}" is not one of ${STATES.join(', ')}` });
    const api = AdminClient.fromOptions(o);
    const q = new URLSearchParams();
    if (o.state) q.set('state', o.state);
    if (o.device) q.set('resourceId', String((await resolveDevice(api, o.device, '--device')).resourceId));
    const list = await api.get<Store[]>(`/userstate/stores${q.size ? `?${q.toString()}` : ''}`);
    if (o.json) return printJson(list);
    if (!list.length) return print('no user state store');
    print(
      table([
        ['STORE', 'STATE', 'SOURCE', 'SIZE', 'CAPTURED', 'EXPIRES'],
        ...list.map((s) => [
          s.storeId,
          s.state,
          s.sourceName,
          size(s.bytes),
          s.capturedAt ?? '-',
          s.deletedAt ? `deleted ${s.deletedAt}` : (s.expiresAt ?? '-'),
        ]),
      ]),
    );
  });
  withConnection(us.command('show').description('one user state store with its files').argument('<store>', 'store id').option('--json', 'JSON output')).action(
    async (id: string, o: Opts) => {
      const s = await AdminClient.fromOptions(o).get<Store>(`/userstate/stores/${encodeURIComponent(id)}`);
      if (o.json) return printJson(s);
      print(`store ${s.storeId}: ${s.state}, captured from ${s.sourceName}, ${size(s.bytes)} in ${s.files} file(s)`);
      print(`location: ${s.path}`);
      for (const [k, v] of [
        ['requested', s.requestedAt],
        ['captured', s.capturedAt],
        ['restored', s.restoredAt],
        ['expires', s.expiresAt],
        ['deleted', s.deletedAt],
      ] as const)
        if (v) print(`${k}: ${v}`);
      for (const f of s.fileList ?? []) print(`  ${f.name}  ${size(f.size)}${f.complete ? '' : ` (${f.received} of ${f.size} bytes received)`}`);
    },
  );
  withConnection(
    us
      .command('recovery')
      .description("User State Recovery Information: the store's key and location, for osd userstate extract (audited)")
      .argument('<store>', 'store id')
      .option('--json', 'JSON output'),
  ).action(async (id: string, o: Opts) => {
    const r = await AdminClient.fromOptions(o).get<{ storeId: string; key: string; keyId: string; state: string; sourceName: string; path: string }>(
      `/userstate/stores/${encodeURIComponent(id)}/recovery`,
    );
    if (o.json) return printJson(r);
    print(`store ${r.storeId} (${r.state}, captured from ${r.sourceName})`);
    print(`location: ${r.path}`);
    print(`key: ${r.key}`);
    print(`osd userstate extract --store ${JSON.stringify(r.path)} --key ${r.key} --out <folder>`);
  });
  withConnection(
    us
      .command('delete')
      .description('delete a user state store now (its files and key)')
      .argument('<store>', 'store id')
      .option('--force', 'also a store a computer is capturing or restoring')
      .option('--json', 'JSON output'),
  ).action(async (id: string, o: Opts & { force?: boolean }) => {
    const s = await AdminClient.fromOptions(o).delete<Store>(`/userstate/stores/${encodeURIComponent(id)}${o.force ? '?force=true' : ''}`);
    if (o.json) return printJson(s);
    print(`deleted store ${s.storeId} (captured from ${s.sourceName})`);
  });
}
