/**
 * `osd collection …`, `osd device …`, `osd association …`: collections, devices, variables and
 * computer associations through the admin API (osd-features §3.1–§3.4). No logic of its own.
 */
import type { Collection } from '../../site/collections/collections.js';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../../sequence/input-error.js';
import { print, printJson } from '../output.js';
import { fieldWords } from './field-words.js';
import { AdminClient, withConnection, type ConnectionOptions } from './admin-client.js';

type Opts = ConnectionOptions & { json?: boolean };

interface Rule {
  ruleId: number;
  kind: string;
  name: string;
  resourceId: number | null;
  query: string | null;
  collectionId: string | null;
}
interface Device {
  resourceId: number;
  name: string;
  macAddresses: string[];
  smbiosGuid: string | null;
  unknownComputer?: string | null;
  client?: boolean;
  properties?: Record<string, unknown>;
  collections?: { collectionId: string; name: string }[];
}
interface Variable {
  name: string;
  value: string | null;
  masked: boolean;
}
interface Association {
  id: number;
  sourceResourceId: number;
  sourceName: string;
  destinationResourceId: number;
  destinationName: string;
  userAccounts: string;
  accounts: string[];
}

const client = (o: Opts): AdminClient => AdminClient.fromOptions(o);
const enc = encodeURIComponent;
const table = (rows: string[][]): string => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
};
const showVariable = (v: Variable): string => `${v.name} = ${v.masked ? '******** (masked)' : v.value}`;
const intArg = (value: string, name: string): number => {
  if (!/^\d+$/.test(value)) throw new InputError({ input: name, rule: `"${value}" is not a number`, hint: 'give the ResourceID (osd device list)' });
  return Number(value);
};

export function registerCollectionCommands(program: Command): void {
  registerCollection(program);
  registerDevice(program);
  registerAssociation(program);
}

