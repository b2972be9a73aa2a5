// Install Application and Install Software Updates on a lab machine (an NTFS disk image holding a
// preinstalled OS, the task sequence starting in its full OS): the applications are shell scripts
// run as real processes whose files and registry entries land in the NTFS volume; one asks for a
// restart (3010) and the step carries on after it; one fails with continue-on-error on; the updates
// deployed as Required are recorded in the OS's registry and a second boot installs none.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../src/actions/content.js';
import { OfflineRegistry } from '../../src/actions/os/registry.js';
import type { ApplicationCatalog, ApplicationDefinition, SoftwareUpdateCatalog, SoftwareUpdateOffer } from '../../src/actions/services.js';
import { CBS_PACKAGES } from '../../src/actions/software/updates.js';
import { bootLab } from '../../src/lab/boot.js';
import { createLab } from '../../src/lab/create.js';
import { makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import { installApplication, installSoftwareUpdates } from '../../src/sequence/catalog/index.js';
import type { TaskSequence } from '../../src/sequence/model/task-sequence.js';
import { catalogStep } from '../../src/sequence/wizard/generate/steps.js';
import { packageFolder } from '../actions/handlers/software-fixtures.js';

const MACHINES = resolve(__dirname, '../../examples/machines');
let dir: string;
let content: TestContent;
const tmp = () => mkdtempSync(join(dir, 'pkg-'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'osd-software-lab-'));
  content = await makeTestContent(join(dir, 'content'), { imageSizeMB: 4 });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = (n: string) => `ScopeId_LAB/Application_${n}`;

function app(name: string, code: number, regKey?: string): { def: ApplicationDefinition; folder: string } {
  const reg = regKey ? `printf 'REGEDIT4\\r\\n\\r\\n[${regKey.replace(/\\/g, '\\\\\\\\')}]\\r\\n"Installed"="yes"\\r\\n' > "$OSD_REGISTRY_DROP/app.reg"\n` : '';
  const folder = packageFolder(tmp, {
    'install.sh': `mkdir -p "$ProgramFiles/${name}"\necho "${name} ü" > "$ProgramFiles/${name}/done.txt"\n${reg}echo ${code} > "$OSD_EXIT_CODE_FILE"\n`,
  });
  return {
    folder,
    def: {
      modelName: model(name),
      name,
      allowTaskSequenceInstall: true,
      packageId: `LAB${name.toUpperCase().slice(0, 5)}`,
      dependencies: [],
      deploymentTypes: [
        {
          name: `${name} script`,
          technology: 'script',
          installCommand: 'sh install.sh',
          successCodes: [0],
          restartCodes: [3010],
          detectionMethod: regKey
            ? { kind: 'registry', value: regKey, valueName: 'Installed', equals: 'yes' }
            : { kind: 'file', value: `%ProgramFiles%\\${name}\\done.txt` },
        },
      ],
    },
  };
}

describe('software on a lab machine', () => {
  it('installs applications and deployed updates into the NTFS volume, restarting on 3010, and a second boot installs nothing', async () => {
    const lab = await createLab(join(dir, 'labs'), 'sw', {
      profilePath: join(MACHINES, 'win10-x64-refresh.json'),
      disks: ['2G'],
      preinstalledOs: `${content.wimPath}:2`,
    });
    const apps = [app('Editor', 3010), app('Broken', 1603), app('Viewer', 0, 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\Viewer')];
    const applications: ApplicationCatalog = {
      lookup: async () => ({ applications: apps.map((a) => a.def), refused: [], unknown: [] }),
      content: async (id) => apps.find((a) => a.def.packageId === id)!.folder,
    };
    const payload = 'the update';
    const updatesFolder = packageFolder(tmp, { 'kb1.msu': payload });
    const offer = (n: number, purpose: 'required' | 'available'): SoftwareUpdateOffer => ({
      updateId: `00000000-0000-4000-8000-00000000000${n}`,
      articleId: `500000${n}`,
      title: `Update ${n}`,
      products: [],
      purpose,
      deadline: null,
      applicability: { architectures: ['x64'] },
      supersedes: [],
      packageId: 'LABSUP01',
      files: [{ name: 'kb1.msu', size: payload.length, sha256: createHash('sha256').update(payload).digest('hex') }],
      restartRequired: false,
    });
    const softwareUpdates: SoftwareUpdateCatalog = { deployed: async () => [offer(1, 'required'), offer(2, 'available')], content: async () => updatesFolder };
    const ts: TaskSequence = {
      version: '3.10',
      items: [
        catalogStep(installApplication, 'Install Applications', {
          applications: apps.map((a) => a.def.modelName),
          continueOnInstallError: true,
          retryCount: 2,
        }),
        catalogStep(installSoftwareUpdates, 'Install Updates', { target: 'Mandatory', retryCount: 2 }),
      ],
    };
    const services = { applications, softwareUpdates, workDir: mkdtempSync(join(dir, 'work-')) };
    const r = await bootLab(lab, { sequence: ts, sequenceName: 'software', content: new ContentLibrary(content.root), services });
    if (r.result !== 'success') throw new Error(`boot failed: ${r.message}\n${readFileSync(r.logPath, 'utf8').slice(-4000)}`);
    expect(r.startedIn).toBe('FullOS');
    expect(r.instructions.map((i) => [i.name, i.outcome, i.runs, i.predicted ?? false])).toEqual([
      ['Install Applications', 'ran', 2, false],
      ['Install Updates', 'ran', 1, false],
    ]);
    expect(r.variables._TSAppInstallStatus).toBe('Error');
    const log = readFileSync(r.logPath, 'utf8');
    expect(log).toMatch(/Broken \(Broken script\) failed: the installer exited with 1603/);

    const vol = await lab.volume('C:');
    expect((await vol.readFile('Program Files/Editor/done.txt')).toString()).toBe('Editor ü\n');
    expect((await vol.readFile('Program Files/Viewer/done.txt')).toString()).toBe('Viewer ü\n');
    expect(await vol.exists('Program Files/Broken/done.txt')).toBe(true); // it wrote, then failed
    const reg = await OfflineRegistry.open(vol);
    expect(await reg.getString('HKLM\\SOFTWARE\\Contoso\\Viewer', 'Installed')).toBe('yes');
    expect((await reg.subkeys(CBS_PACKAGES)).filter((k) => k.startsWith('Package_for_KB'))).toEqual(['Package_for_KB5000001~31bf3856ad364e35~amd64~~10.0.1.0']);
    expect((await vol.readFile('Windows/servicing/Packages/Package_for_KB5000001~31bf3856ad364e35~amd64~~10.0.1.0/kb1.msu')).toString()).toBe(payload);

    // A second boot of the same sequence: the two good applications and the update are found installed.
    // (A new run: the finished one's journal and log set aside.)
    rmSync(join(lab.stateDir, 'journal.json'), { force: true });
    rmSync(join(lab.stateDir, 'logs'), { recursive: true, force: true });
    const again = await bootLab(lab, { sequence: ts, sequenceName: 'software again', content: new ContentLibrary(content.root), services });
    expect(again.result).toBe('success');
    const log2 = readFileSync(again.logPath, 'utf8');
    expect(again.instructions.map((i) => i.runs)).toEqual([1, 1]);
    expect(log2).toMatch(/Editor is already installed: skipped/);
    expect(log2).toMatch(/Viewer is already installed: skipped/);
    expect(log2).toMatch(/No update to install/);
  }, 300_000);
});
