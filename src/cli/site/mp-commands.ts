/**
 * The administrator's management point commands (docs/management-point.md), through the admin API:
 * `osd device approve|refuse|revoke|clear-required|registration NAME`, `osd collection
 * clear-required ID`, `osd site show` and `osd site set unknown-computers auto|manual|refuse`.
 * A device is named by its name or its ResourceID. No logic of its own.
 */
import type { Command } from 'commander';
import { InputError } from '../../sequence/input-error.js';
import { print, printJson } from '../output.js';
import { AdminClient, withConnection, type ConnectionOptions } from './admin-client.js';

type Opts = ConnectionOptions & { json?: boolean };

interface ListedDevice {
  resourceId: number;
  name: string;
  unknownComputer: string | null;
}
interface Registration {
  resourceId: number;
  name: string;
  unknown: boolean;
  approval: string;
  registeredAt: string | null;
  lastContactAt: string | null;
  architecture: string | null;
  firmware: string | null;
}
interface Cleared {
  cleared: { resourceId: number; deploymentId: string }[];
  clearedAt: string;
}

const UNKNOWN_COMPUTERS = ['auto', 'manual', 'refuse'];
const enc = encodeURIComponent;

/** The ResourceID of the device NAME (or the ResourceID given). */
async function resolveDevice(api: AdminClient, nameOrId: string): Promise<number> {
  if (/^\d+$/.test(nameOrId)) return Number(nameOrId);
  const r = await api.get<{ devices: ListedDevice[] }>(`/devices?search=${enc(nameOrId)}&limit=1000`);
  const matches = r.devices.filter((d) => d.unknownComputer === null && d.name.toLowerCase() === nameOrId.toLowerCase());
  if (matches.length === 1) return matches[0]!.resourceId;
  if (!matches.length)
    throw new InputError({ input: nameOrId, rule: 'no device has this name', hint: 'osd device list --search NAME, or give the ResourceID' });
  throw new InputError({
    input: nameOrId,
    rule: `${matches.length} devices have this name (ResourceIDs ${matches.map((d) => d.resourceId).join(', ')})`,
    hint: 'give the ResourceID',
  });
}

