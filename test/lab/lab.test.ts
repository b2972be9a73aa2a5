// Issue 5 acceptance: the wizard's task sequence (Setup Operating System disabled) booted on a
// UEFI x64 and a BIOS lab machine, checked with the tools an admin trusts; and the failures.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../src/actions/content.js';
import { bootLab } from '../../src/lab/boot.js';
import { createLab } from '../../src/lab/create.js';
import { renderSimulation } from '../../src/engine/simulate/report.js';
import { inspectLab } from '../../src/lab/inspect.js';
import { makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import { loadSiteManifest } from '../../src/sequence/site-manifest.js';
import type { Group, TaskSequence } from '../../src/sequence/model/task-sequence.js';
import { answersSchema } from '../../src/sequence/wizard/answers.js';
import { generateInstallImageSequence } from '../../src/sequence/wizard/generate/index.js';
import { parseXml } from '../../src/sequence/xml/reader.js';

const ROOT = resolve(__dirname, '../..');
const MACHINES = join(ROOT, 'examples/machines');
let dir: string;
let content: TestContent;

function wizardSequence(overrides: Record<string, unknown> = {}): TaskSequence {
  const site = loadSiteManifest(content.siteManifestPath);
  const answers = answersSchema.parse({
    taskSequence: { name: 'Lab install', bootImageId: content.bootImageId },
    installWindows: {
      imagePackageId: content.imagePackageId,
      imageIndex: 2,
      configureBitLocker: false,
      localAdministrator: { mode: 'enabled', password: 'Lab-Pa55word!', confirmPassword: 'Lab-Pa55word!' },
    },
    configureNetwork: { join: 'workgroup', workgroup: 'LABWG' },
    stateMigration: { captureUserSettings: false, captureNetworkSettings: false, captureWindowsSettings: false },
    includeUpdates: 'none',
    ...overrides,
  });
  const ts = generateInstallImageSequence(answers, site);
  // The full-OS steps come in a later issue: the acceptance disables their group.
  (ts.items.find((i) => i.kind === 'group' && i.name === 'Setup Operating System') as Group).disable = true;
  return ts;
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });

/** A partition's bytes in a file of its own, for the file-system tools. */
function extract(disk: string, startSector: number, sectors: number, out: string): string {
  run('dd', [`if=${disk}`, `of=${out}`, 'bs=1M', `skip=${startSector * 512}`, `count=${sectors * 512}`, 'iflag=skip_bytes,count_bytes', 'status=none']);
  return out;
}

function sfdiskJson(disk: string): {
  partitiontable: { label: string; partitions: Array<{ start: number; size: number; type: string; name?: string; bootable?: boolean }> };
} {
  return JSON.parse(run('sfdisk', ['--json', disk]));
}

