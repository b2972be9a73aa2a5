// `osd userstate extract` (user-state.md §2.4 recovery): a store's files with the key, filtered by
// user and glob; exit 2 with a clear message for a wrong key or no store; exit 1 when a file fails.
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, readFileSync, statSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureUserFiles } from '../../../src/actions/user-state/capture.js';
import { BUILT_IN_RULES } from '../../../src/actions/user-state/rules.js';
import { HostStoreDir, StoreWriter, FRAME_HEADER_BYTES } from '../../../src/actions/user-state/store-format.js';
import { main } from '../../../src/cli/main.js';
import { DirectoryVolume } from '../../../src/storage/volume/directory.js';
import { tempDir } from '../../helpers/temp.js';
import { PROFILES, T0, writeFixture } from './fixture.js';

let src: string;
let store: string;
let key: Buffer;
let reportOffset = 0;
beforeAll(async () => {
  src = tempDir('us-x-src-');
  writeFixture(src);
  store = tempDir('us-x-store-');
  key = randomBytes(32);
  const writer = new StoreWriter(new HostStoreDir(join(store, 'USMT')), { storeId: '11111111-2222-4333-8444-555555555555', key });
  const { manifest } = await captureUserFiles({
    volume: new DirectoryVolume(src),
    systemDrive: 'C:',
    profiles: PROFILES,
    rules: BUILT_IN_RULES.standard,
    users: { include: [], exclude: [], loggedOnWithinDays: null },
    continueOnLockedFiles: true,
    skipEncryptedFiles: false,
    log: () => undefined,
    target: { kind: 'store', writer },
    storeId: '11111111-2222-4333-8444-555555555555',
    source: { computerName: 'PC-042', capture: 'offline', environment: 'winpe' },
  });
  await writer.finish(manifest);
  reportOffset = manifest.entries.find((e) => e.source.endsWith('report.docx'))!.frames![0].offset;
});

async function osd(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    const code = await main(['node', 'osd', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
afterEach(() => vi.restoreAllMocks());

describe('osd userstate extract', () => {
  it('extracts everything under OUT/C/… with times, or one user, or a glob', async () => {
    const out = tempDir('us-x-out-');
    const r = await osd('userstate', 'extract', '--store', store, '--key', key.toString('base64'), '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/extracted \d+ file\(s\)/);
    expect(readFileSync(join(out, 'C/Users/alice/Documents/report.docx'), 'utf8')).toBe('report v1\r\n');
    expect(statSync(join(out, 'C/Users/alice/Documents/report.docx')).mtimeMs).toBe(T0);
    expect(existsSync(join(out, 'C/Users/kiosk/Desktop/kiosk.txt'))).toBe(true);

    const bob = tempDir('us-x-out-');
    expect(
      (await osd('userstate', 'extract', '--store', join(store, 'USMT'), '--key', key.toString('base64'), '--out', bob, '--user', 'contoso\\bob')).code,
    ).toBe(0);
    expect(existsSync(join(bob, 'C/Users/bob/Pictures/cat.jpg'))).toBe(true);
    expect(existsSync(join(bob, 'C/Users/alice'))).toBe(false);
    expect(existsSync(join(bob, 'C/Data'))).toBe(false);

    const docx = tempDir('us-x-out-');
    expect(
      (await osd('userstate', 'extract', '--store', store, '--key', key.toString('base64'), '--out', docx, '--include', '**\\Documents\\*.docx')).code,
    ).toBe(0);
    expect(existsSync(join(docx, 'C/Users/alice/Documents/report.docx'))).toBe(true);
    expect(existsSync(join(docx, 'C/Users/alice/Documents/empty.txt'))).toBe(false);
  });

  it('a wrong key or a folder without a store: exit 2, the option named', async () => {
    const out = tempDir('us-x-out-');
    const wrong = await osd('userstate', 'extract', '--store', store, '--key', randomBytes(32).toString('base64'), '--out', out);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/--key: USERSTATE_WRONG_KEY: the key is not the key of store/);
    const short = await osd('userstate', 'extract', '--store', store, '--key', 'abc', '--out', out);
    expect(short.code).toBe(2);
    expect(short.err).toMatch(/not a store key: base64 of 32 bytes/);
    const none = await osd('userstate', 'extract', '--store', out, '--key', key.toString('base64'), '--out', out);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/--store: USERSTATE_NO_STORE/);
  });

  it('a file altered in the store: reported, not written, exit 1', async () => {
    const pack = join(store, 'USMT/packs/000001.osdp');
    const fd = openSync(pack, 'r+');
    writeSync(fd, Buffer.from([0x55]), 0, 1, reportOffset + FRAME_HEADER_BYTES + 1);
    closeSync(fd);
    const out = tempDir('us-x-out-');
    const r = await osd('userstate', 'extract', '--store', store, '--key', key.toString('base64'), '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/failed: C:\\Users\\alice\\Documents\\report\.docx: USERSTATE_INTEGRITY/);
    expect(existsSync(join(out, 'C/Users/alice/Documents/report.docx'))).toBe(false);
    expect(existsSync(join(out, 'C/Users/alice/Documents/big.bin'))).toBe(true);
  });
});
