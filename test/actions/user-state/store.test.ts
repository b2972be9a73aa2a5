// Capture and restore through the store format (user-state.md §2.3, §2.4; §2.8 #3 round trip,
// #4 tamper, #5 wrong key, a store cut short, #10 local accounts, hard-link mode with link counts).
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, openSync, readFileSync, readSync, statSync, truncateSync, writeSync, closeSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryVolume } from '../../../src/storage/volume/directory.js';
import { captureUserFiles } from '../../../src/actions/user-state/capture.js';
import { restoreUserFiles, type RestoreOptions } from '../../../src/actions/user-state/restore.js';
import type { Manifest } from '../../../src/actions/user-state/manifest.js';
import { BUILT_IN_RULES } from '../../../src/actions/user-state/rules.js';
import { FRAME_HEADER_BYTES, HostStoreDir, keyIdOf, StoreReader, StoreWriter, VolumeStoreDir } from '../../../src/actions/user-state/store-format.js';
import { tempDir } from '../../helpers/temp.js';
import { PROFILES, writeFixture } from './fixture.js';

const STORE_ID = '7b7083ab-42de-63fe-3d17-bd04f45520bc';
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

async function capture(options: { key?: Buffer; exclude?: string[] } = {}) {
  const src = tempDir('us-src-');
  const fixture = writeFixture(src);
  const storeDir = tempDir('us-store-');
  const key = options.key ?? randomBytes(32);
  const logs: string[] = [];
  const writer = new StoreWriter(new HostStoreDir(storeDir), { storeId: STORE_ID, key });
  const { manifest } = await captureUserFiles({
    volume: new DirectoryVolume(src),
    systemDrive: 'C:',
    profiles: PROFILES,
    rules: BUILT_IN_RULES.standard,
    users: { include: [], exclude: options.exclude ?? ['%computername%\\*'], loggedOnWithinDays: null },
    continueOnLockedFiles: true,
    skipEncryptedFiles: false,
    log: (m) => logs.push(m),
    target: { kind: 'store', writer },
    storeId: STORE_ID,
    source: { computerName: 'PC-042', capture: 'offline', environment: 'winpe' },
  });
  await writer.finish(manifest);
  return { src, fixture, storeDir, key, manifest, logs };
}

function restoreOptions(dst: string, reader: StoreReader<Manifest>, extra: Partial<RestoreOptions> = {}): RestoreOptions {
  return {
    volume: new DirectoryVolume(dst),
    systemDrive: 'C:',
    computerName: 'PC-043',
    manifest: reader.manifest,
    source: { kind: 'store', reader },
    usmt: { ui: [], ue: [], md: [], mu: [] },
    localAccounts: false,
    continueOnRestore: true,
    collision: 'rename',
    log: () => undefined,
    ...extra,
  };
}