function treeHash(folder: string): string {
  const h = createHash('sha256');
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(`${p}\0${statSync(p).size}\0${statSync(p).mtimeMs}\0`);
    }
  };
  walk(folder);
  return h.digest('hex');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'osd-lab-'));
  content = await makeTestContent(join(dir, 'content'));
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("the wizard's WinPE phase on a UEFI x64 laptop", () => {
  let disk: string;
  let contentHash: string;

  beforeAll(async () => {
    contentHash = treeHash(content.root);
    const lab = await createLab(join(dir, 'labs'), 'uefi', { profilePath: join(MACHINES, 'uefi-x64-laptop-bare-metal.json'), disks: ['2G'] });
    const r = await bootLab(lab, { sequence: wizardSequence(), sequenceName: 'wizard', content: new ContentLibrary(content.root) });
    if (r.result !== 'success') throw new Error(`boot failed: ${r.message}\n${readFileSync(r.logPath, 'utf8').slice(-3000)}`);
    disk = lab.diskPath(0);
  }, 180_000);

  it('sfdisk and sgdisk show the GPT layout of the spec: EFI, MSR, Windows, Recovery', () => {
    const t = sfdiskJson(disk).partitiontable;
    expect(t.label).toBe('gpt');
    expect(t.partitions.map((p) => p.type)).toEqual([
      'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
      'E3C9E316-0B5C-4DB8-817D-F92DF00215AE',
      'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7',
      'DE94BBA4-06D1-4D40-A16A-BFD50179D6AC',
    ]);
    expect(t.partitions[0].size).toBe((500 * 1024 * 1024) / 512);
    expect(t.partitions[1].size).toBe((128 * 1024 * 1024) / 512);
    expect(run('sgdisk', ['-v', disk])).toMatch(/No problems found/);
  });

  it('the ESP is a clean FAT32 file system', () => {
    const p = sfdiskJson(disk).partitiontable.partitions[0];
    const esp = extract(disk, p.start, p.size, join(dir, 'esp.img'));
    const r = spawnSync('fsck.fat', ['-n', esp], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it("the Windows partition holds the image's files, the answer file with the wizard's answers, and the staged drivers", () => {
    const p = sfdiskJson(disk).partitiontable.partitions[2];
    const win = extract(disk, p.start, p.size, join(dir, 'windows.img'));
    expect(run('ntfsls', ['-p', '/Windows/System32', win])).toMatch(/kernel32\.dll/);
    expect(run('ntfscat', [win, '/edition.txt'])).toMatch(/Enterprise/);
    const unattend = run('ntfscat', [win, '/Windows/Panther/Unattend/Unattend.xml']);
    const doc = parseXml(unattend, { input: 'Unattend.xml' });
    expect(doc.root.name).toBe('unattend');
    expect(unattend).toMatch(/<JoinWorkgroup>LABWG<\/JoinWorkgroup>/);
    expect(unattend).toMatch(/<TimeZone>Pacific Standard Time<\/TimeZone>/);
    expect(unattend).toMatch(/<RegisteredOrganization>CONSOLE<\/RegisteredOrganization>/);
    expect(unattend).toMatch(/processorArchitecture="amd64"/);
    expect(unattend).not.toMatch(/Lab-Pa55word!/);
    expect(unattend).toMatch(/<PlainText>false<\/PlainText>/);
    // Drivers matched on the laptop's hardware IDs are staged and listed.
    expect(run('ntfsls', ['-p', '/_SMSTaskSequence/drivers', win]).trim().split('\n').length).toBeGreaterThan(0);
    expect(run('ntfscat', [win, '/_SMSTaskSequence/PkgMgrTemp/drivers.xml'])).toMatch(/PnpCustomizationsNonWinPE/);
    expect(run('ntfsfix', ['-n', win])).not.toMatch(/error/i);
  });

  it('inspect reads it back, and the content library was not touched', async () => {
    const { LabMachine } = await import('../../src/lab/lab-machine.js');
    const r = await inspectLab(LabMachine.load(join(dir, 'labs', 'uefi')));
    const windows = r.disks[0].partitions[2];
    expect(windows.letter).toBe('C:');
    expect(windows.keyFiles?.['Windows/Panther/Unattend/Unattend.xml']).toBe(true);
    expect(r.boots.at(-1)?.result).toBe('success');
    expect(treeHash(content.root)).toBe(contentHash);
  });
});

describe('the same on a BIOS machine', () => {
  it('writes the MBR layout: System Reserved (active), Windows, Recovery', async () => {
    const lab = await createLab(join(dir, 'labs'), 'bios', { profilePath: join(MACHINES, 'bios-x86-desktop.json'), disks: ['2G'] });
    const site = { installWindows: { imagePackageId: content.imagePackageId, imageIndex: 1, configureBitLocker: false } };
    const r = await bootLab(lab, { sequence: wizardSequence(site), sequenceName: 'wizard', content: new ContentLibrary(content.root) });
    expect(r.result, r.message).toBe('success');
    const t = sfdiskJson(lab.diskPath(0)).partitiontable;
    expect(t.label).toBe('dos');
    expect(t.partitions.map((p) => [p.type, p.bootable === true])).toEqual([
      ['7', true],
      ['7', false],
      ['27', false],
    ]);
    const win = extract(lab.diskPath(0), t.partitions[1].start, t.partitions[1].size, join(dir, 'bios-win.img'));
    expect(run('ntfscat', [win, '/edition.txt'])).toMatch(/Education/);
  }, 180_000);
});

describe('failures: a clear message, a ConfigMgr code, nothing outside the machine touched', () => {
  const boot = async (name: string, ts: TaskSequence, contentRoot = content.root, disk = '2G') => {
    const lab = await createLab(join(dir, 'labs'), name, { profilePath: join(MACHINES, 'uefi-x64-laptop-bare-metal.json'), disks: [disk] });
    const r = await bootLab(lab, { sequence: ts, sequenceName: name, content: new ContentLibrary(contentRoot) });
    return { r, log: readFileSync(r.logPath, 'utf8') };
  };

  it('an image index that does not exist: 0x80070490, the indexes that do exist are named', async () => {
    const { r, log } = await boot(
      'bad-index',
      wizardSequence({ installWindows: { imagePackageId: content.imagePackageId, imageIndex: 7, configureBitLocker: false } }),
    );
    expect(r.result).toBe('failure');
    expect(r.exitCode >>> 0).toBe(0x80070490);
    expect(r.message).toMatch(/Apply Operating System/);
    expect(log).toMatch(/image index 7 does not exist.*1 - Windows 11 Education/);
  }, 120_000);

  it('a missing WIM: 0x80070002; a corrupt WIM: 0x80070570', async () => {
    const empty = join(dir, 'content-empty');
    run('mkdir', ['-p', join(empty, content.imagePackageId), join(empty, 'drivers')]);
    const missing = await boot('no-wim', wizardSequence(), empty);
    expect(missing.r.exitCode >>> 0).toBe(0x80070002);
    expect(missing.log).toMatch(/holds no \.wim file/);
    writeFileSync(join(empty, content.imagePackageId, 'install.wim'), 'this is not a WIM file at all');
    const corrupt = await boot('corrupt-wim', wizardSequence(), empty);
    expect(corrupt.r.exitCode >>> 0).toBe(0x80070570);
  }, 120_000);

  it('a catalog driver whose files are missing: 0x80070002, the driver named', async () => {
    // A copy of the library whose matching NIC driver lost its folder.
    const broken = join(dir, 'content-broken-driver');
    run('cp', ['-a', content.root, broken]);
    const catalog = JSON.parse(readFileSync(join(broken, 'drivers/catalog.json'), 'utf8')) as {
      drivers: Array<{ id: string; folder: string; hardwareIds: string[] }>;
    };
    const nic = catalog.drivers.find((d) => d.id === 'DRV00001')!;
    rmSync(join(broken, 'drivers', nic.folder), { recursive: true });
    const { r, log } = await boot('missing-driver', wizardSequence(), broken);
    expect(r.exitCode >>> 0).toBe(0x80070002);
    expect(r.failedAt).toMatch(/Apply Device Drivers/);
    expect(log).toMatch(/driver files are missing for DRV00001/);
  }, 120_000);

  it('a disk too small for the layout: 0x80070070 and the disk size in the message', async () => {
    const { r, log } = await boot('tiny', wizardSequence(), content.root, '256M');
    expect(r.exitCode >>> 0).toBe(0x80070070);
    expect(log).toMatch(/Partition Disk 0 - UEFI/);
  }, 120_000);
});

describe('a hand-written sequence: disk number and drive letter from variables, Run Command Line, Set Task Sequence Variable', () => {
  it('partitions disk 1 named by a variable, applies to the drive in a variable, runs a command with the variables', async () => {
    const out = join(dir, 'cmd-out.txt');
    const xml = `<sequence version="3.10"><group name="Lab" description="">
<step type="SMS_TaskSequence_SetVariableAction" name="Pick the disk" description="" runIn="WinPEandFullOS" successCodeList="0"><action>tsenv.exe "TargetDisk=1"</action><defaultVarList><variable name="VariableName" property="VariableName">TargetDisk</variable><variable name="VariableValue" property="VariableValue">1</variable></defaultVarList></step>
<step type="SMS_TaskSequence_PartitionDiskAction" name="Partition the data disk" description="" runIn="WinPE" successCodeList="0"><action>osddiskpart.exe</action><defaultVarList>
<variable name="OSDDiskIndex" property="DiskIndex">0</variable><variable name="OSDDiskIndexVariable" property="DiskIndexVariable">TargetDisk</variable><variable name="OSDPartitionStyle" property="PartitionStyle">MBR</variable><variable name="OSDPartitions" property="Partitions" hidden="true">1</variable>
<variable name="OSDPartitions0Type" property="Partitions0Type">Primary</variable><variable name="OSDPartitions0FileSystem" property="Partitions0FileSystem">NTFS</variable><variable name="OSDPartitions0QuickFormat" property="Partitions0QuickFormat">true</variable><variable name="OSDPartitions0VolumeName" property="Partitions0VolumeName">Data</variable><variable name="OSDPartitions0Size" property="Partitions0Size">100</variable><variable name="OSDPartitions0SizeUnits" property="Partitions0SizeUnits">Percent</variable><variable name="OSDPartitions0AssignVolumeLetter" property="Partitions0AssignVolumeLetter">true</variable><variable name="OSDPartitions0VolumeLetterVariable" property="Partitions0VolumeLetterVariable">DataDrive</variable>
</defaultVarList></step>
<step type="SMS_TaskSequence_ApplyOperatingSystemAction" name="Apply to the data drive" description="" runIn="WinPE" successCodeList="0"><action>OSDApplyOS.exe /image:${content.imagePackageId},%OSDImageIndex% /target:%DataDrive%</action><defaultVarList><variable name="OSDImageIndex" property="ImageIndex">3</variable><variable name="ImagePackageID" property="ImagePackageID" hidden="true">${content.imagePackageId}</variable><variable name="DestinationVariable" property="DestinationVariable" hidden="true">DataDrive</variable></defaultVarList></step>
<step type="SMS_TaskSequence_RunCommandLineAction" name="Record" description="" runIn="WinPEandFullOS" successCodeList="0"><action>smsswd.exe /run: echo "disk=%TargetDisk% drive=%DataDrive% os=%OSDTargetSystemDrive%" &gt; ${out}</action></step>
</group></sequence>`;
    const { importXmlText } = await import('../../src/sequence/codec/xml-import.js');
    const lab = await createLab(join(dir, 'labs'), 'two-disks', { profilePath: join(MACHINES, 'bios-x86-desktop.json'), disks: ['1G', '1G'] });
    const r = await bootLab(lab, { sequence: importXmlText(xml).sequence, sequenceName: 'hand-written', content: new ContentLibrary(content.root) });
    expect(r.result, r.message).toBe('success');
    expect(readFileSync(out, 'utf8').trim()).toBe('disk=1 drive=C: os=C:');
    // Disk 0 untouched (blank), disk 1 holds the Pro edition.
    expect(spawnSync('sfdisk', ['--json', lab.diskPath(0)]).status).not.toBe(0);
    const t = sfdiskJson(lab.diskPath(1)).partitiontable;
    const data = extract(lab.diskPath(1), t.partitions[0].start, t.partitions[0].size, join(dir, 'data.img'));
    expect(run('ntfscat', [data, '/edition.txt'])).toMatch(/Professional/);
  }, 120_000);

  it("a machine made with a preinstalled OS: the usual layout, the image and the profile's users on C:", async () => {
    const lab = await createLab(join(dir, 'labs'), 'refresh', {
      profilePath: join(MACHINES, 'win10-x64-refresh.json'),
      disks: ['2G'],
      preinstalledOs: `${content.wimPath}:2`,
    });
    const r = await inspectLab(lab);
    expect(r.disks[0].style).toBe('gpt');
    expect(r.disks[0].partitions.map((p) => p.kind)).toEqual(['efi', 'msr', 'primary']);
    const c = r.disks[0].partitions[2];
    expect(c.letter).toBe('C:');
    expect(c.keyFiles?.['Windows/System32/kernel32.dll']).toBe(true);
    const users = lab.profile.currentOs?.userProfiles.map((u) => u.name) ?? [];
    expect(users.length).toBeGreaterThan(0);
    const vol = await lab.volume('C:');
    for (const u of users) expect(await vol.exists(`Users/${u}/NTUSER.DAT`), u).toBe(true);
  }, 120_000);
});

describe('a refresh: what was done and what was only predicted (issue 11 item 7)', () => {
  it('reports the user-state steps as only predicted, with what was assumed, and counts them', async () => {
    const lab = await createLab(join(dir, 'labs'), 'refresh-report', {
      profilePath: join(MACHINES, 'win10-x64-refresh.json'),
      disks: ['2G'],
      preinstalledOs: `${content.wimPath}:2`,
    });
    const ts = wizardSequence({
      stateMigration: { captureUserSettings: true, saveTo: 'stateMigrationPoint', captureNetworkSettings: true, captureWindowsSettings: true },
    });
    const r = await bootLab(lab, { sequence: ts, sequenceName: 'refresh', content: new ContentLibrary(content.root) });
    expect(r.result, r.message).toBe('success');
    const capture = r.instructions.find((i) => i.name === 'Capture User Files and Settings' && i.kind === 'step')!;
    expect(capture).toMatchObject({ outcome: 'ran', predicted: true });
    expect(capture.assumed?.join(' ')).toMatch(/captures the chosen users' files/);
    // Apply Operating System was done, for real.
    expect(r.instructions.find((i) => i.name === 'Apply Operating System')).toMatchObject({ outcome: 'ran' });
    expect(r.instructions.find((i) => i.name === 'Apply Operating System')!.predicted).toBeUndefined();
    expect(r.predictedSteps).toBeGreaterThan(0);
    const text = renderSimulation(r, 'refresh');
    expect(text).toMatch(/^predicted\s+Capture User Files and Settings\n\s+↳ not done, only predicted: assumed the user state tool captures/m);
    expect(text).toMatch(new RegExp(`Steps: \\d+ done, ${r.predictedSteps} only predicted \\(not done\\)`));
    const log = readFileSync(r.logPath, 'utf8');
    expect(log).toMatch(/The action \(Capture User Files and Settings\) was not run: its outcome was predicted/);
    expect(log).not.toMatch(/Successfully completed the action \(Capture User Files and Settings\)/);
    expect(log).toMatch(/Successfully completed the action \(Apply Operating System\)/);
  }, 180_000);
});

describe('several lab machines from one profile', () => {
  it('--mac and --smbios-guid give a machine its own identity on the site; bad ones are refused before anything is made', async () => {
    const root = join(dir, 'labs-identity');
    const a = await createLab(root, 'one', {
      profilePath: join(MACHINES, 'uefi-x64-laptop-bare-metal.json'),
      disks: ['128M'],
      mac: '00-15-5d-00-00-02',
      smbiosGuid: '{4c4c4544-0058-4b10-8032-b7c04f515732}',
    });
    const profile = JSON.parse(readFileSync(join(a.dir, 'profile.json'), 'utf8')) as { uuid: string; networkAdapters: Array<{ mac: string }> };
    expect(profile.networkAdapters[0]!.mac).toBe('00:15:5D:00:00:02');
    expect(profile.uuid).toBe('4C4C4544-0058-4B10-8032-B7C04F515732');
    await expect(createLab(root, 'two', { profilePath: join(MACHINES, 'uefi-x64-laptop-bare-metal.json'), disks: ['128M'], mac: 'not-a-mac' })).rejects.toThrow(
      /--mac not-a-mac: not a MAC address/,
    );
    await expect(
      createLab(root, 'two', { profilePath: join(MACHINES, 'uefi-x64-laptop-bare-metal.json'), disks: ['128M'], smbiosGuid: '1234' }),
    ).rejects.toThrow(/--smbios-guid 1234: not a GUID/);
    expect(readdirSync(root)).toEqual(['one']);
  });
});