function find(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

const showRegistration = (r: Registration): string =>
  `${r.resourceId} ${r.name}: ${r.approval}${r.unknown ? ' (registered on first contact)' : ''}${r.lastContactAt ? `, last contact ${r.lastContactAt}` : ''}`;

export function registerManagementPointCommands(program: Command): void {
  const dev = find(program, 'device', 'devices');
  const action = (verb: string, description: string, call: (api: AdminClient, id: number) => Promise<unknown>, show: (r: never) => string): void => {
    withConnection(dev.command(verb).description(description).argument('<device>', 'device name or ResourceID').option('--json', 'JSON output')).action(
      async (device: string, o: Opts) => {
        const api = AdminClient.fromOptions(o);
        const r = await call(api, await resolveDevice(api, device));
        if (o.json) return printJson(r);
        print(show(r as never));
      },
    );
  };
  action(
    'registration',
    "a device's registration at the management point: approval, first and last contact",
    (api, id) => api.get(`/devices/${id}/registration`),
    showRegistration,
  );
  action(
    'approve',
    'approve a device that registered on first contact (unknown computers: manual)',
    (api, id) => api.post(`/devices/${id}/approve`),
    (r: Registration) => `approved ${showRegistration(r)}`,
  );
  action(
    'refuse',
    'refuse a device: its credentials are revoked and it cannot register again until approved',
    (api, id) => api.post(`/devices/${id}/refuse`),
    (r: Registration) => `refused ${showRegistration(r)}`,
  );
  action(
    'revoke',
    "revoke a device's credentials (it must register again)",
    (api, id) => api.delete(`/devices/${id}/credentials`),
    (r: { resourceId: number; name: string; revoked: number }) => `revoked ${r.revoked} credential(s) of ${r.resourceId} ${r.name}`,
  );
  action(
    'clear-required',
    'Clear Required PXE Deployments: a Required deployment that already ran is offered again in WinPE',
    (api, id) => api.post(`/devices/${id}/clear-required`),
    (r: Cleared) => `cleared ${r.cleared.length} required deployment(s)${r.cleared.length ? `: ${r.cleared.map((c) => c.deploymentId).join(', ')}` : ''}`,
  );

  withConnection(
    dev
      .command('registrations')
      .description('devices that registered at the management point, newest contact first')
      .option('--pending', 'only those waiting for approval (osd device approve NAME)')
      .option('--json', 'JSON output'),
  ).action(async (o: Opts & { pending?: boolean }) => {
    const list = await AdminClient.fromOptions(o).get<Registration[]>(`/devices/registrations${o.pending ? '?approval=pending' : ''}`);
    if (o.json) return printJson(list);
    for (const r of list) print(`${showRegistration(r)}${r.architecture ? ` [${r.architecture} ${r.firmware ?? ''}]`.replace(' ]', ']') : ''}`);
    if (!list.length) print(o.pending ? 'no device waits for approval' : 'no device has registered');
  });

  const col = find(program, 'collection', 'device collections');
  withConnection(
    col
      .command('clear-required')
      .description('Clear Required PXE Deployments for every member of a collection')
      .argument('<id>', 'collection id')
      .option('--json', 'JSON output'),
  ).action(async (id: string, o: Opts) => {
    const r = await AdminClient.fromOptions(o).post<Cleared>(`/collections/${enc(id)}/clear-required`);
    if (o.json) return printJson(r);
    print(`cleared ${r.cleared.length} required deployment(s) on ${new Set(r.cleared.map((c) => c.resourceId)).size} device(s)`);
  });

  const site = find(program, 'site', 'site settings');
  withConnection(site.command('show').description('site settings: unknown computer support').option('--json', 'JSON output')).action(async (o: Opts) => {
    const api = AdminClient.fromOptions(o);
    const r = await api.get<{ unknownComputers: string }>('/settings/unknown-computers');
    const p = await api.get<{ registrationPassword: boolean }>('/settings/registration-password');
    if (o.json) return printJson({ ...r, ...p });
    print(`unknown-computers: ${r.unknownComputers}`);
    print(`registration-password: ${p.registrationPassword ? 'set' : 'not set'}`);
  });
  const set = site.command('set').description('change a site setting');
  withConnection(
    set
      .command('unknown-computers')
      .description('unknown computers: auto (register and approve), manual (register, wait for osd device approve), refuse')
      .argument('<mode>', UNKNOWN_COMPUTERS.join('|'))
      .option('--json', 'JSON output'),
  ).action(async (mode: string, o: Opts) => {
    if (!UNKNOWN_COMPUTERS.includes(mode)) throw new InputError({ input: '<mode>', rule: `"${mode}" is not one of ${UNKNOWN_COMPUTERS.join(', ')}` });
    const r = await AdminClient.fromOptions(o).put<{ unknownComputers: string }>('/settings/unknown-computers', { unknownComputers: mode });
    if (o.json) return printJson(r);
    print(`unknown-computers: ${r.unknownComputers}`);
  });
  withConnection(
    set
      .command('registration-password')
      .description('computers register only with this password (from $OSD_REGISTRATION_PASSWORD, never an argument: ps would show it)')
      .option('--clear', 'remove it: computers register without a password')
      .option('--json', 'JSON output'),
  ).action(async (o: Opts & { clear?: boolean }) => {
    const password = o.clear ? null : process.env.OSD_REGISTRATION_PASSWORD;
    if (password === undefined || password === '')
      throw new InputError({
        input: 'OSD_REGISTRATION_PASSWORD',
        rule: 'the environment variable is not set',
        hint: 'set it to the password, or pass --clear',
      });
    const r = await AdminClient.fromOptions(o).put<{ registrationPassword: boolean }>('/settings/registration-password', { password });
    if (o.json) return printJson(r);
    print(`registration-password: ${r.registrationPassword ? 'set' : 'not set'}`);
  });
}
