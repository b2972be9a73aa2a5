#!/usr/bin/env node
// One user state operation in its own process, for bench/userstate.bench.mjs (its peak RSS is its own):
//   capture  TREE STORE KEY_B64   — the tree's Users\bench files into an encrypted store (HostStoreDir, as remote mode stages it)
//   restore  STORE DST KEY_B64    — the store into an empty folder volume
//   hardlink TREE                 — the hard-link capture of the same files (links under _SMSTaskSequence\UserState\USMT\File)
// Prints {"ms":…, "cpuMs":…, "peakRssMB":…, "files":…, "bytes":…, "native":…}: CPU and peak RSS include the native
// userstore helper (docs/user-state.md "Round 4") when it ran; OSD_USERSTORE=/nonexistent forces the Node path.
import { readFileSync } from 'node:fs';
import { captureUserFiles } from '../dist/actions/user-state/capture.js';
import { restoreUserFiles } from '../dist/actions/user-state/restore.js';
import { BUILT_IN_RULES } from '../dist/actions/user-state/rules.js';
import { nativeStats } from '../dist/actions/user-state/native-store.js';
import { HostStoreDir, StoreReader, StoreWriter, VolumeStoreDir } from '../dist/actions/user-state/store-format.js';
import { DirectoryVolume } from '../dist/storage/volume/directory.js';

const [mode, a, b, keyText] = process.argv.slice(2);
const STORE_ID = '5e6f7a8b-0000-4000-8000-00000000be9c';
const profiles = [{ sid: 'S-1-5-21-1-2-3-1104', account: 'CONTOSO\\bench', kind: 'domain', profilePath: 'C:\\Users\\bench', folderName: 'bench' }];
const common = {
  systemDrive: 'C:',
  profiles,
  rules: BUILT_IN_RULES.standard,
  users: { include: [], exclude: [], loggedOnWithinDays: null },
  continueOnLockedFiles: true,
  skipEncryptedFiles: false,
  log: () => undefined,
  storeId: STORE_ID,
  source: { computerName: 'BENCH', capture: 'offline', environment: 'winpe' },
};
const peak = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
/** CPU of this process's waited-for children (the helper), ms: cutime + cstime of /proc/self/stat (clock ticks of 10 ms). */
const childCpuMs = () => {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
};
const child0 = childCpuMs();

const t = performance.now();
const cpu0 = process.cpuUsage();
let files;
let bytes;
if (mode === 'capture') {
  const writer = new StoreWriter(new HostStoreDir(b), {
    storeId: STORE_ID,
    key: Buffer.from(keyText, 'base64'),
    level: process.env.OSD_USERSTATE_LEVEL ? Number(process.env.OSD_USERSTATE_LEVEL) : undefined,
  });
  const { manifest } = await captureUserFiles({ ...common, volume: new DirectoryVolume(a), target: { kind: 'store', writer } });
  await writer.finish(manifest);
  ({ files, bytes } = manifest.totals);
} else if (mode === 'restore') {
  const reader = await StoreReader.open(new HostStoreDir(a), Buffer.from(keyText, 'base64'));
  await reader.checkPacks();
  const r = await restoreUserFiles({
    volume: new DirectoryVolume(b),
    systemDrive: 'C:',
    computerName: 'BENCH',
    manifest: reader.manifest,
    source: { kind: 'store', reader },
    usmt: { ui: [], ue: [], md: [], mu: [] },
    localAccounts: false,
    continueOnRestore: false,
    collision: 'rename',
    log: () => undefined,
  });
  reader.close();
  ({ files, bytes } = r);
} else if (mode === 'hardlink') {
  const vol = new DirectoryVolume(a);
  const folder = '_SMSTaskSequence/UserState/USMT';
  const writer = new StoreWriter(new VolumeStoreDir(vol, folder), { storeId: STORE_ID });
  const { manifest } = await captureUserFiles({ ...common, volume: vol, storePath: 'C:\\_SMSTaskSequence\\UserState', target: { kind: 'hardlink', folder } });
  await writer.finish(manifest);
  ({ files, bytes } = manifest.totals);
} else {
  throw new Error(`unknown mode ${mode}`);
}
const cpu = process.cpuUsage(cpu0);
const helperCpuMs = childCpuMs() - child0;
process.stdout.write(
  `${JSON.stringify({
    ms: performance.now() - t,
    cpuMs: (cpu.user + cpu.system) / 1000 + helperCpuMs,
    helperCpuMs,
    peakRssMB: Math.max(peak(), nativeStats.peakRssKiB / 1024),
    nodeRssMB: peak(),
    helperRssMB: nativeStats.peakRssKiB / 1024,
    native: nativeStats.runs > 0,
    files,
    bytes,
  })}\n`,
);
