// Refresh through the agent against a real `osd server` process (issue 13 acceptance "Refresh" and
// "the same refresh with hard links"): the site holds the test OS image, the client and USMT
// packages, a boot image, three applications allowed for task-sequence install (two good, one whose
// install command fails), software updates with payloads deployed Required to the computers'
// collection (applicable ones, one for another architecture, one applicable but not deployed) and
// its state migration point with a storage folder here and a retention of one hour. A preinstalled
// lab machine with two users holding files (documents, a settings file, a file over 100 MB, non-ASCII
// names) runs the wizard's task sequence from its full OS (`osd lab boot NAME --site URL`); afterwards
// the new OS is read through the lab machine's volume and its registry: the users' files with the
// same SHA-256 and times, the store released and deleted once its retention ran out (a server
// started two hours later), exactly the applicable deployed updates recorded, the good applications
// detected, the failed one in the log with _TSAppInstallStatus, the captured computer name and time
// zone. Then the same refresh with hard links: no store at the site, nothing uploaded, nothing lost.
// Then a replace on lab machines (issue 13 acceptance "Replace"): an old preinstalled machine captures
// to the state migration point, a bare-metal replacement imported with it as its source computer (a
// computer association) restores it through the wizard's sequence, and a third computer asking for a
// store is refused (0x80070490, audited) with nothing restored.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VolumeFiles } from '../../src/actions/computer.js';
import { OfflineRegistry } from '../../src/actions/os/registry.js';
import { readInstalledSettings } from '../../src/actions/os/windows-setup.js';
import { CBS_INSTALLED, CBS_PACKAGES } from '../../src/actions/software/updates.js';
import { PROFILE_LIST } from '../../src/actions/user-state/profiles.js';
import { createLab } from '../../src/lab/create.js';
import { LabMachine } from '../../src/lab/lab-machine.js';
import { makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import { generatedBytes, type LabUsers } from '../../src/lab/users.js';
import { captureUserState, releaseStateStore, requestStateStore, restoreUserState } from '../../src/sequence/catalog/index.js';
import { exportJsonText } from '../../src/sequence/codec/json.js';
import type { TaskSequence } from '../../src/sequence/model/task-sequence.js';
import { step } from '../actions/handlers/helpers.js';
import { adminTools, callServer, runLab, startServer, stopServer, type StartedServer } from '../helpers/osd-server.js';
import { tempDir } from '../helpers/temp.js';
import { makeWim, WINPE_PROPERTIES } from '../site/objects/fixtures.js';

const ROOT = resolve(__dirname, '../..');
const MACHINES = join(ROOT, 'examples/machines');
const CLOCK_SHIFT = join(ROOT, 'test/helpers/clock-shift.mjs');
const MAC_SMP = '00:15:5D:0D:13:01';
const MAC_LINKS = '00:15:5D:0D:13:02';
const BIG = 100 * 1024 * 1024 + 4099; // over 100 MB, generated (incompressible) bytes
const HOUR = 3_600_000;

// Updates: two applicable to the test OS (Windows 11 build 22631, x64) and deployed — one asks for
// a restart —, one deployed for arm64 only, one applicable but deployed to no collection.
const U_CU = '5a1f0c2e-7b3d-4e51-9a6c-0d2e4f6a8b01';
const U_NET = '5a1f0c2e-7b3d-4e51-9a6c-0d2e4f6a8b02';
const U_ARM = '5a1f0c2e-7b3d-4e51-9a6c-0d2e4f6a8b03';
const U_UNDEPLOYED = '5a1f0c2e-7b3d-4e51-9a6c-0d2e4f6a8b04';

const users = (sidBase: string): LabUsers => ({
  users: [
    {
      name: 'jdoe',
      sid: `${sidBase}-15231`,
      kind: 'domain',
      domain: 'CONTOSO',
      files: [
        { path: 'Documents/Q3 report.docx', text: 'Q3 numbers\r\n', modified: '2024-05-02T09:20:11Z' },
        { path: 'Documents/Größe – 日本語 résumé.txt', text: 'Grüße aus Zürich – 東京\n', modified: '2023-11-30T23:59:58Z' },
        { path: 'Documents/Projekte/Übersicht.xlsx', size: 70_000, seed: 3, modified: '2022-01-15T08:00:00Z' },
        { path: 'Videos/Firmenfeier 2023.mp4', size: BIG, seed: 11, modified: '2023-12-20T18:30:00Z' },
        { path: 'Desktop/readonly.txt', text: 'keep me', readonly: true, modified: '2024-04-01T10:00:00Z' },
        // A settings file: the profile's own files are captured (user-state.md §2.2 "standard").
        { path: '.gitconfig', text: '[user]\n\tname = Jane Doe\n', modified: '2024-02-29T12:00:00Z' },
      ],
    },
    {
      name: 'åsa.öberg',
      sid: `${sidBase}-17001`,
      kind: 'domain',
      domain: 'CONTOSO',
      files: [
        { path: 'Documents/Notizen – Ålesund.txt', text: 'ñ ø ß 😀\n', modified: '2024-03-18T16:05:10Z' },
        { path: 'Pictures/Katze.jpg', size: 300_000, seed: 5, modified: '2021-07-04T07:04:07Z' },
        { path: 'Desktop/todo.txt', text: '1. refresh\n', modified: '2024-05-01T00:00:00Z' },
        { path: 'settings.ini', text: '[view]\ntheme=dark\n', modified: '2024-01-02T03:04:05Z' },
      ],
    },
  ],
});

let dir: string;
let content: TestContent;
let server: StartedServer;
let serverPort: string;
let dpPort: string;
let smpFolder: string;
let smpResourceId: number;
let linksResourceId: number;
let smpDeployment: string;
let linksDeployment: string;
let updatesPackage: string;
let appPackages: string[];
let refreshStoreId: string;
let usmtPackage: string;
let smpTaskSequence: string;

const { osd, api } = adminTools(() => server);
const idOf = (v: { package?: { packageId?: string }; packageId?: string; id?: string }) => (v.package?.packageId ?? v.packageId ?? v.id) as string;

const osdLab = (args: string[], env: { OSD_LAB_DIR: string }) => runLab(env.OSD_LAB_DIR, args);

/** A folder with these files (the applications' and updates' sources). */
function folder(name: string, files: Record<string, string | Buffer>): string {
  const d = join(dir, 'sources', name);
  mkdirSync(d, { recursive: true });
  for (const [f, data] of Object.entries(files)) writeFileSync(join(d, f), data);
  return d;
}

/** A script application: writes Program Files/<dir>/<file> and exits with `code`. */
function appScript(dirName: string, file: string, code: number): string {
  return `set -e\nmkdir -p "$ProgramFiles/${dirName}"\necho "installed" > "$ProgramFiles/${dirName}/${file}"\necho "${dirName} installer done"\nexit ${code}\n`;
}

interface Snapshot {
  path: string;
  size: number;
  sha256: string;
  modifiedMs: number;
  createdMs?: number;
  attributes: string[];
}

async function sha256(vol: VolumeFiles, path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of await vol.openRead(path)) h.update(c as Buffer);
  return h.digest('hex');
}

