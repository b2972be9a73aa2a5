// User state on a lab machine's NTFS disk image (user-state.md §2.8 #3, #11): a preinstalled OS with
// two users and their files (`--users`), an offline encrypted capture from Windows PE and a restore
// after Apply Operating System; a hard-link refresh with link counts 2 then 1. Through the Computer
// port on the disk image (NtfsVolume over ntfs-3g), checked with the same port and ntfscat.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../../src/actions/content.js';
import { failureResult } from '../../../src/actions/errors.js';
import { applyOperatingSystemHandler } from '../../../src/actions/handlers/apply-operating-system.js';
import { captureUserStateHandler, restoreUserStateHandler } from '../../../src/actions/handlers/user-state.js';
import type { StepResult } from '../../../src/engine/ports.js';
import { createLab } from '../../../src/lab/create.js';
import type { LabMachine } from '../../../src/lab/lab-machine.js';
import { makeTestContent, type TestContent } from '../../../src/lab/test-content/index.js';
import { generatedBytes, type LabUsers } from '../../../src/lab/users.js';
import { applyOperatingSystem, captureUserState, restoreUserState } from '../../../src/sequence/catalog/index.js';
import { execution, MACHINES, step } from '../handlers/helpers.js';
import { tempDir } from '../../helpers/temp.js';

const BIG = 12 * 1024 * 1024 + 5;
const USERS: LabUsers = {
  users: [
    {
      name: 'jdoe',
      sid: 'S-1-5-21-1004336348-1177238915-682003330-15231',
      kind: 'domain',
      domain: 'CONTOSO',
      files: [
        { path: 'Documents/Q3 report.docx', text: 'numbers', modified: '2024-05-02T09:20:11.000Z' },
        { path: 'Documents/Größe – 日本語.txt', text: 'ü'.repeat(50) },
        { path: 'Documents/big.bin', size: BIG, seed: 7 },
        { path: 'Desktop/readonly.txt', text: 'keep', readonly: true },
        { path: 'AppData/Roaming/app/settings.json', text: '{"theme":"dark"}' },
      ],
    },
    {
      name: 'asmith',
      sid: 'S-1-5-21-1004336348-1177238915-682003330-16877',
      kind: 'domain',
      domain: 'CONTOSO',
      files: [{ path: 'Pictures/cat.jpg', size: 4000, seed: 2 }],
    },
  ],
};

let content: TestContent;
let dir: string;
beforeAll(async () => {
  dir = tempDir('us-lab-');
  content = await makeTestContent(join(dir, 'content'), { imageSizeMB: 1 });
  writeFileSync(join(dir, 'users.json'), JSON.stringify(USERS));
}, 180_000);

async function machine(name: string): Promise<LabMachine> {
  return createLab(join(dir, 'labs'), name, {
    profilePath: join(MACHINES, 'win10-x64-refresh.json'),
    disks: ['1G'],
    preinstalledOs: `${content.wimPath}:2`,
    usersFile: join(dir, 'users.json'),
  });
}

function exec(s: ReturnType<typeof step>, variables: Record<string, string>, environment: 'WinPE' | 'FullOS') {
  const m = execution(s, { variables, environment });
  const set = m.x.variables.set;
  m.x.variables.set = (n, v, o) => (o?.builtIn ? m.env.setBuiltIn(n, v, o.secret === true) : set(n, v, o));
  return m;
}
async function run(f: () => Promise<StepResult>): Promise<StepResult> {
  try {
    return await f();
  } catch (e) {
    return failureResult(e);
  }
}
async function sha(lab: LabMachine, path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of await (await lab.volume('C:')).openRead(path)) h.update(c as Buffer);
  return h.digest('hex');
}
async function expected(size: number, seed: number): Promise<string> {
  const h = createHash('sha256');
  for await (const c of generatedBytes(size, seed)) h.update(c);
  return h.digest('hex');
}

