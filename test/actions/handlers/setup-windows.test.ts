// Setup Windows and ConfigMgr on a computer in folders: the test OS tree on C:, the answer file the
// apply steps wrote, the client package in a content library. Run one in Windows PE (Setup records
// the answer file in the OS's registry and asks for the restart), run two in the full OS (the
// Administrator's state, the answer file's secrets gone, the client installed with its properties).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DirectoryComputer } from '../../../src/actions/directory-computer.js';
import { ContentLibrary } from '../../../src/actions/content.js';
import { failureResult } from '../../../src/actions/errors.js';
import { ANSWER_FILE } from '../../../src/actions/handlers/answer-file.js';
import { applyNetworkSettingsHandler } from '../../../src/actions/handlers/apply-network-settings.js';
import { applyWindowsSettingsHandler } from '../../../src/actions/handlers/apply-windows-settings.js';
import { CACHED_ANSWER_FILE, CCMSETUP_LOG, SETUP_LOG, setupWindowsHandler, WRONG_ARCHITECTURE } from '../../../src/actions/handlers/setup-windows.js';
import { OfflineRegistry } from '../../../src/actions/os/registry.js';
import { checkPassword, KEYS, readInstalledSettings, readInterfaces } from '../../../src/actions/os/windows-setup.js';
import { UnattendDocument } from '../../../src/actions/unattend/index.js';
import type { Environment } from '../../../src/engine/environment.js';
import { PACKAGE_IDS, writeClientPackage } from '../../../src/lab/test-content/packages.js';
import { writeWindowsTree } from '../../../src/lab/test-content/windows-tree.js';
import { applyNetworkSettings, applyWindowsSettings, setupWindows } from '../../../src/sequence/catalog/index.js';
import { directoryComputer, execution, profile, step } from './helpers.js';

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'osd-setup-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
};

let library: ContentLibrary | undefined;
async function content(): Promise<ContentLibrary> {
  if (!library) {
    const root = tmp();
    await writeClientPackage(root);
    library = new ContentLibrary(root);
  }
  return library;
}

/** C: holds the test OS (of `osArch`) and the answer file Apply Operating System wrote. */
async function deployed(machine = 'uefi-x64-laptop-bare-metal.json', osArch: 'x64' | 'x86' = 'x64'): Promise<DirectoryComputer> {
  const c = directoryComputer(profile(machine));
  cleanups.push(c.cleanup);
  const [v] = await c.computer.writeLayout(0, { style: 'gpt', partitions: [{ kind: 'primary', name: 'Windows' }] });
  await c.computer.format(v, 'NTFS', 'Windows');
  const tree = tmp();
  await writeWindowsTree(tree, { index: 1, name: 'Windows 11 Enterprise', editionId: 'Enterprise' }, osArch, 0);
  const vol = await c.computer.files(v);
  await vol.copyIn(tree, '');
  await vol.writeFile(ANSWER_FILE, UnattendDocument.create(osArch === 'x64' ? 'amd64' : 'x86').toXml());
  c.computer.setDrives([{ letter: 'C:', disk: 0, partition: 1 }]);
  return c.computer;
}

/** The apply steps, then Setup Windows and ConfigMgr's first run; the variables carry on as the journal would. */
async function throughSetup(computer: DirectoryComputer, variables: Record<string, string>, windows: Parameters<typeof step<never>>[1] = {} as never) {
  const lib = await content();
  const aw = execution(step(applyWindowsSettings, windows as never), { variables: { OSDTargetSystemDrive: 'C:', ...variables } });
  expect(await applyWindowsSettingsHandler.run!({ x: aw.x, computer, content: lib })).toEqual({ exitCode: 0 });
  const an = execution(step(applyNetworkSettings, { joinType: 'workgroup', workgroupName: 'LabWG', adapters: [] }), { variables: aw.vars() });
  expect(await applyNetworkSettingsHandler.run!({ x: an.x, computer, content: lib })).toEqual({ exitCode: 0 });
  const env: Environment = aw.env;
  const s = step(setupWindows, {
    clientPackageId: PACKAGE_IDS.clientPackage,
    clientInstallProperties: 'SMSMP=mp01.contoso.com SMSCACHESIZE=10240 "FSP=fsp 01"',
  });
  const first = execution(s, { variables: { ...aw.vars(), ...copyBuiltIns(env) } });
  const r1 = await setupWindowsHandler.run!({ x: first.x, computer, content: lib }).catch(failureResult);
  return { r1, first, s, lib };
}

