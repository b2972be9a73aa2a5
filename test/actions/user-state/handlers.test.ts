// Capture User State and Restore User State as steps (user-state.md §2.6) on a computer in folders:
// an offline capture from Windows PE into a local encrypted store, the OS wiped, a restore in the full
// OS; the hard-link mode; the state migration point (a fake service over a folder); §2.6 step 2's
// validation errors; Advanced mode's rules files; the local accounts trap.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { failureResult } from '../../../src/actions/errors.js';
import { captureUserStateHandler, restoreUserStateHandler } from '../../../src/actions/handlers/user-state.js';
import type { HandlerContext } from '../../../src/actions/handler.js';
import type { StateMigrationService } from '../../../src/actions/services.js';
import { ContentLibrary } from '../../../src/actions/content.js';
import type { DirectoryVolume } from '../../../src/storage/volume/directory.js';
import { captureUserState, restoreUserState } from '../../../src/sequence/catalog/index.js';
import type { StepResult } from '../../../src/engine/ports.js';
import { directoryComputer, execution, profile, step, type MockExecution } from '../handlers/helpers.js';
import { tempDir } from '../../helpers/temp.js';
import { put } from './fixture.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function machine() {
  const { computer, cleanup } = directoryComputer(profile('win10-x64-refresh.json'));
  cleanups.push(cleanup);
  const [, , win] = await computer.writeLayout(0, {
    style: 'gpt',
    partitions: [
      { kind: 'efi', sizeBytes: 100 << 20, fileSystem: 'FAT32' },
      { kind: 'msr', sizeBytes: 16 << 20 },
      { kind: 'primary', percentOfRemaining: 100, fileSystem: 'NTFS' },
    ],
  });
  await computer.format(win, 'NTFS', 'Windows');
  computer.setDrives([{ letter: 'C:', disk: 0, partition: win.partition }]);
  const root = ((await computer.files(win)) as DirectoryVolume).root;
  put(root, 'Windows/System32/notepad.exe', 'MZ');
  for (const u of ['jdoe', 'asmith', 'Support', 'Default']) put(root, `Users/${u}/NTUSER.DAT`, 'hive');
  put(root, 'Users/jdoe/Documents/Q3 report.docx', 'numbers');
  put(root, 'Users/jdoe/Documents/Größe/über.txt', 'ü'.repeat(100));
  put(root, 'Users/jdoe/Desktop/big.bin', randomBytes(5 * 1024 * 1024));
  put(root, 'Users/jdoe/AppData/Roaming/app/settings.json', '{"theme":"dark"}');
  put(root, 'Users/asmith/Pictures/cat.jpg', randomBytes(2000));
  put(root, 'Users/Support/Desktop/tools.txt', 'support tools');
  return { computer, root, win };
}

/** A step execution whose `_` outputs the handler may set (as the engine lets a step set its own). */
function exec(
  def: typeof captureUserState | typeof restoreUserState,
  settings: object,
  variables: Record<string, string>,
  environment: 'WinPE' | 'FullOS',
): MockExecution {
  const m = execution(step(def as typeof captureUserState, settings as never), { variables, environment });
  const set = m.x.variables.set;
  m.x.variables.set = (n, v, o) => (o?.builtIn ? m.env.setBuiltIn(n, v, o.secret === true) : set(n, v, o));
  return m;
}

async function run(h: typeof captureUserStateHandler | typeof restoreUserStateHandler, ctx: HandlerContext): Promise<StepResult> {
  try {
    return await h.run!(ctx as never);
  } catch (e) {
    return failureResult(e);
  }
}

const content = new ContentLibrary(tempDir('us-content-'));
const STORE = 'C:\\_SMSTaskSequence\\UserState\\a0b1c2d3-0000-4000-8000-000000000001';

/** Apply Operating System's wipe: everything but the user state folder. */
function wipe(root: string): void {
  for (const name of readdirSync(root)) if (name !== '_SMSTaskSequence') rmSync(join(root, name), { recursive: true, force: true });
  put(root, 'Windows/System32/notepad.exe', 'MZ new');
}

