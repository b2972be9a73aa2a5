// `osd lab boot NAME --site URL` as real processes against a management point (the fake one of
// test/agent/fake-mp.ts serving the lab's test content): the wizard's WinPE phase applied to the
// machine's disk image by the agent, killed with SIGKILL during Apply Operating System, resumed by
// a second start that ends right — the disk checked with the tools an admin trusts, the site
// holding every status message once and the uploaded log.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab } from '../../src/lab/create.js';
import { ntfsPartition } from '../helpers/lab-disk.js';
import { LabMachine } from '../../src/lab/lab-machine.js';
import { makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import { exportJson } from '../../src/sequence/codec/json.js';
import type { Group, TaskSequence } from '../../src/sequence/model/task-sequence.js';
import { loadSiteManifest } from '../../src/sequence/site-manifest.js';
import { answersSchema } from '../../src/sequence/wizard/answers.js';
import { generateInstallImageSequence } from '../../src/sequence/wizard/generate/index.js';
import { tempDir } from '../helpers/temp.js';
import { FakeMp, type FakeFile } from './fake-mp.js';

const ROOT = resolve(__dirname, '../..');
const OSD = join(ROOT, 'bin/osd.js');
const MACHINES = join(ROOT, 'examples/machines');
let dir: string;
let content: TestContent;
let mp: FakeMp;

function wizardSequence(): TaskSequence {
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
  });
  const ts = generateInstallImageSequence(answers, site);
  (ts.items.find((i) => i.kind === 'group' && i.name === 'Setup Operating System') as Group).disable = true;
  // "Retry this step if the computer unexpectedly restarts": without it, a kill during Apply
  // Operating System fails the step with 0x8007045B on resume (engine-semantics §7).
  const install = ts.items.find((i) => i.kind === 'group' && i.name === 'Install Operating System') as Group;
  const apply = install.items.find((i) => i.kind === 'step' && i.name === 'Apply Operating System');
  if (!apply || apply.kind !== 'step') throw new Error('the wizard made no Apply Operating System step');
  apply.retryCount = 1;
  return ts;
}

function filesOf(folder: string): FakeFile[] {
  const out: FakeFile[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push({ path: relative(folder, p).split('\\').join('/'), bytes: readFileSync(p) });
    }
  };
  walk(folder);
  return out;
}

beforeAll(async () => {
  dir = tempDir('osd-lab-agent-');
  content = await makeTestContent(join(dir, 'content'), { imageSizeMB: 8 });
  mp = await new FakeMp().start();
  const index = JSON.parse(readFileSync(join(content.root, 'content.json'), 'utf8')) as { packages: Record<string, string> };
  mp.policy.deployments = [
    {
      deploymentId: 'PS120003',
      taskSequenceId: 'PS100004',
      name: 'Lab install',
      revision: 1,
      purpose: 'required',
      availability: 'media-pxe',
      contentOption: 'download-all-first',
      preDownload: false,
      offered: true,
    },
  ];
  // The JSON model carries no secret values (the site opens its sealed ones for the device): the
  // administrator password comes as a secret collection variable here.
  mp.policy.variables = [
    { name: 'OSDComputerName', value: 'LAB-PC-07', secret: false, source: 'device' },
    { name: 'OSDLocalAdminPassword', value: 'Lab-Pa55word!', secret: true, source: 'collection PS100002' },
  ];
  mp.sequences.set('PS120003', exportJson(wizardSequence()));
  mp.packages.set(
    'PS120003',
    Object.entries(index.packages)
      .filter(([id]) => id !== content.bootImageId)
      .map(([id, folder]) => ({ packageId: id, name: id, sourceVersion: 1, files: filesOf(join(content.root, folder)) })),
  );
  mp.bootImage = { packageId: content.bootImageId, architecture: 'x64', pxeCompatible: true };
  // The lab's drivers as one driver package on the site, its catalog with folders inside the package.
  const drivers = join(content.root, 'drivers');
  const catalog = JSON.parse(readFileSync(join(drivers, 'catalog.json'), 'utf8')) as { schema: string; drivers: Array<{ folder: string; inf: string }> };
  mp.driverCatalog = { schema: catalog.schema, drivers: catalog.drivers.map((d) => ({ ...d, folder: `LAB000DR/${d.folder}`, inf: `LAB000DR/${d.inf}` })) };
  mp.driverPackage = { packageId: 'LAB000DR', name: 'Lab drivers', sourceVersion: 1, files: filesOf(drivers).filter((f) => f.path !== 'catalog.json') };
}, 180_000);
afterAll(() => mp?.stop());