describe('user state on an NTFS lab disk', () => {
  it('the users fixture: profiles, files with times and attributes, a large generated file', async () => {
    const lab = await machine('fixture');
    const vol = await lab.volume('C:');
    expect((await vol.stat('Users/jdoe/Documents/big.bin'))?.size).toBe(BIG);
    expect(await sha(lab, 'Users/jdoe/Documents/big.bin')).toBe(await expected(BIG, 7));
    expect((await vol.stat('Users/jdoe/Desktop/readonly.txt'))?.attributes).toContain('readonly');
    expect((await vol.stat('Users/jdoe/Documents/Q3 report.docx'))?.modifiedMs).toBe(Date.parse('2024-05-02T09:20:11Z'));
    expect(lab.profile.currentOs?.userProfiles.find((u) => u.name === 'jdoe')).toMatchObject({ kind: 'domain', domain: 'CONTOSO' });
  }, 180_000);

  it('offline encrypted capture, Apply Operating System, restore: the same bytes, times and attributes', async () => {
    const lab = await machine('encrypted');
    const store = 'C:\\_SMSTaskSequence\\UserState\\0f0e0d0c-0000-4000-8000-000000000002';
    const vars = { OSDStateStorePath: store, _SMSTSUserStatePath: 'C:\\_SMSTaskSequence\\UserState', OSDMigrateAdditionalCaptureOptions: '/ue:*\\support' };
    const lib = new ContentLibrary(content.root);
    const c = exec(step(captureUserState, { offlineUserState: true }), vars, 'WinPE');
    expect(await run(() => captureUserStateHandler.run!({ x: c.x, computer: lab, content: lib }))).toEqual({ exitCode: 0 });
    await lab.flush();
    const key = c.env.get('_OSDStateStoreKey')!;
    const a = exec(
      step(applyOperatingSystem, { imagePackageId: content.imagePackageId, imageIndex: 1, destination: { kind: 'logical-drive', drive: 'C:' } }),
      vars,
      'WinPE',
    );
    expect(await run(() => applyOperatingSystemHandler.run!({ x: a.x, computer: lab, content: lib }))).toEqual({ exitCode: 0 });
    await lab.flush();
    expect(await (await lab.volume('C:')).exists('Users/jdoe/Documents')).toBe(false);
    const r = exec(step(restoreUserState, {}), { ...vars, _OSDStateStoreKey: key }, 'FullOS');
    expect(await run(() => restoreUserStateHandler.run!({ x: r.x, computer: lab, content: lib }))).toEqual({ exitCode: 0 });
    await lab.flush();
    const vol = await lab.volume('C:');
    expect(await sha(lab, 'Users/jdoe/Documents/big.bin')).toBe(await expected(BIG, 7));
    expect((await vol.readFile('Users/jdoe/Documents/Größe – 日本語.txt')).toString()).toBe('ü'.repeat(50));
    expect((await vol.stat('Users/jdoe/Documents/Q3 report.docx'))?.modifiedMs).toBe(Date.parse('2024-05-02T09:20:11Z'));
    expect((await vol.stat('Users/jdoe/Desktop/readonly.txt'))?.attributes).toContain('readonly');
    expect(await sha(lab, 'Users/asmith/Pictures/cat.jpg')).toBe(await expected(4000, 2));
  }, 300_000);

  it('hard-link refresh (§2.8 #11): link count 2, Apply OS keeps the store, restore re-links, store removed, count 1', async () => {
    const lab = await machine('hardlink');
    const vars = {
      OSDStateStorePath: '%_SMSTSUserStatePath%',
      _SMSTSUserStatePath: 'C:\\_SMSTaskSequence\\UserState',
      OSDMigrateAdditionalCaptureOptions: '/ue:*\\support',
    };
    const lib = new ContentLibrary(content.root);
    const c = exec(step(captureUserState, { useHardlinks: true }), vars, 'FullOS');
    expect(await run(() => captureUserStateHandler.run!({ x: c.x, computer: lab, content: lib }))).toEqual({ exitCode: 0 });
    await lab.flush();
    expect((await (await lab.volume('C:')).stat('Users/jdoe/Documents/big.bin'))?.links).toBe(2);
    const a = exec(
      step(applyOperatingSystem, { imagePackageId: content.imagePackageId, imageIndex: 1, destination: { kind: 'logical-drive', drive: 'C:' } }),
      vars,
      'WinPE',
    );
    expect(await run(() => applyOperatingSystemHandler.run!({ x: a.x, computer: lab, content: lib }))).toEqual({ exitCode: 0 });
    await lab.flush();
    let vol = await lab.volume('C:');
    expect(await vol.exists('Users/jdoe/Documents/big.bin')).toBe(false);
    expect((await vol.stat('_SMSTaskSequence/UserState/USMT/File/C$/Users/jdoe/Documents/big.bin'))?.links).toBe(1);
    const r = exec(step(restoreUserState, {}), vars, 'FullOS');
    expect(await run(() => restoreUserStateHandler.run!({ x: r.x, computer: lab, content: lib }))).toEqual({ exitCode: 0 });
    await lab.flush();
    vol = await lab.volume('C:');
    expect((await vol.stat('Users/jdoe/Documents/big.bin'))?.links).toBe(1);
    expect(await sha(lab, 'Users/jdoe/Documents/big.bin')).toBe(await expected(BIG, 7));
    expect(await vol.exists('_SMSTaskSequence/UserState/USMT')).toBe(false);
  }, 300_000);
});