/** Every file the users fixture wrote, read back from the volume (size, SHA-256, times, attributes). */
async function snapshot(vol: VolumeFiles, fixture: LabUsers): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  for (const u of fixture.users)
    for (const f of u.files) {
      const path = `Users/${u.name}/${f.path}`;
      const meta = await vol.stat(path);
      expect(meta, `${path} on the volume`).toBeDefined();
      out.push({
        path,
        size: meta!.size,
        sha256: await sha256(vol, path),
        modifiedMs: meta!.modifiedMs,
        createdMs: meta!.createdMs,
        attributes: meta!.attributes.filter((a) => a === 'readonly' || a === 'hidden').sort(),
      });
    }
  return out;
}

async function expectedSha(size: number, seed: number): Promise<string> {
  const h = createHash('sha256');
  for await (const c of generatedBytes(size, seed)) h.update(c);
  return h.digest('hex');
}

/**
 * The installed updates the OS records (docs/software-updates.md "Installing"): the UpdateId of every
 * servicing package in state Installed (0x70), its payload in Windows\servicing\Packages\<package>.
 */
async function installedUpdates(reg: OfflineRegistry, vol: VolumeFiles): Promise<string[]> {
  const ids: string[] = [];
  for (const sub of await reg.subkeys(CBS_PACKAGES)) {
    const id = await reg.getString(`${CBS_PACKAGES}\\${sub}`, 'UpdateId');
    if (!id) continue;
    expect(await reg.getDword(`${CBS_PACKAGES}\\${sub}`, 'CurrentState'), sub).toBe(CBS_INSTALLED);
    expect(await vol.exists(`Windows/servicing/Packages/${sub}`), `${sub} payload`).toBe(true);
    ids.push(id.toLowerCase());
  }
  return ids.sort();
}