/** osd as a process, without blocking this process (the fake site answers from it). */
function osd(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [OSD, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (status) => res({ status, stdout, stderr }));
  });
}

describe('osd lab boot --site', () => {
  it('runs the deployment through the agent, survives kill -9 during Apply Operating System, and ends right', async () => {
    const labs = join(dir, 'labs');
    await createLab(labs, 'pc7', { profilePath: join(MACHINES, 'uefi-x64-laptop-bare-metal.json'), disks: ['2G'] });
    const env = { OSD_LAB_DIR: labs };

    // First start, in its own process group: killed (with the step it runs) once Apply Operating System started.
    // wimlib-imagex takes a few seconds to start applying in this first start, so the kill lands inside the step.
    const slow = join(dir, 'slow-bin');
    mkdirSync(slow, { recursive: true });
    const real = execFileSync('sh', ['-c', 'command -v wimlib-imagex'], { encoding: 'utf8' }).trim();
    writeFileSync(join(slow, 'wimlib-imagex'), `#!/bin/sh\nif [ "$1" = apply ]; then sleep 5; fi\nexec ${real} "$@"\n`, { mode: 0o755 });
    const first = spawn('setsid', [process.execPath, OSD, 'lab', 'boot', 'pc7', '--site', mp.url], {
      env: { ...process.env, ...env, PATH: `${slow}:${process.env.PATH}` },
      stdio: 'pipe',
    });
    let err = '';
    first.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const killed = new Promise<void>((res) => first.on('exit', () => res()));
    await new Promise<void>((res, rej) => {
      const t = setInterval(() => {
        if (mp.messages.some((m) => m.outcome === 'started' && m.step?.name === 'Apply Operating System')) {
          clearInterval(t);
          setTimeout(() => {
            try {
              process.kill(-first.pid!, 'SIGKILL');
            } catch {
              // already gone
            }
            res();
          }, 500);
        }
      }, 20);
      first.on('exit', () => {
        clearInterval(t);
        rej(new Error(`the first start ended before Apply Operating System: ${err}`));
      });
    });
    await killed;
    const state = join(labs, 'pc7', 'state', 'agent');
    expect(statSync(join(state, 'current-run.json')).isFile()).toBe(true);
    expect(mp.messages.some((m) => m.kind === 'run' && m.outcome === 'succeeded')).toBe(false);

    // Second start: resumes from the journal and the outbox, and ends right.
    const second = await osd(['lab', 'boot', 'pc7', '--site', mp.url], env);
    const logText = (): string =>
      [...mp.logs.values()]
        .join('\n')
        .split('\n')
        .filter((l) => /type="3"/.test(l))
        .join('\n');
    expect(second.status, `${second.stdout}\n${second.stderr}\n${logText()}`).toBe(0);
    expect(second.stderr).toMatch(/Resuming run/);
    expect(second.stdout).toMatch(/Deployment PS120003 "Lab install": succeeded/);

    // The disk: GPT with the Windows partition holding image 2 (Enterprise) and the computer name.
    const lab = LabMachine.load(join(labs, 'pc7'));
    const win = ntfsPartition(lab.diskPath(0), 2, dir, 'win.img');
    expect(win.table.label).toBe('gpt');
    expect(win.read('/edition.txt')).toMatch(/Enterprise/);
    expect(win.read('/Windows/Panther/Unattend/Unattend.xml')).toMatch(/<ComputerName>LAB-PC-07<\/ComputerName>/);

    // The site: every message once, one run, ended with success; the log uploaded; nothing left.
    const ids = mp.messages.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    const runs = new Set(mp.messages.map((m) => m.runId));
    expect(runs.size).toBe(1);
    expect(mp.messages.filter((m) => m.kind === 'run' && m.outcome === 'started')).toHaveLength(1);
    expect(mp.messages.at(-1)).toMatchObject({ kind: 'run', outcome: 'succeeded', messageId: 11143 });
    const applied = mp.messages.filter((m) => m.step?.name === 'Apply Operating System');
    expect(applied.map((m) => m.outcome)).toContain('succeeded');
    const log = mp.logs.get(`${[...runs][0]}/smsts.log`)!;
    expect(log).toMatch(/Resuming run/);
    // Killed during the step, not after it: the engine found it in progress and ran it again.
    expect(log).toContain('The computer restarted unexpectedly while (Apply Operating System) was running; retrying it (1 of 1)');
    expect(log).not.toContain('Lab-Pa55word!');
    expect(readdirSync(join(state, 'outbox')).filter((f) => f.endsWith('.json'))).toEqual([]);
    expect(() => statSync(join(state, 'current-run.json'))).toThrow();
  }, 150_000);
});
