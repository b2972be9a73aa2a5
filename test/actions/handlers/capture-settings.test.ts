// Capture Windows Settings / Capture Network Settings read the installed OS's registry (as Setup
// recorded it) into the OSD* variables, which then win over Apply Windows / Network Settings' own values.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DirectoryComputer } from '../../../src/actions/directory-computer.js';
import { failureResult } from '../../../src/actions/errors.js';
import { ANSWER_FILE } from '../../../src/actions/handlers/answer-file.js';
import { applyNetworkSettingsHandler } from '../../../src/actions/handlers/apply-network-settings.js';
import { applyWindowsSettingsHandler } from '../../../src/actions/handlers/apply-windows-settings.js';
import { captureNetworkSettingsHandler, captureWindowsSettingsHandler } from '../../../src/actions/handlers/capture-settings.js';
import { OfflineRegistry } from '../../../src/actions/os/registry.js';
import { recordSetup, type SetupSettings } from '../../../src/actions/os/windows-setup.js';
import { UnattendDocument } from '../../../src/actions/unattend/index.js';
import { writeWindowsTree } from '../../../src/lab/test-content/windows-tree.js';
import { applyNetworkSettings, applyWindowsSettings, captureNetworkSettings, captureWindowsSettings } from '../../../src/sequence/catalog/index.js';
import { directoryComputer, execution, profile, step } from './helpers.js';

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

/** The refresh machine with its installed OS on C:, its registry saying `settings`. */
async function installed(settings: SetupSettings): Promise<DirectoryComputer> {
  const c = directoryComputer(profile('win10-x64-refresh.json'));
  cleanups.push(c.cleanup);
  const [v] = await c.computer.writeLayout(0, { style: 'gpt', partitions: [{ kind: 'primary', name: 'Windows' }] });
  await c.computer.format(v, 'NTFS', 'Windows');
  const tree = mkdtempSync(join(tmpdir(), 'osd-capture-'));
  cleanups.push(() => rmSync(tree, { recursive: true, force: true }));
  await writeWindowsTree(tree, { index: 1, name: 'Windows 10 Enterprise', editionId: 'Enterprise' }, 'x64', 0);
  const vol = await c.computer.files(v);
  await vol.copyIn(tree, '');
  const reg = await OfflineRegistry.open(vol);
  await recordSetup(reg, settings);
  await reg.save();
  c.computer.setDrives([{ letter: 'C:', disk: 0, partition: 1 }]);
  return c.computer;
}

describe('Capture Windows Settings', () => {
  it('reads the computer name, time zone and registration from the registry, and they win over Apply Windows Settings', async () => {
    const computer = await installed({
      computerName: 'OLD-PC-07',
      timeZone: 'Tokyo Standard Time',
      registeredOwner: 'Jo',
      registeredOrganization: 'Fabrikam',
      workgroup: 'OLDWG',
    });
    const m = execution(step(captureWindowsSettings, {}), { environment: 'FullOS' });
    expect(await captureWindowsSettingsHandler.run!({ x: m.x, computer, content: undefined as never })).toEqual({ exitCode: 0 });
    expect(m.vars()).toMatchObject({
      OSDComputerName: 'OLD-PC-07',
      OSDTimeZone: 'Tokyo Standard Time',
      OSDRegisteredUserName: 'Jo',
      OSDRegisteredOrgName: 'Fabrikam',
    });
    expect(m.logs).toContain('info: Captured computer name: OSDComputerName=OLD-PC-07');

    // Later, Apply Windows Settings with its own values: the captured ones win (global beats the step's default).
    const vol = await computer.files({ disk: 0, partition: 1 });
    await vol.writeFile(ANSWER_FILE, UnattendDocument.create('amd64').toXml());
    const apply = execution(
      step(applyWindowsSettings, { computerName: 'NEW-PC', timeZone: 'Pacific Standard Time', registeredOrgName: 'Contoso', registeredUserName: 'IT' }),
      {
        variables: { ...m.vars(), OSDTargetSystemDrive: 'C:' },
      },
    );
    expect(await applyWindowsSettingsHandler.run!({ x: apply.x, computer, content: undefined as never })).toEqual({ exitCode: 0 });
    const xml = (await vol.readFile(ANSWER_FILE)).toString();
    expect(xml).toMatch(/<ComputerName>OLD-PC-07<\/ComputerName>/);
    expect(xml).toMatch(/<TimeZone>Tokyo Standard Time<\/TimeZone>/);
    expect(xml).toMatch(/<RegisteredOrganization>Fabrikam<\/RegisteredOrganization>/);
  });

  it('honours the Migrate flags, warns about what the OS does not record, and fails without an installed OS', async () => {
    const computer = await installed({ computerName: 'PC-1' });
    const m = execution(step(captureWindowsSettings, { migrateComputerName: false }), { environment: 'FullOS' });
    expect(await captureWindowsSettingsHandler.run!({ x: m.x, computer, content: undefined as never })).toEqual({ exitCode: 0 });
    expect(m.vars().OSDComputerName).toBeUndefined();
    expect(m.logs).toContain('warning: The installed operating system records no time zone: OSDTimeZone is not set');

    const bare = directoryComputer(profile('uefi-x64-laptop-bare-metal.json'));
    cleanups.push(bare.cleanup);
    const b = execution(step(captureWindowsSettings, {}));
    expect(await captureWindowsSettingsHandler.run!({ x: b.x, computer: bare.computer, content: undefined as never }).catch(failureResult)).toMatchObject({
      exitCode: 0x80070003,
      message: expect.stringMatching(/no installed operating system to capture from: no drive C:/),
    });
  });
});