function registerCollection(program: Command): void {
  const col = program.command('collection').description('device collections: rules, membership, collection variables');

  withConnection(col.command('list').description('list collections').option('--search <text>', 'names containing this').option('--json', 'JSON output')).action(
    async (o: Opts & { search?: string }) => {
      const list = await client(o).get<Collection[]>(`/collections${o.search ? `?search=${enc(o.search)}` : ''}`);
      if (o.json) return printJson(list);
      print(
        table([['ID', 'MEMBERS', 'LIMITED TO', 'NAME'], ...list.map((c) => [c.collectionId, String(c.memberCount), c.limitingCollectionId ?? '-', c.name])]),
      );
    },
  );

  withConnection(col.command('show').description('a collection with its rules').argument('<id>', 'collection id').option('--json', 'JSON output')).action(
    async (id: string, o: Opts) => {
      const api = client(o);
      const c = await api.get<Collection>(`/collections/${enc(id)}`);
      const rules = await api.get<Rule[]>(`/collections/${enc(id)}/rules`);
      const vars = await api.get<Variable[]>(`/collections/${enc(id)}/variables`);
      if (o.json) return printJson({ ...c, rules, variables: vars });
      print(`${c.collectionId}  ${c.name}${c.builtIn ? ' (built-in)' : ''}`);
      if (c.comment) print(`  comment: ${c.comment}`);
      print(`  limiting collection: ${c.limitingCollectionId ? `${c.limitingCollectionId} ${c.limitingCollectionName}` : '-'}`);
      print(`  members: ${c.memberCount} (evaluated ${c.evaluatedAt ?? 'never'}); variable priority ${c.variablePriority}`);
      for (const r of rules)
        print(
          `  rule ${r.ruleId} ${r.kind}: ${r.kind === 'query' ? r.query : r.kind === 'direct' ? `${r.resourceId} ${r.name}` : `${r.collectionId} ${r.name}`}`,
        );
      for (const v of vars) print(`  variable ${showVariable(v)}`);
    },
  );

  withConnection(
    col
      .command('create')
      .description('create a collection (limited to All Systems unless --limit-to)')
      .argument('<name>', 'collection name')
      .option('--limit-to <id>', 'limiting collection id')
      .option('--comment <text>', 'comment')
      .option('--priority <n>', 'collection variable priority 1 (lowest) – 9 (highest)')
      .option('--query <wql>', 'a query rule (select * from SMS_R_System where …)')
      .option('--json', 'JSON output'),
  ).action(async (name: string, o: Opts & { limitTo?: string; comment?: string; priority?: string; query?: string }) => {
    const r = await client(o).post<{ collection: Collection }>('/collections', {
      name,
      comment: o.comment,
      limitingCollectionId: o.limitTo,
      variablePriority: o.priority === undefined ? undefined : intArg(o.priority, '--priority'),
      rules: o.query ? [{ kind: 'query', query: o.query }] : undefined,
    });
    if (o.json) return printJson(r);
    print(`created ${r.collection.collectionId} "${r.collection.name}" (${r.collection.memberCount} members)`);
  });

  withConnection(
    col.command('delete').description('delete a collection and its variables').argument('<id>', 'collection id').option('--json', 'JSON output'),
  ).action(async (id: string, o: Opts) => {
    const r = await client(o).delete<Collection>(`/collections/${enc(id)}`);
    if (o.json) return printJson(r);
    print(`deleted ${r.collectionId} "${r.name}"`);
  });

  withConnection(
    col
      .command('add-rule')
      .description('add a membership rule; the collection and its dependents are re-evaluated')
      .argument('<id>', 'collection id')
      .option('--direct <resourceId>', 'one device')
      .option('--query <wql>', 'select * from SMS_R_System where …')
      .option('--include <id>', 'the members of another collection')
      .option('--exclude <id>', 'leave out the members of another collection')
      .option('--name <name>', 'rule name')
      .option('--json', 'JSON output'),
  ).action(async (id: string, o: Opts & { direct?: string; query?: string; include?: string; exclude?: string; name?: string }) => {
    const given = (['direct', 'query', 'include', 'exclude'] as const).filter((k) => o[k] !== undefined);
    if (given.length !== 1) throw new InputError({ input: 'add-rule', rule: 'give exactly one of --direct, --query, --include, --exclude' });
    const kind = given[0];
    const rule =
      kind === 'direct'
        ? { kind, resourceId: intArg(o.direct!, '--direct'), name: o.name }
        : kind === 'query'
          ? { kind, query: o.query!, name: o.name }
          : { kind, collectionId: o[kind]!, name: o.name };
    const r = await client(o).post<{ rule: Rule; evaluated: { collectionId: string; memberCount: number }[] }>(`/collections/${enc(id)}/rules`, rule);
    if (o.json) return printJson(r);
    print(`added rule ${r.rule.ruleId} (${r.rule.kind}); evaluated ${r.evaluated.map((e) => `${e.collectionId}: ${e.memberCount}`).join(', ')}`);
  });

  withConnection(
    col
      .command('remove-rule')
      .description('remove a membership rule')
      .argument('<id>', 'collection id')
      .argument('<ruleId>', 'rule id (osd collection show)')
      .option('--json', 'JSON output'),
  ).action(async (id: string, ruleId: string, o: Opts) => {
    const r = await client(o).delete<{ rule: Rule }>(`/collections/${enc(id)}/rules/${intArg(ruleId, 'ruleId')}`);
    if (o.json) return printJson(r);
    print(`removed rule ${r.rule.ruleId}`);
  });

  withConnection(
    col
      .command('members')
      .description('members as of the last evaluation')
      .argument('<id>', 'collection id')
      .option('--limit <n>', 'at most this many', '100')
      .option('--offset <n>', 'skip this many', '0')
      .option('--json', 'JSON output'),
  ).action(async (id: string, o: Opts & { limit: string; offset: string }) => {
    const r = await client(o).get<{ total: number; members: Device[] }>(
      `/collections/${enc(id)}/members?limit=${intArg(o.limit, '--limit')}&offset=${intArg(o.offset, '--offset')}`,
    );
    if (o.json) return printJson(r);
    print(table([['RESOURCEID', 'NAME', 'MAC'], ...r.members.map((m) => [String(m.resourceId), m.name, m.macAddresses.join(' ')])]));
    print(`${r.members.length} of ${r.total}`);
  });

  withConnection(
    col
      .command('evaluate')
      .description('update membership now (and of the collections depending on it)')
      .argument('<id>', 'collection id')
      .option('--json', 'JSON output'),
  ).action(async (id: string, o: Opts) => {
    const r = await client(o).post<{ evaluated: { collectionId: string; memberCount: number }[] }>(`/collections/${enc(id)}/evaluate`);
    if (o.json) return printJson(r);
    for (const e of r.evaluated) print(`${e.collectionId}: ${e.memberCount} members`);
  });

  withConnection(
    col
      .command('set-variable')
      .description('create or replace a collection variable')
      .argument('<id>', 'collection id')
      .argument('<name>', 'variable name')
      .argument('[value]', 'value (needed for a new variable or to unmask)')
      .option('--masked', '"Do not display this value": never shown again')
      .option('--unmasked', 'show the value again (needs a new value)')
      .option('--json', 'JSON output'),
  ).action(async (id: string, name: string, value: string | undefined, o: Opts & { masked?: boolean; unmasked?: boolean }) => {
    const v = await client(o).put<Variable>(`/collections/${enc(id)}/variables/${enc(name)}`, {
      value,
      masked: o.masked ? true : o.unmasked ? false : undefined,
    });
    if (o.json) return printJson(v);
    print(showVariable(v));
  });

  withConnection(
    col.command('delete-variable').description('delete a collection variable').argument('<id>', 'collection id').argument('<name>', 'variable name'),
  ).action(async (id: string, name: string, o: Opts) => {
    await client(o).delete(`/collections/${enc(id)}/variables/${enc(name)}`);
    print(`deleted ${name}`);
  });
}