function copyBuiltIns(env: Environment): Record<string, string> {
  const v = env.get('_OSDAdminAccountState');
  return v ? { _OSDAdminAccountState: v } : {};
}

describe('Setup Windows and ConfigMgr', () => {
  it('records the answer file in the OS as Windows Setup would, restarts, then installs the client in the full OS', async () => {
    const computer = await deployed();
    const { r1, first, s, lib } = await throughSetup(
      computer,
      {
        OSDComputerName: 'PC-%Serial%',
        Serial: '0042',
        _SMSTSSiteCode: 'P01',
        OSDAdapterCount: '1',
        OSDAdapter0EnableDHCP: 'false',
        OSDAdapter0IPAddressList: '10.1.2.50',
        OSDAdapter0SubnetMask: '255.255.255.0',
        OSDAdapter0Gateways: '10.1.2.1',
        OSDAdapter0DNSServerList: '10.1.2.10,10.1.2.11',
        OSDAdapter0DNSDomain: 'contoso.com',
        OSDAdapter0MacAddress: '00:15:5D:01:02:03',
      },
      {
        uiLanguage: 'de-DE',
        userLocale: 'de-CH',
        inputLocale: '0807:00000807',
        registeredUserName: 'IT',
        registeredOrgName: 'Contoso',
        timeZone: 'W. Europe Standard Time',
        randomAdminPassword: false,
        adminPassword: 'S3cret!pass',
        productKey: 'ABCDE-FGHIJ-KLMNO-PQRST-VWXYZ',
      } as never,
    );
    expect(r1).toMatchObject({
      exitCode: 0,
      restart: { target: 'HD', rerun: true, stepState: { phase: 'setup-complete', drive: 'C:', adminAccount: 'enabled', arch: 'x64' } },
    });
    const vol = await computer.files({ disk: 0, partition: 1 });
    let reg = await OfflineRegistry.open(vol);
    expect(await readInstalledSettings(reg)).toEqual({
      computerName: 'PC-0042',
      registeredOwner: 'IT',
      registeredOrganization: 'Contoso',
      timeZone: 'W. Europe Standard Time',
      workgroup: 'LABWG',
    });
    expect(await reg.getString(KEYS.tcpip, 'Hostname')).toBe('PC-0042');
    expect(await readInterfaces(reg)).toEqual([
      {
        identifier: '00-15-5D-01-02-03',
        dhcp: false,
        addresses: ['10.1.2.50/24'],
        gateways: ['10.1.2.1'],
        dnsServers: ['10.1.2.10', '10.1.2.11'],
        dnsDomain: 'contoso.com',
      },
    ]);
    expect(await reg.getString(KEYS.licensing, 'PartialProductKey')).toBe('VWXYZ');
    expect(await reg.get(KEYS.muiSettings, 'PreferredUILanguages')).toEqual({ type: 'REG_MULTI_SZ', data: ['de-DE'] });
    expect(await reg.getString(KEYS.defaultInternational, 'LocaleName')).toBe('de-CH');
    expect(await reg.getString(KEYS.defaultKeyboard, '1')).toBe('00000807');
    // The Administrator: a password hash, never the password; disabled until the post-setup phase.
    const hash = (await reg.getString(KEYS.administrator, 'PasswordHash'))!;
    expect(checkPassword('S3cret!pass', hash)).toBe(true);
    expect(checkPassword('wrong', hash)).toBe(false);
    expect(await reg.getDword(KEYS.administrator, 'Enabled')).toBe(0);
    const sam = (await vol.readFile('Windows/System32/config/SAM')).toString('utf8');
    expect(sam).not.toContain('S3cret');
    // Setup's log and its cached answer file: no secrets.
    const setupact = (await vol.readFile(SETUP_LOG)).toString('utf8');
    expect(setupact).toMatch(/\[windeploy\.exe\] Specialize: computer name set to PC-0042\r\n/);
    expect(setupact).not.toMatch(/S3cret|ABCDE-FGHIJ/);
    const cached = (await vol.readFile(CACHED_ANSWER_FILE)).toString('utf8');
    expect(cached).toMatch(/<ComputerName>PC-0042<\/ComputerName>/);
    expect(cached).toMatch(/<Value>\*SENSITIVE\*DATA\*DELETED\*<\/Value>/);
    expect(first.logs.join('\n')).not.toMatch(/S3cret/);

    // The second run, in the full OS after the restart.
    const second = execution(s, { variables: first.vars(), environment: 'FullOS' });
    second.x.resumed = { stepState: r1.restart!.stepState };
    expect(await setupWindowsHandler.run!({ x: second.x, computer, content: lib })).toEqual({ exitCode: 0 });
    reg = await OfflineRegistry.open(vol);
    expect(await reg.getDword(KEYS.administrator, 'Enabled')).toBe(1);
    expect(await vol.exists(ANSWER_FILE)).toBe(false);
    expect(await vol.exists('Windows/ccmsetup/client/x64/client.msi')).toBe(true);
    expect(await vol.exists('Windows/CCM/Logs')).toBe(true);
    expect(await reg.getString(KEYS.mobileClient, 'ProductVersion')).toBe('5.00.9122.1000');
    expect(await reg.getString(KEYS.mobileClient, 'AssignedSiteCode')).toBe('P01');
    expect(await reg.getString(KEYS.ccmSetup, 'LastValidMP')).toBe('mp01.contoso.com');
    expect(await reg.getString(KEYS.ccmSetup, 'LastSuccessfulInstallParams')).toBe('SMSMP=mp01.contoso.com SMSCACHESIZE=10240 "FSP=fsp 01"');
    expect(await reg.getString(KEYS.ccmExec, 'ProvisioningMode')).toBe('true');
    const ccmsetup = (await vol.readFile(CCMSETUP_LOG)).toString('utf8');
    expect(ccmsetup).toMatch(/<!\[LOG\[Installation property FSP=fsp 01\]LOG\]!>/);
    expect(ccmsetup).toMatch(/CcmSetup is exiting with return code 0/);
  });

  it('disables the Administrator with the random password, and names a random computer for *', async () => {
    const computer = await deployed('bios-x64-desktop-bare-metal.json', 'x86');
    const { r1, s, first, lib } = await throughSetup(computer, { OSDComputerName: '*' });
    expect(r1).toMatchObject({ exitCode: 0, restart: { stepState: { adminAccount: 'disabled', arch: 'x86' } } });
    const second = execution(s, { variables: first.vars(), environment: 'FullOS' });
    second.x.resumed = { stepState: r1.restart!.stepState };
    expect(await setupWindowsHandler.run!({ x: second.x, computer, content: lib })).toEqual({ exitCode: 0 });
    const reg = await OfflineRegistry.open(await computer.files({ disk: 0, partition: 1 }));
    expect(await reg.getString(KEYS.computerName, 'ComputerName')).toMatch(/^DESKTOP-[A-Z0-9]{7}$/);
    expect(await reg.getDword(KEYS.administrator, 'Enabled')).toBe(0);
    expect(await reg.getString(KEYS.administrator, 'PasswordHash')).toMatch(/^scrypt\$/);
    // An x86 OS: the client's i386 installer.
    expect(await computer.files({ disk: 0, partition: 1 }).then((v) => v.exists('Windows/ccmsetup/client/i386/client.msi'))).toBe(true);
  });

  it('fails HERE, before the restart, for an OS the processor cannot run (0x800700C1)', async () => {
    // An x64 OS on the x86-only desktop.
    const computer = await deployed('bios-x86-desktop.json', 'x64');
    const { r1 } = await throughSetup(computer, {});
    expect(r1.exitCode).toBe(WRONG_ARCHITECTURE);
    expect(r1.message).toMatch(
      /the operating system on C: is x64 \(PROCESSOR_ARCHITECTURE AMD64\) and cannot start on .*: this computer's processor is x86 \(32-bit\) only/,
    );
    expect(r1.restart).toBeUndefined();
    // An x86 OS on 64-bit UEFI firmware.
    const uefi = await deployed('uefi-x64-laptop-bare-metal.json', 'x86');
    expect((await throughSetup(uefi, {})).r1).toMatchObject({
      exitCode: WRONG_ARCHITECTURE,
      message: expect.stringMatching(/64-bit UEFI firmware cannot start 32-bit Windows/),
    });
  });

  it('refuses without the client package, without an installed OS, and outside Windows PE', async () => {
    const computer = await deployed();
    const lib = await content();
    const noPkg = execution(step(setupWindows, {}), { variables: { OSDTargetSystemDrive: 'C:' } });
    expect(await setupWindowsHandler.run!({ x: noPkg.x, computer, content: lib }).catch(failureResult)).toMatchObject({
      exitCode: 0x80070057,
      message: expect.stringMatching(/no ConfigMgr client package/),
    });
    const missing = execution(step(setupWindows, { clientPackageId: 'XYZ00099' }), { variables: { OSDTargetSystemDrive: 'C:' } });
    expect(await setupWindowsHandler.run!({ x: missing.x, computer, content: lib }).catch(failureResult)).toMatchObject({
      exitCode: 0x80070002,
      message: expect.stringMatching(/package XYZ00099 is not available/),
    });
    const badProps = execution(step(setupWindows, { clientPackageId: PACKAGE_IDS.clientPackage, clientInstallProperties: 'SMSMP="mp01' }), {
      variables: { OSDTargetSystemDrive: 'C:' },
    });
    expect(await setupWindowsHandler.run!({ x: badProps.x, computer, content: lib }).catch(failureResult)).toMatchObject({
      exitCode: 0x80070057,
      message: expect.stringMatching(/a quote is not closed/),
    });
    const full = execution(step(setupWindows, { clientPackageId: PACKAGE_IDS.clientPackage }), {
      variables: { OSDTargetSystemDrive: 'C:' },
      environment: 'FullOS',
    });
    expect(await setupWindowsHandler.run!({ x: full.x, computer, content: lib }).catch(failureResult)).toMatchObject({ exitCode: 0x80070032 });

    // A volume with an answer file but no Windows.
    const c = directoryComputer();
    cleanups.push(c.cleanup);
    const [v] = await c.computer.writeLayout(0, { style: 'gpt', partitions: [{ kind: 'primary', name: 'Windows' }] });
    await c.computer.format(v, 'NTFS', 'Windows');
    await (await c.computer.files(v)).writeFile(ANSWER_FILE, UnattendDocument.create('amd64').toXml());
    c.computer.setDrives([{ letter: 'C:', disk: 0, partition: 1 }]);
    const bare = execution(step(setupWindows, { clientPackageId: PACKAGE_IDS.clientPackage }), { variables: { OSDTargetSystemDrive: 'C:' } });
    expect(await setupWindowsHandler.run!({ x: bare.x, computer: c.computer, content: lib }).catch(failureResult)).toMatchObject({
      exitCode: 0x80070002,
      message: expect.stringMatching(/C: holds no installed Windows: .*the SOFTWARE hive/),
    });
  });
});
