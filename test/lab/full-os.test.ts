// Issue 13 item 1 on lab machines (NTFS disk images): the wizard's task sequence with its Setup
// Operating System group — Setup Windows and ConfigMgr records the answer file in the OS's
// registry, restarts into the OS, installs the client; the sequence carries on in the full OS
// (_SMSTSInWinPE false, variables carried over), a Run Command Line runs there for real, and
// smsts.log lands where osd-features §6.1 says. An x64 image on an x86-only machine fails at Setup
// Windows with the reason.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../src/actions/content.js';
import { OfflineRegistry } from '../../src/actions/os/registry.js';
import { KEYS, readInstalledSettings } from '../../src/actions/os/windows-setup.js';
import { bootLab } from '../../src/lab/boot.js';
import { createLab } from '../../src/lab/create.js';
import { formatInspection, inspectLab } from '../../src/lab/inspect.js';
import { makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import { runCommandLine } from '../../src/sequence/catalog/index.js';
import { catalogStep } from '../../src/sequence/wizard/generate/steps.js';
import { loadSiteManifest } from '../../src/sequence/site-manifest.js';
import type { TaskSequence } from '../../src/sequence/model/task-sequence.js';
import { answersSchema } from '../../src/sequence/wizard/answers.js';
import { generateInstallImageSequence } from '../../src/sequence/wizard/generate/index.js';

const MACHINES = resolve(__dirname, '../../examples/machines');
let dir: string;
let content: TestContent;

function wizardSequence(
  imageIndex: number,
  stateMigration: Record<string, unknown> = { captureUserSettings: false, captureNetworkSettings: false, captureWindowsSettings: false },
): TaskSequence {
  const site = loadSiteManifest(content.siteManifestPath);
  const answers = answersSchema.parse({
    taskSequence: { name: 'Lab full OS', bootImageId: content.bootImageId },
    installWindows: {
      imagePackageId: content.imagePackageId,
      imageIndex,
      configureBitLocker: false,
      localAdministrator: { mode: 'enabled', password: 'Lab-Pa55word!', confirmPassword: 'Lab-Pa55word!' },
    },
    configureNetwork: { join: 'workgroup', workgroup: 'LABWG' },
    installConfigMgr: { clientPackageId: content.clientPackageId, installationProperties: 'SMSMP=mp01.lab.test SMSCACHESIZE=5120' },
    stateMigration,
    includeUpdates: 'none',
  });
  const ts = generateInstallImageSequence(answers, site);
  // A command in the full OS after Setup Windows: it sees the OS's drive and the name Setup recorded.
  ts.items.push(
    catalogStep(runCommandLine, 'Stamp in the full OS', {
      commandLine: 'mkdir -p "$ProgramData/Lab" && echo "%OSDComputerName% %_SMSTSInWinPE%" > "$ProgramData/Lab/stamp.txt"',
    }),
  );
  return ts;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'osd-fullos-lab-'));
  content = await makeTestContent(join(dir, 'content'), { imageSizeMB: 4 });
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('Setup Windows and ConfigMgr on a UEFI x64 lab machine', () => {
  it('leaves Windows PE for the installed OS, with its settings recorded, the client installed and the log on the disk', async () => {
    const lab = await createLab(join(dir, 'labs'), 'uefi', { profilePath: join(MACHINES, 'uefi-x64-laptop-bare-metal.json'), disks: ['2G'] });
    const r = await bootLab(lab, {
      sequence: wizardSequence(2),
      sequenceName: 'wizard',
      content: new ContentLibrary(content.root),
      variables: [
        { name: 'OSDComputerName', value: 'LAB-PC-01' },
        { name: 'OSDTimeZone', value: 'W. Europe Standard Time' },
      ],
    });
    if (r.result !== 'success') throw new Error(`boot failed: ${r.message}\n${readFileSync(r.logPath, 'utf8').slice(-4000)}`);
    const setup = r.instructions.find((i) => i.name === 'Setup Windows and Configuration Manager')!;
    expect(setup).toMatchObject({ outcome: 'ran', runs: 2 });
    expect(setup.predicted).toBeUndefined();
    expect(r.reboots.map((b) => b.environment)).toContain('FullOS');
    expect(r.variables._SMSTSInWinPE).toBe('false');
    expect(r.variables._SMSTSLogPath).toBe('C:\\Windows\\CCM\\Logs\\SMSTSLog');

    const vol = await lab.volume('C:');
    const reg = await OfflineRegistry.open(vol);
    expect(await readInstalledSettings(reg)).toMatchObject({ computerName: 'LAB-PC-01', timeZone: 'W. Europe Standard Time', workgroup: 'LABWG' });
    expect(await reg.getDword(KEYS.administrator, 'Enabled')).toBe(1);
    expect(await reg.getString(KEYS.ccmSetup, 'LastValidMP')).toBe('mp01.lab.test');
    expect(await reg.getString(KEYS.ccmExec, 'ProvisioningMode')).toBe('true');
    expect(await vol.exists('Windows/Panther/Unattend/Unattend.xml')).toBe(false);
    expect((await vol.readFile('Windows/Panther/setupact.log')).toString()).toMatch(/computer name set to LAB-PC-01/);
    expect((await vol.readFile('Windows/ccmsetup/Logs/ccmsetup.log')).toString()).toMatch(/CcmSetup is exiting with return code 0/);
    // The command ran in the full OS, on the OS's volume.
    expect((await vol.readFile('ProgramData/Lab/stamp.txt')).toString()).toBe('LAB-PC-01 false\n');
    // smsts.log on the disk: the completed run's copy in CCM\Logs, the one from the restart in Smstslog.
    const log = (await vol.readFile('Windows/CCM/Logs/smsts.log')).toString();
    expect(log).toMatch(/Stamp in the full OS/);
    expect(log).toMatch(/Execution engine result code: Success/);
    expect((await vol.readFile('_SMSTaskSequence/Logs/Smstslog/smsts.log')).toString()).toMatch(/Setup Windows and Configuration Manager/);
    // osd lab inspect reads it back from the disk image.
    const inspected = await inspectLab(lab);
    const c = inspected.disks[0].partitions.find((p) => p.letter === 'C:')!;
    expect(c.os).toMatchObject({ computerName: 'LAB-PC-01', workgroup: 'LABWG', client: '5.00.9122.1000', administrator: 'enabled' });
    expect(c.keyFiles?.['Windows/CCM/Logs/smsts.log']).toBe(true);
    expect(formatInspection(inspected)).toMatch(
      /OS: LAB-PC-01, workgroup LABWG, W\. Europe Standard Time, ConfigMgr client 5\.00\.9122\.1000, Administrator enabled/,
    );
  }, 300_000);
});

