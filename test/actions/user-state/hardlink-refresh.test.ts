// A refresh with hard links (user-state.md §2.7, §2.8 #11) on a computer in folders: Capture User
// State links the files into _SMSTSUserStatePath, Apply Operating System applies a real WIM and
// wipes everything but that folder, Restore User State links them back and removes the store.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../../src/actions/content.js';
import { failureResult } from '../../../src/actions/errors.js';
import { applyOperatingSystemHandler } from '../../../src/actions/handlers/apply-operating-system.js';
import { captureUserStateHandler, restoreUserStateHandler } from '../../../src/actions/handlers/user-state.js';
import type { StepResult } from '../../../src/engine/ports.js';
import { makeTestContent, type TestContent } from '../../../src/lab/test-content/index.js';
import type { DirectoryVolume } from '../../../src/storage/volume/directory.js';
import { applyOperatingSystem, captureUserState, restoreUserState } from '../../../src/sequence/catalog/index.js';
import { directoryComputer, execution, profile, step } from '../handlers/helpers.js';
import { tempDir } from '../../helpers/temp.js';
import { put } from './fixture.js';

let content: TestContent;
beforeAll(async () => {
  content = await makeTestContent(join(tempDir('us-apply-'), 'content'), { imageSizeMB: 1 });
}, 120_000);

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

describe('hard-link refresh through Apply Operating System', () => {
  it('nothing is lost: the store survives the new image, files come back with link count 1, the store is removed', async () => {
    const { computer, cleanup } = directoryComputer(profile('win10-x64-refresh.json'));
    try {
      const v = await computer.writeLayout(0, {
        style: 'gpt',
        partitions: [
          { kind: 'efi', sizeBytes: 100 << 20 },
          { kind: 'msr', sizeBytes: 16 << 20 },
          { kind: 'primary', name: 'Windows' },
        ],
      });
      await computer.format(v[2], 'NTFS', 'Windows');
      computer.setDrives([{ letter: 'C:', disk: 0, partition: 3 }]);
      const root = ((await computer.files(v[2])) as DirectoryVolume).root;
      put(root, 'Windows/old-os.txt', 'the old OS');
      put(root, 'Users/jdoe/NTUSER.DAT', 'hive');
      put(root, 'Users/jdoe/Documents/plan.txt', 'plan');
      const big = randomBytes(3 << 20);
      put(root, 'Users/jdoe/Documents/big.bin', big);
      const vars = { _SMSTSUserStatePath: 'C:\\_SMSTaskSequence\\UserState', OSDStateStorePath: '%_SMSTSUserStatePath%' };

      const c = exec(step(captureUserState, { useHardlinks: true }), vars, 'FullOS');
      expect(await run(() => captureUserStateHandler.run!({ x: c.x, computer, content: new ContentLibrary(content.root) }))).toEqual({ exitCode: 0 });
      expect(statSync(join(root, 'Users/jdoe/Documents/big.bin')).nlink).toBe(2);

      const a = exec(
        step(applyOperatingSystem, { imagePackageId: content.imagePackageId, imageIndex: 1, destination: { kind: 'next-available' } }),
        vars,
        'WinPE',
      );
      expect(await run(() => applyOperatingSystemHandler.run!({ x: a.x, computer, content: new ContentLibrary(content.root) }))).toEqual({ exitCode: 0 });
      expect(a.logs.join('\n')).toMatch(/Wiped C: except the user state folder C:\\_SMSTaskSequence\\UserState/);
      expect(existsSync(join(root, 'Windows/old-os.txt'))).toBe(false);
      expect(existsSync(join(root, 'Users/jdoe/Documents/plan.txt'))).toBe(false);
      expect(existsSync(join(root, 'edition.txt'))).toBe(true); // the new image
      expect(statSync(join(root, '_SMSTaskSequence/UserState/USMT/File/C$/Users/jdoe/Documents/big.bin')).nlink).toBe(1);

      const r = exec(step(restoreUserState, {}), vars, 'FullOS');
      expect(await run(() => restoreUserStateHandler.run!({ x: r.x, computer, content: new ContentLibrary(content.root) }))).toEqual({ exitCode: 0 });
      expect(readFileSync(join(root, 'Users/jdoe/Documents/big.bin')).equals(big)).toBe(true);
      expect(statSync(join(root, 'Users/jdoe/Documents/big.bin')).nlink).toBe(1);
      expect(existsSync(join(root, '_SMSTaskSequence/UserState/USMT'))).toBe(false);
    } finally {
      cleanup();
    }
  }, 120_000);

  it('without a store the volume is formatted as before', async () => {
    const { computer, cleanup } = directoryComputer(profile('win10-x64-refresh.json'));
    try {
      const v = await computer.writeLayout(0, {
        style: 'gpt',
        partitions: [
          { kind: 'efi', sizeBytes: 100 << 20 },
          { kind: 'primary', name: 'Windows' },
        ],
      });
      await computer.format(v[1], 'NTFS', 'Windows');
      computer.setDrives([{ letter: 'C:', disk: 0, partition: 2 }]);
      const root = ((await computer.files(v[1])) as DirectoryVolume).root;
      put(root, 'old.txt', 'x');
      put(root, '_SMSTaskSequence/UserState/.keep', ''); // a store on another drive (D:): this folder is not the user state folder
      const a = exec(
        step(applyOperatingSystem, { imagePackageId: content.imagePackageId, imageIndex: 1, destination: { kind: 'next-available' } }),
        { _SMSTSUserStatePath: 'D:\\elsewhere' },
        'WinPE',
      );
      expect(await run(() => applyOperatingSystemHandler.run!({ x: a.x, computer, content: new ContentLibrary(content.root) }))).toEqual({ exitCode: 0 });
      expect(existsSync(join(root, 'old.txt'))).toBe(false);
      expect(existsSync(join(root, '_SMSTaskSequence'))).toBe(false);
    } finally {
      cleanup();
    }
  }, 120_000);
});