describe('Capture Network Settings', () => {
  it('reads the domain membership and the adapters, which Apply Network Settings then uses', async () => {
    const computer = await installed({ computerName: 'PC-1', domain: 'corp.contoso.com' });
    const m = execution(step(captureNetworkSettings, {}), { environment: 'FullOS' });
    expect(await captureNetworkSettingsHandler.run!({ x: m.x, computer, content: undefined as never })).toEqual({ exitCode: 0 });
    const adapters = computer.profile.networkAdapters.filter((a) => a.ipEnabled);
    expect(m.vars()).toMatchObject({ OSDNetworkJoinType: '0', OSDDomainName: 'corp.contoso.com', OSDAdapterCount: String(adapters.length) });
    expect(m.vars().OSDAdapter0MacAddress).toBe(adapters[0].mac);
    expect(m.vars().OSDAdapter0EnableDHCP).toBe(adapters[0].dhcp ? 'true' : 'false');

    // Setup recorded static settings for the first adapter's MAC: the registry's values win over the profile's.
    const mac = adapters[0].mac;
    const recorded = await installed({
      computerName: 'PC-3',
      workgroup: 'Lab',
      interfaces: [{ identifier: mac.replace(/:/g, '-'), dhcp: false, addresses: ['192.168.7.20/23'], gateways: ['192.168.6.1'], dnsServers: ['192.168.6.2'] }],
    });
    const st = execution(step(captureNetworkSettings, {}), { environment: 'FullOS' });
    expect(await captureNetworkSettingsHandler.run!({ x: st.x, computer: recorded, content: undefined as never })).toEqual({ exitCode: 0 });
    expect(st.vars()).toMatchObject({
      OSDAdapter0EnableDHCP: 'false',
      OSDAdapter0IPAddressList: '192.168.7.20',
      OSDAdapter0SubnetMask: '255.255.254.0',
      OSDAdapter0Gateways: '192.168.6.1',
      OSDAdapter0DNSServerList: '192.168.6.2',
      OSDAdapter0MacAddress: mac,
    });
    expect(st.logs.some((l) => /Captured adapter 0 .* from the registry: static 192\.168\.7\.20\/23/.test(l))).toBe(true);
    // Apply Network Settings without adapters of its own (its hidden OSDAdapterCount is 0) takes the captured ones.
    const rvol = await recorded.files({ disk: 0, partition: 1 });
    await rvol.writeFile(ANSWER_FILE, UnattendDocument.create('amd64').toXml());
    const applyStatic = execution(step(applyNetworkSettings, { joinType: 'workgroup', workgroupName: 'X', adapters: [] } as never), {
      variables: { ...st.vars(), OSDTargetSystemDrive: 'C:' },
    });
    expect(await applyNetworkSettingsHandler.run!({ x: applyStatic.x, computer: recorded, content: undefined as never })).toEqual({ exitCode: 0 });
    expect((await rvol.readFile(ANSWER_FILE)).toString()).toMatch(/<IpAddress wcm:action="add" wcm:keyValue="1">192\.168\.7\.20\/23<\/IpAddress>/);
    expect(applyStatic.logs).toContain(`info: The step has no adapter settings of its own: using the ${adapters.length} captured in OSDAdapterCount`);

    const workgroup = await installed({ computerName: 'PC-2', workgroup: 'Lab' });
    const w = execution(step(captureNetworkSettings, { migrateAdapterSettings: false }), { environment: 'FullOS' });
    expect(await captureNetworkSettingsHandler.run!({ x: w.x, computer: workgroup, content: undefined as never })).toEqual({ exitCode: 0 });
    expect(w.vars()).toMatchObject({ OSDNetworkJoinType: '1', OSDWorkgroupName: 'LAB' });
    expect(w.vars().OSDAdapterCount).toBeUndefined();

    // Apply Network Settings (set to a domain) takes the captured workgroup.
    const vol = await workgroup.files({ disk: 0, partition: 1 });
    await vol.writeFile(ANSWER_FILE, UnattendDocument.create('amd64').toXml());
    const apply = execution(step(applyNetworkSettings, { joinType: 'domain', domainName: 'other.example', adapters: [] } as never), {
      variables: { ...w.vars(), OSDTargetSystemDrive: 'C:' },
    });
    expect(await applyNetworkSettingsHandler.run!({ x: apply.x, computer: workgroup, content: undefined as never })).toEqual({ exitCode: 0 });
    const xml = (await vol.readFile(ANSWER_FILE)).toString();
    expect(xml).toMatch(/<JoinWorkgroup>LAB<\/JoinWorkgroup>/);
    expect(xml).not.toMatch(/JoinDomain/);
  });
});