async function siteLog(resourceId: number): Promise<{ run: any; log: string }> {
  const runs = await api('GET', `/devices/${resourceId}/runs`);
  const run = (runs.runs ?? runs)[0];
  const res = await fetch(`${server.url}/api/v1/devices/${resourceId}/runs/${run.runId}/logs/smsts.log`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
  expect(res.status).toBe(200);
  return { run, log: await res.text() };
}

async function dpServed(): Promise<Record<string, number>> {
  const dps = JSON.stringify(await api('GET', '/distribution-points'));
  const url = dps.match(/http:\/\/[^"]+?:\d+/)![0];
  const stats = (await (await fetch(`${url}/stats`)).json()) as { packages?: Record<string, { bytes?: number } | number> };
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(stats.packages ?? stats)) out[k] = typeof v === 'number' ? v : (v?.bytes ?? 0);
  return out;
}

beforeAll(async () => {
  dir = tempDir('osd-refresh-e2e-');
  content = await makeTestContent(join(dir, 'content'), { imageSizeMB: 1 });
  smpFolder = join(dir, 'smp');
  server = await startServer(join(dir, 'site'), ['--local-dp-port', '0']);
  serverPort = new URL(server.url).port;
  dpPort = JSON.stringify(await api('GET', '/distribution-points')).match(/http:\/\/[^"]+?:(\d+)/)![1]!;

  // The OS image, a boot image, the built-in client and USMT packages with the test content's files.
  const imageId = idOf(JSON.parse(await osd('image', 'add', content.wimPath, '--name', 'Windows 11 Enterprise', '--json')));
  const bootWim = await makeWim(join(dir, 'boot'), 'boot.wim', [
    { name: 'Microsoft Windows PE (x64)', description: 'WinPE', properties: WINPE_PROPERTIES(9, [10, 0, 22621]), payload: 'winpe' },
  ]);
  const bootId = idOf(JSON.parse(await osd('boot-image', 'add', bootWim, '--json')));
  const packages = JSON.parse(await osd('package', 'list', '--json')) as Array<{ packageId: string; name: string }>;
  const client = packages.find((p) => p.name === 'Configuration Manager Client Package')!.packageId;
  const usmt = packages.find((p) => /User State Migration Tool/.test(p.name))!.packageId;
  await osd('package', 'set-content', client, join(content.root, content.clientPackageId));
  await osd('package', 'set-content', usmt, join(content.root, content.usmtPackageId));
  usmtPackage = usmt;

  // Three applications a task sequence may install: two good, one whose installer exits 1603.
  const apps = [
    { name: 'Contoso Notes', dir: 'Contoso Notes', file: 'notes.txt', code: 0 },
    { name: 'Fabrikam Viewer', dir: 'Fabrikam', file: 'viewer.txt', code: 0 },
    { name: 'Litware Broken Tool', dir: 'Litware', file: 'tool.txt', code: 1603 },
  ];
  appPackages = [];
  for (const a of apps) {
    const src = folder(a.name, {
      'install.sh': a.code === 0 ? appScript(a.dir, a.file, 0) : `echo "Litware setup: error 1603" >&2\necho 1603 > "$OSD_EXIT_CODE_FILE"\nexit 67\n`,
    });
    const r = JSON.parse(
      await osd(
        'app',
        'add',
        a.name,
        '--source',
        src,
        '--allow-ts',
        '--script',
        'sh install.sh',
        '--detect-file',
        `%ProgramFiles%\\${a.dir}\\${a.file}`,
        '--json',
      ),
    );
    expect(r.taskSequenceReady?.ok, JSON.stringify(r)).toBe(true);
    const view = (await api('GET', `/applications`)).find((x: { ciId: number }) => x.ciId === r.ciId);
    appPackages.push(view.packageId ?? r.packageId);
  }

  // Software updates with their payloads (a deployment package).
  const payloads = folder('updates', {
    'windows11.0-kb5031001-x64.msu': Buffer.from('cumulative update payload '.repeat(1000)),
    'windows11.0-kb5031002-x64.msu': Buffer.from('.NET update payload '.repeat(500)),
    'windows11.0-kb5031003-arm64.msu': Buffer.from('arm64 update payload'),
    'windows11.0-kb5031004-x64.msu': Buffer.from('not deployed payload'),
  });
  const meta = join(dir, 'sources', 'updates.json');
  const win11 = { minOsBuild: 22000 };
  writeFileSync(
    meta,
    JSON.stringify({
      updates: [
        { updateId: U_CU, articleId: '5031001', title: '2023-10 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems', classification: 'Security Updates', products: ['Windows 11'], applicability: { ...win11, architectures: ['x64'] }, files: [{ name: 'windows11.0-kb5031001-x64.msu' }] },
        { updateId: U_NET, articleId: '5031002', title: '2023-10 Cumulative Update for .NET Framework for Windows 11', classification: 'Updates', products: ['Windows 11'], applicability: win11, restartRequired: true, files: [{ name: 'windows11.0-kb5031002-x64.msu' }] },
        { updateId: U_ARM, articleId: '5031003', title: '2023-10 Cumulative Update for Windows 11 for ARM64-based Systems', classification: 'Security Updates', products: ['Windows 11'], applicability: { ...win11, architectures: ['arm64'] }, files: [{ name: 'windows11.0-kb5031003-arm64.msu' }] },
        { updateId: U_UNDEPLOYED, articleId: '5031004', title: '2023-10 Update for Windows 11 (not deployed)', classification: 'Updates', products: ['Windows 11'], applicability: win11, files: [{ name: 'windows11.0-kb5031004-x64.msu' }] },
      ],
    }),
  ); // prettier-ignore
  updatesPackage = JSON.parse(await osd('update', 'import', meta, '--content', payloads, '--package-name', 'Updates 2023-10', '--json')).packageId as string;
  expect(updatesPackage).toMatch(/^[A-Z0-9]{3}[0-9A-F]{5}$/);

  await osd('distribute', imageId, bootId, client, usmt, updatesPackage, ...appPackages, '--dp', 'local', '--wait');

  // The state migration point: a storage folder here, stores deleted one hour after their restore.
  await osd('smp', 'set', '--folder', `${smpFolder},max-clients=10,min-free=1MB`, '--delete-after', '1h');

  // The computers, imported by MAC; both in the collection the updates are deployed to.
  const col = async (name: string) => (await api('POST', '/collections', { name })).collection.collectionId as string;
  const smpCol = await col('Refresh to the SMP');
  const linksCol = await col('Refresh with hard links');
  smpResourceId = (await api('POST', '/devices', { name: 'CTS-PC-0423', mac: MAC_SMP, collectionId: smpCol })).device.resourceId as number;
  linksResourceId = (await api('POST', '/devices', { name: 'CTS-PC-0424', mac: MAC_LINKS, collectionId: linksCol })).device.resourceId as number;
  const patchCol = (
    await api('POST', '/collections', {
      name: 'Patch ring 1',
      rules: [
        { kind: 'direct', resourceId: smpResourceId },
        { kind: 'direct', resourceId: linksResourceId },
      ],
    })
  ).collection.collectionId as string;
  await api('POST', '/software-update-deployments', {
    name: '2023-10 updates',
    collectionId: patchCol,
    purpose: 'required',
    deadline: new Date(Date.now() + 86_400_000).toISOString(),
    updateIds: [U_CU, U_NET, U_ARM],
  });

  // The wizard's task sequence on the site (its content named by the site), two ways to keep the users' state.
  const wizard = async (name: string, stateMigration: Record<string, unknown>) => {
    const answers = join(dir, `${name}.json`);
    writeFileSync(
      answers,
      JSON.stringify({
        taskSequence: { name, bootImageId: bootId },
        installWindows: { imagePackageId: imageId, imageIndex: 2, configureBitLocker: false },
        configureNetwork: { join: 'workgroup', workgroup: 'WORKGROUP' },
        installConfigMgr: { clientPackageId: client, installationProperties: 'SMSMP=cm01.corp.contoso.com SMSCACHESIZE=5120' },
        stateMigration: { usmtPackageId: usmt, captureNetworkSettings: true, captureWindowsSettings: true, ...stateMigration },
        includeUpdates: 'mandatory',
        installApplications: { applications: apps.map((a) => a.name), continueOnFailure: true },
      }),
    );
    const r = JSON.parse(await osd('ts', 'create-install-image', '--answers', answers, '--json'));
    return (r.taskSequence?.id ?? r.id) as string;
  };
  const deploy = async (tsId: string, collection: string) =>
    (JSON.parse(await osd('deploy', tsId, '--collection', collection, '--purpose', 'required', '--available-to', 'clients', '--confirm-high-risk', '--json'))
      .deployment?.id ?? '') as string;
  smpTaskSequence = await wizard('Refresh (state migration point)', { captureUserSettings: true, saveTo: 'stateMigrationPoint' });
  smpDeployment = await deploy(smpTaskSequence, smpCol);
  linksDeployment = await deploy(await wizard('Refresh (hard links)', { captureUserSettings: true, saveTo: 'local', useHardLinks: true }), linksCol);
}, 600_000);
afterAll(async () => server && stopServer(server.proc));

describe('refresh through the agent against osd server', () => {
  it('the new OS has both users’ files, settings, updates and applications; the store is released', async () => {
    const labs = join(dir, 'labs');
    const fixture = users('S-1-5-21-1004336348-1177238915-682003330');
    writeFileSync(join(dir, 'users-smp.json'), JSON.stringify(fixture));
    await createLab(labs, 'refresh', {
      profilePath: join(MACHINES, 'win10-x64-refresh.json'),
      disks: ['2G'],
      mac: MAC_SMP,
      preinstalledOs: `${content.wimPath}:2`,
      usersFile: join(dir, 'users-smp.json'),
    });
    const before = await snapshot(await LabMachine.load(join(labs, 'refresh')).volume('C:'), fixture);
    const big = before.find((f) => f.path.endsWith('.mp4'))!;
    expect(big.sha256).toBe(await expectedSha(BIG, 11));

    const started = Date.now();
    const r = await osdLab(['lab', 'boot', 'refresh', '--site', server.url], { OSD_LAB_DIR: labs });
    const { run, log } = await siteLog(smpResourceId);
    if (process.env.OSD_E2E_LOGS) writeFileSync(join(process.env.OSD_E2E_LOGS, 'refresh-smsts.log'), log);
    expect(r.status, `${r.stdout}\n${r.stderr}\n${log.slice(-6000)}`).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Deployment ${smpDeployment} ".*": succeeded`));
    expect(run.result).toBe('succeeded');
    // The state steps, Setup Windows, updates and applications were done, none only predicted.
    const steps = (run.steps as Array<{ name: string; kind: string; outcome: string; predicted?: boolean }>).filter((s) => s.kind === 'step');
    for (const name of [
      'Capture Windows Settings',
      'Capture Network Settings',
      'Request User State Storage',
      'Capture User Files and Settings',
      'Release User State Storage',
      'Setup Windows and Configuration Manager',
      'Install Updates',
      'Install Applications',
      'Restore User Files and Settings',
    ]) {
      const these = steps.filter((s) => s.name === name);
      expect(these.length, `${name}: ${JSON.stringify(steps)}`).toBeGreaterThan(0);
      // A step that restarts the computer (Setup Windows, an update asking for it) has a record per run.
      // (Request and Release User State Storage are there twice: capture and restore.)
      expect(these.at(-1)!.outcome, name).toBe('succeeded');
      for (const s of these) expect(['succeeded', 'restart-requested'], name).toContain(s.outcome);
      expect(
        these.some((s) => s.predicted),
        `${name} was only predicted`,
      ).toBe(false);
    }

    // The users' files: the same bytes, times and attributes in the new OS.
    const lab = LabMachine.load(join(labs, 'refresh'));
    const vol = await lab.volume('C:');
    expect(await vol.exists('edition.txt')).toBe(true);
    const after = await snapshot(vol, fixture);
    expect(after).toEqual(before);

    // The captured computer name and time zone came through (the wizard's answers said Pacific Standard Time).
    const reg = await OfflineRegistry.open(vol);
    expect(await readInstalledSettings(reg)).toMatchObject({ computerName: 'CTS-PC-0423', timeZone: 'W. Europe Standard Time' });

    // The users' profiles in the new OS (non-ASCII names through the registry too).
    for (const u of fixture.users) expect(await reg.getString(`${PROFILE_LIST}\\${u.sid}`, 'ProfileImagePath'), u.name).toBe(`C:\\Users\\${u.name}`);

    // Exactly the applicable deployed updates are recorded in the OS.
    expect(await installedUpdates(reg, vol)).toEqual([U_CU, U_NET].sort());
    expect(log).toMatch(/KB5031003.*(not applicable|arm64)/i);

    // The two good applications are detected; the failed one is not, and is in the log with _TSAppInstallStatus.
    expect(await vol.exists('Program Files/Contoso Notes/notes.txt')).toBe(true);
    expect(await vol.exists('Program Files/Fabrikam/viewer.txt')).toBe(true);
    expect(await vol.exists('Program Files/Litware/tool.txt')).toBe(false);
    expect(log).toMatch(/Litware Broken Tool.*(1603|0x00000643)/);
    expect(log).toMatch(/Contoso Notes installed successfully/);
    expect(log).toMatch(/Fabrikam Viewer installed successfully/);
    expect(log).toMatch(/Install Application: 2 installed, 0 already installed, 1 failed, 0 not installed; _TSAppInstallStatus=Error/);

    // The store: released after the restore, its deletion scheduled one hour after it.
    const stores = JSON.parse(await osd('userstate', 'stores', '--device', 'CTS-PC-0423', '--json')) as Array<Record<string, any>>;
    expect(stores, JSON.stringify(stores)).toHaveLength(1);
    const store = stores[0]!;
    refreshStoreId = store.storeId;
    expect(store).toMatchObject({ state: 'restored', sourceName: 'CTS-PC-0423' });
    expect(Date.parse(store.expiresAt) - Date.parse(store.restoredAt)).toBe(HOUR);
    expect(Date.parse(store.restoredAt)).toBeGreaterThan(started);
    expect(Number(store.bytes)).toBeGreaterThan(BIG); // the big file is incompressible: it went to the SMP
    expect(log).toContain(`Uploaded store ${refreshStoreId}`);
    // Its key never in the log the site keeps.
    const recovery = JSON.parse(await osd('userstate', 'recovery', refreshStoreId, '--json')) as { key: string };
    expect(recovery.key.length).toBeGreaterThan(20);
    expect(log).not.toContain(recovery.key);
    // A sweep now keeps it: its hour has not passed.
    await api('POST', '/userstate/sweep');
    expect((await api('GET', `/userstate/stores/${refreshStoreId}`)).state).toBe('restored');
    expect(existsSync(join(smpFolder, refreshStoreId))).toBe(true);
  }, 600_000);

  it('the same refresh with hard links: no data leaves the disk, nothing is lost through Apply Operating System', async () => {
    const labs = join(dir, 'labs');
    const fixture = users('S-1-5-21-1004336348-1177238915-682003331');
    writeFileSync(join(dir, 'users-links.json'), JSON.stringify(fixture));
    await createLab(labs, 'links', {
      profilePath: join(MACHINES, 'win10-x64-refresh.json'),
      disks: ['2G'],
      mac: MAC_LINKS,
      preinstalledOs: `${content.wimPath}:2`,
      usersFile: join(dir, 'users-links.json'),
    });
    const before = await snapshot(await LabMachine.load(join(labs, 'links')).volume('C:'), fixture);
    const servedBefore = await dpServed();
    const storesBefore = (JSON.parse(await osd('userstate', 'stores', '--json')) as unknown[]).length;

    const r = await osdLab(['lab', 'boot', 'links', '--site', server.url], { OSD_LAB_DIR: labs });
    const { run, log } = await siteLog(linksResourceId);
    if (process.env.OSD_E2E_LOGS) writeFileSync(join(process.env.OSD_E2E_LOGS, 'links-smsts.log'), log);
    expect(r.status, `${r.stdout}\n${r.stderr}\n${log.slice(-6000)}`).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Deployment ${linksDeployment} ".*": succeeded`));
    expect(run.result).toBe('succeeded');

    const vol = await LabMachine.load(join(labs, 'links')).volume('C:');
    expect(await snapshot(vol, fixture)).toEqual(before);
    // The hard-link store was written (links, no copy), kept through Apply Operating System, and
    // removed after the restore: every file has one link again.
    const linked = /Hard-link store written: (\d+) files linked under C:\\_SMSTaskSequence\\UserState\\USMT\\File \(no data copied\)/.exec(log);
    expect(linked, log.slice(-6000)).not.toBeNull();
    expect(Number(linked![1])).toBeGreaterThanOrEqual(before.length);
    expect(log).toMatch(/Removed the hard-link store/);
    for (const f of before) expect((await vol.stat(f.path))?.links, f.path).toBe(1);
    expect(await vol.exists('_SMSTaskSequence/UserState/USMT')).toBe(false);

    // No data left the disk: no store at the site, the state migration point never asked (not in its
    // audit), nothing uploaded, no store file in the agent's work folder.
    expect(JSON.parse(await osd('userstate', 'stores', '--json'))).toHaveLength(storesBefore);
    expect(JSON.parse(await osd('userstate', 'stores', '--device', 'CTS-PC-0424', '--json'))).toEqual([]);
    expect(readdirSync(smpFolder).filter((f) => f !== refreshStoreId)).toEqual([]);
    const audit = (await api('GET', '/audit?objectType=state-store&limit=1000')) as Array<{ actor: string; action: string }>;
    expect(audit.filter((a) => a.actor.includes('CTS-PC-0424'))).toEqual([]);
    expect(log).not.toMatch(/Uploaded store/);
    const work = join(labs, 'links', 'state', 'agent', 'work');
    expect(existsSync(work) ? readdirSync(work, { recursive: true }) : []).toEqual([]);
    // The distribution point served this run only packages (the user state has no package to be in).
    const served = await dpServed();
    expect(
      Object.keys(served)
        .filter((k) => (served[k] ?? 0) > (servedBefore[k] ?? 0))
        .every((k) => /^[A-Z0-9]{3}[0-9A-F]{5}$/.test(k)),
    ).toBe(true);
    const reg = await OfflineRegistry.open(vol);
    expect(await readInstalledSettings(reg)).toMatchObject({ computerName: 'CTS-PC-0423', timeZone: 'W. Europe Standard Time' });
    expect(await installedUpdates(reg, vol)).toEqual([U_CU, U_NET].sort());
  }, 600_000);

  it('replace: captured on one lab machine, restored on another through a computer association; a third is refused', async () => {
    const labs = join(dir, 'labs');
    const MAC_OLD = '00:15:5D:0D:13:11';
    const MAC_NEW = '00:15:5D:0D:13:12';
    const MAC_THIRD = '00:15:5D:0D:13:13';
    const fixture: LabUsers = {
      users: [
        {
          name: 'mkeller',
          sid: 'S-1-5-21-1004336348-1177238915-682003332-1201',
          kind: 'domain',
          domain: 'CONTOSO',
          files: [
            { path: 'Documents/Angebot Müller.docx', size: 250_000, seed: 21, modified: '2024-06-03T11:12:13Z' },
            { path: 'Desktop/Übergabe.txt', text: 'Schlüssel im Büro\r\n', modified: '2024-06-04T08:00:00Z' },
          ],
        },
      ],
    };
    writeFileSync(join(dir, 'users-old.json'), JSON.stringify(fixture));
    const col = async (name: string) => (await api('POST', '/collections', { name })).collection.collectionId as string;
    const oldCol = await col('Computers being replaced');
    const newCol = await col('Replacement computers');
    const thirdCol = await col('Other new computers');
    const device = async (body: Record<string, unknown>) => (await api('POST', '/devices', body)) as { device: { resourceId: number }; association?: unknown };
    await device({ name: 'CTS-OLD-0101', mac: MAC_OLD, collectionId: oldCol });
    // The replacement, imported with the old computer as its source: the computer association.
    const neu = await device({
      name: 'CTS-NEW-0101',
      mac: MAC_NEW,
      collectionId: newCol,
      sourceComputer: 'CTS-OLD-0101',
      userAccounts: 'capture-restore-all',
    });
    expect(neu.association).toMatchObject({ sourceName: 'CTS-OLD-0101', destinationName: 'CTS-NEW-0101' });
    const third = await device({ name: 'CTS-NEW-0102', mac: MAC_THIRD, collectionId: thirdCol });

    // The old computer: a capture-only deployment (Request, Capture, Release) from its full OS.
    const pushed = async (name: string, items: TaskSequence['items']) => {
      const r = await api('POST', '/task-sequences', { name, format: 'json', content: exportJsonText({ version: '3.10', items }) });
      return (r.taskSequence?.id ?? r.id) as string;
    };
    const deployTo = async (tsId: string, collection: string) =>
      (JSON.parse(await osd('deploy', tsId, '--collection', collection, '--purpose', 'required', '--available-to', 'clients', '--confirm-high-risk', '--json'))
        .deployment?.id ?? '') as string;
    const captureTs = await pushed('Capture for replacement', [
      step(requestStateStore, { requestType: 'capture' }),
      step(captureUserState, { usmtPackageId: usmtPackage }),
      step(releaseStateStore, {}),
    ]);
    await deployTo(captureTs, oldCol);
    await createLab(labs, 'old', {
      profilePath: join(MACHINES, 'win10-x64-refresh.json'),
      disks: ['2G'],
      mac: MAC_OLD,
      preinstalledOs: `${content.wimPath}:2`,
      usersFile: join(dir, 'users-old.json'),
    });
    const before = await snapshot(await LabMachine.load(join(labs, 'old')).volume('C:'), fixture);
    const captured = await osdLab(['lab', 'boot', 'old', '--site', server.url], { OSD_LAB_DIR: labs });
    expect(captured.status, `${captured.stdout}\n${captured.stderr}`).toBe(0);
    const stores = JSON.parse(await osd('userstate', 'stores', '--device', 'CTS-OLD-0101', '--json')) as Array<Record<string, any>>;
    expect(stores, JSON.stringify(stores)).toHaveLength(1);
    expect(stores[0]).toMatchObject({ state: 'captured', sourceName: 'CTS-OLD-0101' });

    // The new computer, bare metal: the wizard's sequence (the refresh's, its capture group skipped in
    // Windows PE) deployed to media and PXE installs Windows and restores through the association.
    const replaceDeployment = (JSON.parse(
      await osd('deploy', smpTaskSequence, '--collection', newCol, '--purpose', 'required', '--available-to', 'media-pxe', '--confirm-high-risk', '--json'),
    ).deployment?.id ?? '') as string;
    await createLab(labs, 'new', { profilePath: join(MACHINES, 'uefi-x64-laptop-bare-metal.json'), disks: ['2G'], mac: MAC_NEW });
    const restored = await osdLab(['lab', 'boot', 'new', '--site', server.url], { OSD_LAB_DIR: labs });
    const newResourceId = neu.device.resourceId;
    const { log } = await siteLog(newResourceId);
    expect(restored.status, `${restored.stdout}\n${restored.stderr}\n${log.slice(-6000)}`).toBe(0);
    expect(restored.stdout).toMatch(new RegExp(`Deployment ${replaceDeployment} ".*": succeeded`));
    const vol = await LabMachine.load(join(labs, 'new')).volume('C:');
    expect(await snapshot(vol, fixture)).toEqual(before);
    const store = (await api('GET', `/userstate/stores/${stores[0]!.storeId}`)) as Record<string, any>;
    expect(store).toMatchObject({ state: 'restored', sourceName: 'CTS-OLD-0101' });

    // A third computer asking for a store to restore: refused (no association), nothing restored, audited.
    const restoreTs = await pushed('Restore only', [
      step(requestStateStore, { requestType: 'restore', retryCount: 0, retryTime: 1 }),
      step(restoreUserState, { usmtPackageId: usmtPackage }),
      step(releaseStateStore, {}),
    ]);
    await deployTo(restoreTs, thirdCol);
    await createLab(labs, 'third', {
      profilePath: join(MACHINES, 'win10-x64-refresh.json'),
      disks: ['2G'],
      mac: MAC_THIRD,
      preinstalledOs: `${content.wimPath}:2`,
    });
    const refused = await osdLab(['lab', 'boot', 'third', '--site', server.url], { OSD_LAB_DIR: labs });
    expect(refused.status, `${refused.stdout}\n${refused.stderr}`).toBe(1);
    const thirdLog = (await siteLog(third.device.resourceId)).log;
    expect(thirdLog).toMatch(/0x80070490/);
    expect(await (await LabMachine.load(join(labs, 'third')).volume('C:')).exists('Users/mkeller')).toBe(false);
    const audit = (await api('GET', '/audit?limit=1000')) as Array<{ actor: string; action: string }>;
    expect(audit.filter((a) => a.actor.includes('CTS-NEW-0102') && a.action === 'userstate-request-refused').length).toBeGreaterThan(0);
    // The store is still the new computer's, restored once.
    expect(((await api('GET', `/userstate/stores/${stores[0]!.storeId}`)) as Record<string, any>).state).toBe('restored');
  }, 600_000);

  it('the store expires on schedule: a server started two hours later deletes it, files and key', async () => {
    expect(refreshStoreId, 'the refresh test left a store').toBeDefined();
    await stopServer(server.proc, 'SIGTERM');
    const later = await startServer(join(dir, 'site'), ['--local-dp-port', dpPort, '--port', serverPort], {
      env: { OSD_TEST_CLOCK_SHIFT_MS: String(2 * HOUR) },
      wrap: (cmd) => [cmd[0]!, '--import', pathToFileURL(CLOCK_SHIFT).href, ...cmd.slice(1)],
    });
    server = later;
    let state = '';
    for (let i = 0; i < 200 && state !== 'deleted'; i++) {
      state = (await api('GET', `/userstate/stores/${refreshStoreId}`)).state;
      if (state !== 'deleted') await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe('deleted');
    expect(existsSync(join(smpFolder, refreshStoreId))).toBe(false);
    const recovery = await callServer(server, 'GET', `/userstate/stores/${refreshStoreId}/recovery`);
    expect(recovery.status, JSON.stringify(recovery.json)).toBeGreaterThanOrEqual(400);
  }, 120_000);
});