function registerDevice(program: Command): void {
  const dev = program.command('device').description('devices: import computer information, device variables');

  withConnection(
    dev
      .command('import')
      .description('Import Computer Information: one computer (--name with --mac and/or --smbios-guid) or a CSV file (--csv)')
      .option('--name <name>', 'computer name (NetBIOS, at most 15 characters)')
      .option('--mac <mac>', 'MAC address (stored as 00:11:22:33:44:55)')
      .option('--smbios-guid <guid>', 'SMBIOS GUID')
      .option('--source-computer <name>', 'make a computer association from this computer')
      .option('--csv <file>', 'CSV file with a header row (Name, MAC, SMBIOS GUID, Source Computer)')
      .option('--map <field=column...>', 'CSV column for name, mac, smbiosGuid or sourceComputer, e.g. --map name=Computer')
      .option('--collection <id>', 'also add to this collection (a direct rule)')
      .option('--overwrite', 'update an existing record with the same MAC or SMBIOS GUID')
      .option('--json', 'JSON output'),
  );
  fieldWords(dev.commands.at(-1)!, { collectionId: '--collection', macAddresses: '--mac' }).action(
    async (
      o: Opts & {
        name?: string;
        mac?: string;
        smbiosGuid?: string;
        sourceComputer?: string;
        csv?: string;
        map?: string[];
        collection?: string;
        overwrite?: boolean;
      },
    ) => {
      const api = client(o);
      if (o.csv) {
        if (o.name || o.mac || o.smbiosGuid)
          throw new InputError({ input: '--csv', rule: '--csv imports a file; --name, --mac and --smbios-guid are for one computer' });
        let csv: string;
        try {
          csv = readFileSync(o.csv, 'utf8');
        } catch (e) {
          throw new InputError({ input: o.csv, rule: `cannot read the CSV file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
        }
        const mapping: Record<string, string> = {};
        for (const m of o.map ?? []) {
          const [field, ...rest] = m.split('=');
          if (!rest.length || !['name', 'mac', 'smbiosGuid', 'sourceComputer'].includes(field)) {
            throw new InputError({ input: '--map', rule: `"${m}" is not field=column`, hint: 'fields: name, mac, smbiosGuid, sourceComputer' });
          }
          mapping[field] = rest.join('=');
        }
        const r = await api.post<{ imported: number; overwritten: number; computers: { device: Device }[] }>('/devices/import-csv', {
          csv,
          mapping: Object.keys(mapping).length ? mapping : undefined,
          collectionId: o.collection,
          overwriteExisting: o.overwrite,
        });
        if (o.json) return printJson(r);
        print(`imported ${r.imported} computers (${r.overwritten} overwritten)`);
        return;
      }
      if (!o.name) throw new InputError({ input: '--name', rule: 'give --name (with --mac or --smbios-guid), or --csv FILE' });
      const r = await api.post<{ device: Device; overwritten: boolean; association?: Association }>('/devices', {
        name: o.name,
        mac: o.mac,
        smbiosGuid: o.smbiosGuid,
        sourceComputer: o.sourceComputer,
        collectionId: o.collection,
        overwriteExisting: o.overwrite,
      });
      if (o.json) return printJson(r);
      print(
        `${r.overwritten ? 'overwrote' : 'imported'} ${r.device.resourceId} ${r.device.name} ${r.device.macAddresses.join(' ')} ${r.device.smbiosGuid ?? ''}`.trimEnd(),
      );
      if (r.association) print(`computer association ${r.association.id}: ${r.association.sourceName} → ${r.association.destinationName}`);
    },
  );

  withConnection(
    dev
      .command('list')
      .description('list devices')
      .option('--search <text>', 'name, MAC, SMBIOS GUID or ResourceID')
      .option('--limit <n>', 'at most this many', '100')
      .option('--offset <n>', 'skip this many', '0')
      .option('--json', 'JSON output'),
  ).action(async (o: Opts & { search?: string; limit: string; offset: string }) => {
    const q = `limit=${intArg(o.limit, '--limit')}&offset=${intArg(o.offset, '--offset')}${o.search ? `&search=${enc(o.search)}` : ''}`;
    const r = await client(o).get<{ total: number | null; devices: Device[] }>(`/devices?${q}`);
    if (o.json) return printJson(r);
    print(
      table([
        ['RESOURCEID', 'NAME', 'MAC', 'SMBIOS GUID'],
        ...r.devices.map((d) => [String(d.resourceId), d.name, d.macAddresses.join(' '), d.smbiosGuid ?? '']),
      ]),
    );
    print(`${r.devices.length} of ${r.total ?? '?'}`);
  });

  withConnection(
    dev.command('show').description('a device, its collections and variables').argument('<resourceId>', 'ResourceID').option('--json', 'JSON output'),
  ).action(async (id: string, o: Opts) => {
    const api = client(o);
    const d = await api.get<Device>(`/devices/${intArg(id, 'resourceId')}`);
    const vars = await api.get<Variable[]>(`/devices/${intArg(id, 'resourceId')}/variables`);
    if (o.json) return printJson({ ...d, variables: vars });
    print(`${d.resourceId}  ${d.name}${d.unknownComputer ? ' (unknown-computer object)' : ''}`);
    print(`  MAC: ${d.macAddresses.join(' ') || '-'}   SMBIOS GUID: ${d.smbiosGuid ?? '-'}`);
    for (const [k, v] of Object.entries(d.properties ?? {})) print(`  ${k}: ${String(v)}`);
    print(`  collections: ${(d.collections ?? []).map((c) => `${c.collectionId} ${c.name}`).join(', ')}`);
    for (const v of vars) print(`  variable ${showVariable(v)}`);
  });

  withConnection(
    dev
      .command('set-variable')
      .description('create or replace a device variable')
      .argument('<resourceId>', 'ResourceID')
      .argument('<name>', 'variable name')
      .argument('[value]', 'value (needed for a new variable or to unmask)')
      .option('--masked', '"Do not display this value": never shown again')
      .option('--unmasked', 'show the value again (needs a new value)')
      .option('--json', 'JSON output'),
  ).action(async (id: string, name: string, value: string | undefined, o: Opts & { masked?: boolean; unmasked?: boolean }) => {
    const v = await client(o).put<Variable>(`/devices/${intArg(id, 'resourceId')}/variables/${enc(name)}`, {
      value,
      masked: o.masked ? true : o.unmasked ? false : undefined,
    });
    if (o.json) return printJson(v);
    print(showVariable(v));
  });

  withConnection(dev.command('delete').description('delete a device').argument('<resourceId>', 'ResourceID').option('--json', 'JSON output')).action(
    async (id: string, o: Opts) => {
      const d = await client(o).delete<Device>(`/devices/${intArg(id, 'resourceId')}`);
      if (o.json) return printJson(d);
      print(`deleted ${d.resourceId} ${d.name}`);
    },
  );
}

function registerAssociation(program: Command): void {
  const assoc = program.command('association').description('computer associations (user state from a source to a destination computer)');

  withConnection(
    assoc
      .command('create')
      .description('create a computer association')
      .requiredOption('--source <resourceId>', 'source computer ResourceID')
      .requiredOption('--destination <resourceId>', 'destination computer ResourceID')
      .option('--user-accounts <mode>', 'capture-restore-all | capture-all-restore-specified | capture-restore-specified (default)')
      .option('--account <DOMAIN\\user...>', 'user accounts to restore (specified modes)')
      .option('--json', 'JSON output'),
  ).action(async (o: Opts & { source: string; destination: string; userAccounts?: string; account?: string[] }) => {
    const a = await client(o).post<Association>('/computer-associations', {
      sourceResourceId: intArg(o.source, '--source'),
      destinationResourceId: intArg(o.destination, '--destination'),
      userAccounts: o.userAccounts,
      accounts: o.account,
    });
    if (o.json) return printJson(a);
    print(`created association ${a.id}: ${a.sourceName} → ${a.destinationName} (${a.userAccounts})`);
  });

  withConnection(assoc.command('list').description('list computer associations').option('--json', 'JSON output')).action(async (o: Opts) => {
    const list = await client(o).get<Association[]>('/computer-associations');
    if (o.json) return printJson(list);
    print(
      table([
        ['ID', 'SOURCE', 'DESTINATION', 'USER ACCOUNTS'],
        ...list.map((a) => [String(a.id), a.sourceName, a.destinationName, `${a.userAccounts}${a.accounts.length ? ` (${a.accounts.join(', ')})` : ''}`]),
      ]),
    );
  });

  withConnection(assoc.command('delete').description('delete a computer association').argument('<id>', 'association id')).action(
    async (id: string, o: Opts) => {
      await client(o).delete(`/computer-associations/${intArg(id, 'id')}`);
      print(`deleted association ${id}`);
    },
  );
}