describe('an x64 image on an x86-only machine', () => {
  it('fails at Setup Windows and ConfigMgr with 0x800700C1 and the reason, before leaving Windows PE', async () => {
    const lab = await createLab(join(dir, 'labs'), 'x86', { profilePath: join(MACHINES, 'bios-x86-desktop.json'), disks: ['2G'] });
    const r = await bootLab(lab, { sequence: wizardSequence(2), sequenceName: 'wizard', content: new ContentLibrary(content.root) });
    expect(r.result).toBe('failure');
    expect(r.exitCode).toBe(0x800700c1);
    expect(r.failedAt).toMatch(/Setup Windows and Configuration Manager/);
    expect(readFileSync(r.logPath, 'utf8')).toMatch(/is x64 \(PROCESSOR_ARCHITECTURE AMD64\) and cannot start on .*x86 \(32-bit\) only/);
    expect(r.reboots.map((b) => b.environment)).not.toContain('FullOS');
  }, 300_000);
});

describe('a refresh of a preinstalled lab machine', () => {
  it("captures the old OS's computer name, time zone and domain from its registry, and the new OS has them", async () => {
    const lab = await createLab(join(dir, 'labs'), 'refresh', {
      profilePath: join(MACHINES, 'win10-x64-refresh.json'),
      disks: ['2G'],
      preinstalledOs: `${content.wimPath}:2`,
    });
    const ts = wizardSequence(2, { captureUserSettings: false, captureNetworkSettings: true, captureWindowsSettings: true });
    const r = await bootLab(lab, { sequence: ts, sequenceName: 'refresh', content: new ContentLibrary(content.root) });
    if (r.result !== 'success') throw new Error(`boot failed: ${r.message}\n${readFileSync(r.logPath, 'utf8').slice(-4000)}`);
    expect(r.startedIn).toBe('FullOS');
    for (const name of ['Capture Windows Settings', 'Capture Network Settings', 'Setup Windows and Configuration Manager'])
      expect(r.instructions.find((i) => i.name === name && i.kind === 'step')?.predicted, name).toBeUndefined();
    const reg = await OfflineRegistry.open(await lab.volume('C:'));
    expect(await readInstalledSettings(reg)).toMatchObject({
      computerName: 'CTS-PC-0423',
      timeZone: 'W. Europe Standard Time',
      registeredOrganization: 'Contoso Ltd.',
      domain: 'corp.contoso.com',
    });
    // The new OS: the old one's Contoso key is gone with the old OS (Apply Operating System replaced it).
    expect(await reg.keyExists('HKLM\\SOFTWARE\\Contoso\\Build')).toBe(false);
  }, 300_000);
});