describe('Capture and Restore User State, local encrypted store', () => {
  it('offline capture in Windows PE, the OS wiped, restore in the full OS: files, times, log files; the key only as a secret variable', async () => {
    const { computer, root } = await machine();
    const vars = { OSDStateStorePath: STORE, _SMSTSLogPath: 'C:\\_SMSTaskSequence\\Logs', OSDMigrateAdditionalCaptureOptions: '/ue:%computername%\\*' };
    const c = exec(captureUserState, { offlineUserState: true }, vars, 'WinPE');
    expect(await run(captureUserStateHandler, { x: c.x, computer, content })).toEqual({ exitCode: 0 });
    const key = c.env.get('_OSDStateStoreKey')!;
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(c.env.isSecret('_OSDStateStoreKey')).toBe(true);
    expect(c.logs.join('\n')).toMatch(/Not capturing CTS-PC-0423\\Support .*excluded by %computername%/);
    expect(c.logs.join('\n')).toMatch(/warning: No state migration point: a new key/);
    const usmt = join(root, '_SMSTaskSequence/UserState/a0b1c2d3-0000-4000-8000-000000000001/USMT');
    expect(readdirSync(usmt).sort()).toEqual(['manifest.osdm', 'packs', 'store.json']);
    expect(readFileSync(join(root, '_SMSTaskSequence/Logs/userstate-capture.log'), 'utf8')).toMatch(/<!\[LOG\[Capture User State: local encrypted store/);
    const before = statSync(join(root, 'Users/jdoe/Documents/Q3 report.docx')).mtimeMs;

    wipe(root);
    const r = exec(restoreUserState, {}, { ...vars, _OSDStateStoreKey: key }, 'FullOS');
    expect(await run(restoreUserStateHandler, { x: r.x, computer, content })).toEqual({ exitCode: 0 });
    expect(readFileSync(join(root, 'Users/jdoe/Documents/Größe/über.txt'), 'utf8')).toBe('ü'.repeat(100));
    expect(statSync(join(root, 'Users/jdoe/Desktop/big.bin')).size).toBe(5 * 1024 * 1024);
    expect(Math.abs(statSync(join(root, 'Users/jdoe/Documents/Q3 report.docx')).mtimeMs - before)).toBeLessThan(2000);
    expect(existsSync(join(root, 'Users/jdoe/AppData/Roaming/app/settings.json'))).toBe(false); // standard: known folders only
    expect(existsSync(join(root, 'Users/asmith/Pictures/cat.jpg'))).toBe(true);
    expect(r.env.get('_OSDUserStateRestoreErrors')).toBe('0');
    expect(readFileSync(join(root, '_SMSTaskSequence/Logs/userstate-restore.log'), 'utf8')).toMatch(/v1 migrates files only/);
  });

  it('a wrong key: USERSTATE_WRONG_KEY (0x80090003) and nothing written', async () => {
    const { computer, root } = await machine();
    const c = exec(captureUserState, {}, { OSDStateStorePath: STORE, OSDMigrateAdditionalCaptureOptions: '/ue:*\\support' }, 'FullOS');
    expect(await run(captureUserStateHandler, { x: c.x, computer, content })).toEqual({ exitCode: 0 });
    wipe(root);
    const r = exec(restoreUserState, {}, { OSDStateStorePath: STORE, _OSDStateStoreKey: randomBytes(32).toString('base64') }, 'FullOS');
    const res = await run(restoreUserStateHandler, { x: r.x, computer, content });
    expect(res).toMatchObject({ exitCode: 0x80090003, message: expect.stringMatching(/^USERSTATE_WRONG_KEY/) });
    expect(existsSync(join(root, 'Users'))).toBe(false);
  });

  it('local accounts (§2.8 #10): the wizard trap fails the restore with the named error; with OSDMigrateLocalAccounts and a password it restores', async () => {
    const { computer, root } = await machine();
    const c = exec(captureUserState, {}, { OSDStateStorePath: STORE }, 'FullOS');
    expect(await run(captureUserStateHandler, { x: c.x, computer, content })).toEqual({ exitCode: 0 });
    const key = c.env.get('_OSDStateStoreKey')!;
    wipe(root);
    const r = exec(restoreUserState, {}, { OSDStateStorePath: STORE, _OSDStateStoreKey: key }, 'FullOS');
    expect(await run(restoreUserStateHandler, { x: r.x, computer, content })).toMatchObject({
      exitCode: 0x80070057,
      message: expect.stringMatching(/^USERSTATE_LOCAL_ACCOUNTS_REQUIRE_PASSWORD: .*CTS-PC-0423\\Support/),
    });
    const ok = exec(restoreUserState, { localAccounts: true, localAccountPassword: 'S3cret!' }, { OSDStateStorePath: STORE, _OSDStateStoreKey: key }, 'FullOS');
    expect(await run(restoreUserStateHandler, { x: ok.x, computer, content })).toEqual({ exitCode: 0 });
    expect(readFileSync(join(root, 'Users/Support/Desktop/tools.txt'), 'utf8')).toBe('support tools');
  });
});

describe('validation (§2.6 step 2)', () => {
  const cases: Array<[string, object, Record<string, string>, 'WinPE' | 'FullOS', RegExp]> = [
    ['no store path', {}, {}, 'FullOS', /OSDStateStorePath is not set/],
    ['a drive root', {}, { OSDStateStorePath: 'C:\\' }, 'FullOS', /drive root/],
    ['hard links with VSS', { useHardlinks: true, fileAccess: 'VSS' }, { OSDStateStorePath: STORE }, 'FullOS', /Volume Shadow Copy/],
    [
      'hard links with a state migration point',
      { useHardlinks: true },
      { OSDStateStorePath: STORE, _OSDStateStoreRemote: 'https://smp' },
      'FullOS',
      /state migration point/,
    ],
    ['/uel offline', { offlineUserState: true }, { OSDStateStorePath: STORE, OSDMigrateAdditionalCaptureOptions: '/uel:14' }, 'WinPE', /\/uel .* offline/],
    [
      'a MigXML file in Advanced mode',
      { mode: 'Advanced', configFiles: ['Custom.xml'], usmtPackageId: 'LAB00009' },
      { OSDStateStorePath: STORE },
      'FullOS',
      /USMT MigXML/,
    ],
    [
      'MigDocs with MigUser',
      { mode: 'Advanced', configFiles: ['MigDocs.xml', 'MigUser.xml'] },
      { OSDStateStorePath: STORE },
      'FullOS',
      /USERSTATE_DUPLICATE_RULESETS/,
    ],
  ];
  for (const [what, settings, vars, env, message] of cases) {
    it(`${what}: the step fails with 0x80070057 and says why`, async () => {
      const { computer } = await machine();
      const c = exec(captureUserState, settings, vars, env);
      expect(await run(captureUserStateHandler, { x: c.x, computer, content })).toMatchObject({
        exitCode: 0x80070057,
        message: expect.stringMatching(message),
      });
    });
  }

  it('Advanced mode reads a rules file from the USMT package', async () => {
    const lib = tempDir('us-lib-');
    put(
      lib,
      'LAB00009/roaming.osdstate.yaml',
      'apiVersion: openosd/v1\nkind: UserStateRules\nmetadata: { name: roaming }\nusers: { exclude: ["*\\\\support"] }\ncomponents:\n  - name: roaming\n    context: user\n    include: [{ path: "{AppDataRoaming}" }]\n',
    );
    const { computer, root } = await machine();
    const c = exec(
      captureUserState,
      { mode: 'Advanced', configFiles: ['roaming.osdstate.yaml'], usmtPackageId: 'LAB00009' },
      { OSDStateStorePath: STORE },
      'FullOS',
    );
    expect(await run(captureUserStateHandler, { x: c.x, computer, content: new ContentLibrary(lib) })).toEqual({ exitCode: 0 });
    wipe(root);
    const r = exec(restoreUserState, {}, { OSDStateStorePath: STORE, _OSDStateStoreKey: c.env.get('_OSDStateStoreKey')! }, 'FullOS');
    expect(await run(restoreUserStateHandler, { x: r.x, computer, content })).toEqual({ exitCode: 0 });
    expect(readFileSync(join(root, 'Users/jdoe/AppData/Roaming/app/settings.json'), 'utf8')).toBe('{"theme":"dark"}');
    expect(existsSync(join(root, 'Users/jdoe/Documents'))).toBe(false);
  });
});

describe('the hard-link store through the steps', () => {
  it('capture links (count 2) and sets _OSDMigrateUseHardlinks; after the wipe the restore links back and removes the store (count 1)', async () => {
    const { computer, root } = await machine();
    const vars = { OSDStateStorePath: 'C:\\_SMSTaskSequence\\UserState', OSDMigrateAdditionalCaptureOptions: '/ue:*\\support' };
    const c = exec(captureUserState, { useHardlinks: true }, vars, 'FullOS');
    expect(await run(captureUserStateHandler, { x: c.x, computer, content })).toEqual({ exitCode: 0 });
    expect(c.env.get('_OSDMigrateUseHardlinks')).toBe('true');
    expect(c.env.get('_OSDStateStoreKey')).toBeUndefined();
    expect(statSync(join(root, 'Users/jdoe/Desktop/big.bin')).nlink).toBe(2);
    const store = JSON.parse(readFileSync(join(root, '_SMSTaskSequence/UserState/USMT/store.json'), 'utf8'));
    expect(store.mode).toBe('plain');
    wipe(root);
    const r = exec(restoreUserState, {}, vars, 'FullOS');
    expect(await run(restoreUserStateHandler, { x: r.x, computer, content })).toEqual({ exitCode: 0 });
    expect(statSync(join(root, 'Users/jdoe/Desktop/big.bin')).nlink).toBe(1);
    expect(existsSync(join(root, '_SMSTaskSequence/UserState/USMT'))).toBe(false);
  });
});

/** A state migration point over a folder: what the agent's HTTP service does, without HTTP. */
function fakeSmp(): StateMigrationService & { dir: string; puts: string[] } {
  const dir = tempDir('us-smp-');
  const puts: string[] = [];
  return {
    dir,
    puts,
    request: async () => {
      throw new Error('not used');
    },
    putFile: async (storeId, name, src) => {
      puts.push(name);
      expect(statSync(src.path).size).toBe(src.size);
      mkdirSync(dirname(join(dir, storeId, name)), { recursive: true });
      copyFileSync(src.path, join(dir, storeId, name));
    },
    getFile: async (storeId, name, dest) => {
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(join(dir, storeId, name), dest);
    },
    release: async () => undefined,
  };
}

describe('the state migration point (remote mode)', () => {
  it('packs are uploaded as they are written, then the manifest and store.json; restore downloads them; a wrong key writes nothing', async () => {
    const smp = fakeSmp();
    const work = tempDir('us-work-');
    const { computer, root } = await machine();
    const key = randomBytes(32).toString('base64');
    const id = 'a0b1c2d3-0000-4000-8000-000000000001';
    const vars = {
      OSDStateStorePath: STORE,
      _OSDStateStoreRemote: 'https://site/smp',
      _OSDStateStoreKey: key,
      _OSDStateStoreId: id,
      OSDMigrateAdditionalCaptureOptions: '/ue:*\\support',
    };
    const c = exec(captureUserState, {}, vars, 'FullOS');
    expect(await run(captureUserStateHandler, { x: c.x, computer, content, services: { stateMigration: smp, workDir: work } })).toEqual({ exitCode: 0 });
    expect(smp.puts).toEqual(['packs/000001.osdp', 'manifest.osdm', 'store.json']);
    expect(readdirSync(work)).toEqual([]); // nothing left on the host
    writeFileSync(join(smp.dir, 'note'), '');
    wipe(root);
    const bad = exec(restoreUserState, {}, { ...vars, _OSDStateStoreKey: randomBytes(32).toString('base64') }, 'FullOS');
    expect(await run(restoreUserStateHandler, { x: bad.x, computer, content, services: { stateMigration: smp, workDir: work } })).toMatchObject({
      exitCode: 0x80090003,
    });
    expect(existsSync(join(root, 'Users'))).toBe(false);
    const r = exec(restoreUserState, {}, vars, 'FullOS');
    expect(await run(restoreUserStateHandler, { x: r.x, computer, content, services: { stateMigration: smp, workDir: work } })).toEqual({ exitCode: 0 });
    expect(readFileSync(join(root, 'Users/jdoe/Documents/Q3 report.docx'), 'utf8')).toBe('numbers');
  });

  it('without a site the step cannot run here (predicted)', () => {
    const c = exec(captureUserState, {}, { OSDStateStorePath: STORE, _OSDStateStoreRemote: 'https://site/smp' }, 'FullOS');
    expect(captureUserStateHandler.canRun!({ x: c.x } as HandlerContext)).toBe(false);
    const unc = exec(restoreUserState, {}, { OSDStateStorePath: '\\\\SMP01\\SMPSTOREC$\\x' }, 'FullOS');
    expect(restoreUserStateHandler.canRun!({ x: unc.x } as HandlerContext)).toBe(false);
  });
});

describe('errors while capturing and restoring', () => {
  it('an altered store: with OSDMigrateContinueOnRestore the step succeeds with _OSDUserStateRestoreErrors=1; without it it fails 0x80070570', async () => {
    const { computer, root } = await machine();
    const vars = { OSDStateStorePath: STORE, OSDMigrateAdditionalCaptureOptions: '/ue:*\\support' };
    const c = exec(captureUserState, {}, vars, 'FullOS');
    expect(await run(captureUserStateHandler, { x: c.x, computer, content })).toEqual({ exitCode: 0 });
    const key = c.env.get('_OSDStateStoreKey')!;
    const pack = join(root, '_SMSTaskSequence/UserState/a0b1c2d3-0000-4000-8000-000000000001/USMT/packs/000001.osdp');
    const bytes = readFileSync(pack);
    bytes[60] ^= 0x01; // inside the first frame's ciphertext
    writeFileSync(pack, bytes);
    wipe(root);
    const r = exec(restoreUserState, {}, { ...vars, _OSDStateStoreKey: key }, 'FullOS');
    expect(await run(restoreUserStateHandler, { x: r.x, computer, content })).toEqual({ exitCode: 0 });
    expect(r.env.get('_OSDUserStateRestoreErrors')).toBe('1');
    expect(r.logs.join('\n')).toMatch(/USERSTATE_INTEGRITY/);
    wipe(root);
    const strict = exec(restoreUserState, { continueOnRestore: false }, { ...vars, _OSDStateStoreKey: key }, 'FullOS');
    expect(await run(restoreUserStateHandler, { x: strict.x, computer, content })).toMatchObject({
      exitCode: 0x80070570,
      message: expect.stringMatching(/^USERSTATE_INTEGRITY/),
    });
  });

  it('a file that cannot be read: skipped with its reason (OSDMigrateContinueOnLockedFiles), or the step fails 0x80070020', async () => {
    const { computer } = await machine();
    const real = computer.files.bind(computer);
    // The volume refuses one file, as a file locked by another process would be.
    computer.files = async (ref) => {
      const v = await real(ref);
      return Object.assign(Object.create(Object.getPrototypeOf(v)), v, {
        openRead: async (p: string) => {
          if (p.endsWith('Q3 report.docx'))
            throw Object.assign(new Error('The process cannot access the file because it is being used by another process'), { exitCode: 0x80070020 });
          return v.openRead(p);
        },
      });
    };
    const vars = { OSDStateStorePath: STORE, OSDMigrateAdditionalCaptureOptions: '/ue:*\\support' };
    const c = exec(captureUserState, {}, vars, 'FullOS');
    expect(await run(captureUserStateHandler, { x: c.x, computer, content })).toEqual({ exitCode: 0 });
    expect(c.logs.join('\n')).toMatch(/warning: Skipped C:\\Users\\jdoe\\Documents\\Q3 report\.docx: The process cannot access the file/);
    const strict = exec(captureUserState, { continueOnLockedFiles: false }, vars, 'FullOS');
    expect(await run(captureUserStateHandler, { x: strict.x, computer, content })).toMatchObject({
      exitCode: 0x80070020,
      message: expect.stringMatching(/^USERSTATE_LOCKED_FILE: C:\\Users\\jdoe\\Documents\\Q3 report\.docx could not be captured/),
    });
  });
});