describe('the encrypted store', () => {
  it('round trip (§2.8 #3): identical tree, sizes, SHA-256, mtimes, read-only; empty folder; exclusions hold', async () => {
    const { src, fixture, storeDir, key, manifest } = await capture();
    const store = JSON.parse(readFileSync(join(storeDir, 'store.json'), 'utf8'));
    expect(store).toMatchObject({
      format: 'openosd.userstate/v1',
      storeId: STORE_ID,
      mode: 'encrypted',
      cipher: 'AES-256-GCM',
      compression: 'deflate-raw',
      keyId: keyIdOf(key),
    });
    expect(store.keyId).toMatch(/^[0-9a-f]{32}$/);
    expect(readdirSync(join(storeDir, 'packs'))).toEqual(['000001.osdp']);
    const big = manifest.entries.find((e) => e.source.endsWith('big.bin'))!;
    expect(big.frames).toHaveLength(3);
    expect(manifest.entries.find((e) => e.source.endsWith('empty.txt'))!.frames).toEqual([]);
    expect(manifest.entries.find((e) => e.source.endsWith('report.docx'))!.target).toEqual({ base: '{Documents}', relative: 'report.docx' });
    expect(manifest.users.map((u) => u.account)).toEqual(['CONTOSO\\alice', 'CONTOSO\\bob']);
    // the packs hold no plaintext
    const pack = readFileSync(join(storeDir, 'packs/000001.osdp'));
    expect(pack.subarray(0, 4).toString()).toBe('OSDF');
    expect(pack.includes(Buffer.from('report v1'))).toBe(false);

    const reader = await StoreReader.open<Manifest>(new HostStoreDir(storeDir), key);
    await reader.checkPacks();
    const dst = tempDir('us-dst-');
    const r = await restoreUserFiles(restoreOptions(dst, reader));
    reader.close();
    expect(r.errors).toEqual([]);
    for (const rel of fixture.captured) {
      const a = join(src, rel);
      const b = join(dst, rel);
      expect(existsSync(b), rel).toBe(true);
      expect(statSync(b).size, rel).toBe(statSync(a).size);
      expect(sha(b), rel).toBe(sha(a));
      expect(Math.abs(statSync(b).mtimeMs - statSync(a).mtimeMs), rel).toBeLessThan(2000);
    }
    for (const rel of fixture.notCaptured) expect(existsSync(join(dst, rel)), rel).toBe(false);
    expect(statSync(join(dst, 'Users/alice/Desktop/readonly.txt')).mode & 0o222).toBe(0);
    expect(statSync(join(dst, 'Users/alice/Documents/EmptyFolder')).isDirectory()).toBe(true);
    expect(existsSync(join(dst, 'Users/kiosk'))).toBe(false);
  });

  it('wrong key (§2.8 #5): USERSTATE_WRONG_KEY before anything is read or written', async () => {
    const { storeDir } = await capture();
    await expect(StoreReader.open(new HostStoreDir(storeDir), randomBytes(32))).rejects.toMatchObject({ errorName: 'USERSTATE_WRONG_KEY', code: 0x80090003 });
    await expect(StoreReader.open(new HostStoreDir(storeDir), undefined)).rejects.toMatchObject({ errorName: 'USERSTATE_WRONG_KEY' });
  });

  it('tamper (§2.8 #4): one flipped byte fails that file only; continue-on-restore restores the others; without it the restore stops', async () => {
    const { storeDir, key, manifest } = await capture();
    const report = manifest.entries.find((e) => e.source.endsWith('report.docx'))!;
    const f = report.frames![0];
    const fd = openSync(join(storeDir, 'packs/000001.osdp'), 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, f.offset + FRAME_HEADER_BYTES + 2);
    writeSync(fd, Buffer.from([b[0] ^ 0x40]), 0, 1, f.offset + FRAME_HEADER_BYTES + 2);
    closeSync(fd);

    let reader = await StoreReader.open<Manifest>(new HostStoreDir(storeDir), key);
    const dst = tempDir('us-dst-');
    const r = await restoreUserFiles(restoreOptions(dst, reader));
    reader.close();
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ path: 'Users/alice/Documents/report.docx', code: 0x80070570 });
    expect(r.errors[0].message).toMatch(/USERSTATE_INTEGRITY.*authentication tag/);
    expect(existsSync(join(dst, 'Users/alice/Documents/report.docx'))).toBe(false); // never half-restored
    expect(existsSync(join(dst, 'Users/alice/Documents/big.bin'))).toBe(true);

    reader = await StoreReader.open<Manifest>(new HostStoreDir(storeDir), key);
    await expect(restoreUserFiles(restoreOptions(tempDir('us-dst-'), reader, { continueOnRestore: false }))).rejects.toMatchObject({
      errorName: 'USERSTATE_INTEGRITY',
    });
    reader.close();
  });

  it('a store cut short is refused before anything is written; a store without a manifest is incomplete', async () => {
    const { storeDir, key } = await capture();
    const pack = join(storeDir, 'packs/000001.osdp');
    truncateSync(pack, statSync(pack).size - 1000);
    const reader = await StoreReader.open<Manifest>(new HostStoreDir(storeDir), key);
    await expect(reader.checkPacks()).rejects.toMatchObject({ errorName: 'USERSTATE_STORE_INCOMPLETE' });
    const m = join(storeDir, 'manifest.osdm');
    truncateSync(m, statSync(m).size - 10);
    await expect(StoreReader.open(new HostStoreDir(storeDir), key)).rejects.toMatchObject({ errorName: 'USERSTATE_STORE_INCOMPLETE' });
  });

  it('packs roll over at their limit, frames numbered per pack; a store on a volume reads the same', async () => {
    const vol = new DirectoryVolume(tempDir('us-vol-'));
    const key = randomBytes(32);
    const w = new StoreWriter(new VolumeStoreDir(vol, 'State/USMT'), { storeId: STORE_ID, key, packMaxBytes: 6 * 1024 * 1024 });
    const data = randomBytes(10 * 1024 * 1024);
    const stored = await w.addFile([data.subarray(0, 3_000_000), data.subarray(3_000_000)]);
    expect(stored.frames.map((f) => [f.pack, f.frame])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    await w.finish({ format: 'openosd.userstate/v1', x: 1 });
    const r = await StoreReader.open(new VolumeStoreDir(vol, 'State/USMT'), key);
    await r.checkPacks();
    const parts: Buffer[] = [];
    for await (const c of r.readFrames(stored.frames, 'x')) parts.push(c);
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    expect(r.store.packs).toHaveLength(3);
  });
});

describe('local accounts (§2.8 #10)', () => {
  it('a store with PC-042\\kiosk: restore fails with the named error unless OSDMigrateLocalAccounts; with it the account is made', async () => {
    const { storeDir, key } = await capture({ exclude: [] });
    let reader = await StoreReader.open<Manifest>(new HostStoreDir(storeDir), key);
    const dst = tempDir('us-dst-');
    await expect(restoreUserFiles(restoreOptions(dst, reader))).rejects.toMatchObject({
      errorName: 'USERSTATE_LOCAL_ACCOUNTS_REQUIRE_PASSWORD',
      code: 0x80070057,
    });
    expect(readdirSync(dst)).toEqual([]); // nothing written
    reader.close();
    reader = await StoreReader.open<Manifest>(new HostStoreDir(storeDir), key);
    await expect(restoreUserFiles(restoreOptions(dst, reader, { localAccounts: true }))).rejects.toMatchObject({ errorName: 'USERSTATE_INVALID_OPTIONS' });
    const r = await restoreUserFiles(restoreOptions(dst, reader, { localAccounts: true, localAccountPassword: 'P@ss' }));
    expect(r.users.find((u) => u.account === 'PC-042\\kiosk')).toMatchObject({ selected: true, restoredAs: 'PC-043\\kiosk' });
    expect(readFileSync(join(dst, 'Users/kiosk/Desktop/kiosk.txt'), 'utf8')).toBe('kiosk');
    reader.close();
  });

  it('the association accounts and /ui /ue /md choose who is restored', async () => {
    const { storeDir, key } = await capture();
    const reader = await StoreReader.open<Manifest>(new HostStoreDir(storeDir), key);
    const dst = tempDir('us-dst-');
    const r = await restoreUserFiles(
      restoreOptions(dst, reader, { accounts: ['CONTOSO\\bob'], usmt: { ui: [], ue: [], md: [{ from: 'CONTOSO', to: 'FABRIKAM' }], mu: [] } }),
    );
    expect(r.users.map((u) => [u.account, u.selected, u.restoredAs])).toEqual([
      ['CONTOSO\\alice', false, undefined],
      ['CONTOSO\\bob', true, 'FABRIKAM\\bob'],
    ]);
    expect(existsSync(join(dst, 'Users/alice'))).toBe(false);
    expect(existsSync(join(dst, 'Users/bob/Pictures/cat.jpg'))).toBe(true);
    expect(existsSync(join(dst, 'Data/notes.txt'))).toBe(true); // system files always
    reader.close();
  });

  it('collisions are renamed Name(1).ext', async () => {
    const { storeDir, key } = await capture();
    const reader = await StoreReader.open<Manifest>(new HostStoreDir(storeDir), key);
    const dst = tempDir('us-dst-');
    const vol = new DirectoryVolume(dst);
    await vol.writeFile('Users/alice/Documents/report.docx', 'already here');
    const r = await restoreUserFiles(restoreOptions(dst, reader));
    expect(r.renamed).toBe(1);
    expect(readFileSync(join(dst, 'Users/alice/Documents/report.docx'), 'utf8')).toBe('already here');
    expect(readFileSync(join(dst, 'Users/alice/Documents/report(1).docx'), 'utf8')).toBe('report v1\r\n');
    reader.close();
  });
});

describe('the hard-link store', () => {
  it('links instead of copying (link count 2), a plain manifest; restore re-links after a wipe; the store removed, link count 1', async () => {
    const src = tempDir('us-hl-');
    const fixture = writeFixture(src);
    const vol = new DirectoryVolume(src);
    const folder = '_SMSTaskSequence/UserState/USMT';
    const writer = new StoreWriter(new VolumeStoreDir(vol, folder), { storeId: STORE_ID });
    const { manifest } = await captureUserFiles({
      volume: vol,
      systemDrive: 'C:',
      profiles: PROFILES,
      rules: BUILT_IN_RULES.standard,
      users: { include: [], exclude: ['%computername%\\*'], loggedOnWithinDays: null },
      storePath: 'C:\\_SMSTaskSequence\\UserState',
      continueOnLockedFiles: true,
      skipEncryptedFiles: false,
      log: () => undefined,
      target: { kind: 'hardlink', folder },
      storeId: STORE_ID,
      source: { computerName: 'PC-042', capture: 'online', environment: 'fullos' },
    });
    await writer.finish(manifest);
    const store = JSON.parse(readFileSync(join(src, folder, 'store.json'), 'utf8'));
    expect(store).toMatchObject({ mode: 'plain', cipher: 'none', packs: [] });
    expect(store.keyId).toBeUndefined();
    expect(statSync(join(src, 'Users/alice/Documents/big.bin')).nlink).toBe(2);
    expect(statSync(join(src, folder, 'File/C$/Users/alice/Documents/big.bin')).nlink).toBe(2);
    const before = Object.fromEntries(fixture.captured.map((r) => [r, sha(join(src, r))]));
    // Apply Operating System: everything but the store is gone
    for (const name of readdirSync(src)) if (name !== '_SMSTaskSequence') await vol.remove(name);
    const reader = await StoreReader.open<Manifest>(new VolumeStoreDir(vol, folder), undefined);
    const r = await restoreUserFiles({ ...restoreOptions(src, reader), source: { kind: 'hardlink', folder } });
    expect(r.errors).toEqual([]);
    await vol.remove('_SMSTaskSequence/UserState');
    for (const rel of fixture.captured) {
      expect(sha(join(src, rel)), rel).toBe(before[rel]);
      expect(statSync(join(src, rel)).nlink, rel).toBe(1);
    }
  });
});
