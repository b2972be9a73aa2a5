/**
 * What Capture User State and Restore User State do on a Computer (user-state.md §2.6): the mode
 * (hard-link, remote to the state migration point, or a local encrypted store), the validation of
 * step 2, where the OS volume and the store are, the key, the rules, and the logs
 * (`userstate-capture.log` / `userstate-restore.log` in `_SMSTSLogPath` when that folder is on one
 * of the computer's drives). The handlers in src/actions/handlers/user-state.ts call these.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepExecution, StepResult } from '../../engine/ports.js';
import { formatCmTrace } from '../../engine/log/cmtrace.js';
import { InputError } from '../../sequence/input-error.js';
import { type Computer, filesOfDrive, type VolumeFiles } from '../computer.js';
import type { ContentLibrary } from '../content.js';
import { boolProperty } from '../handler.js';
import type { SiteServices } from '../services.js';
import { captureUserFiles } from './capture.js';
import { UserStateError } from './errors.js';
import type { Manifest } from './manifest.js';
import { computerNameOf, openRegistry, readProfiles } from './profiles.js';
import { restoreUserFiles } from './restore.js';
import { BUILT_IN_RULES, builtInForUsmtXml, combineRules, parseRules, parseUsmtOptions, type UserStateRules } from './rules.js';
import { HostStoreDir, keyIdOf, parseKey, StoreReader, type StoreSource, StoreWriter, VolumeStoreDir } from './store-format.js';
import { readFileSync } from 'node:fs';
import { storePathOf } from './paths.js';

const isTrue = (v: string | undefined): boolean => /^true$/i.test((v ?? '').trim());
const invalid = (message: string, hint?: string): UserStateError => new UserStateError('USERSTATE_INVALID_OPTIONS', message, { hint });

export type CaptureMode = 'hardlink' | 'remote' | 'local';

/** §2.6 Capture step 1: the mode. */
export function captureMode(x: StepExecution): CaptureMode {
  const extra = parseUsmtOptions(x.variables.get('OSDMigrateAdditionalCaptureOptions'));
  if (isTrue(x.properties._OSDMigrateUseHardlinks) || isTrue(x.variables.get('_OSDMigrateUseHardlinks')) || extra.hardlink || extra.nocompress)
    return 'hardlink';
  if (x.variables.get('_OSDStateStoreRemote')) return 'remote';
  return 'local';
}

/** `C:\Users` → { letter 'C:', rest 'Users' }; undefined for a UNC or relative path. */
function drivePath(p: string): { letter: string; rest: string } | undefined {
  const m = /^([A-Za-z]:)(?:[\\/]+(.*))?$/.exec(p.trim());
  return m ? { letter: m[1].toUpperCase(), rest: (m[2] ?? '').replace(/[\\/]+$/, '') } : undefined;
}

/** Whether this host can do the step (else it is predicted): a remote store needs the state migration point. */
export function canRunUserState(x: StepExecution, services: SiteServices | undefined, restore: boolean): boolean {
  const path = storePathOf(x);
  if (!path) return true; // fails with its reason
  const remote = !!x.variables.get('_OSDStateStoreRemote');
  if (remote) return !!services?.stateMigration;
  if (!restore && captureMode(x) === 'hardlink') return true;
  return drivePath(path) !== undefined;
}

/** A log kept for the step and, at the end, written as a CMTrace file in `_SMSTSLogPath` when that is on a drive of the computer. */
class StepLog {
  readonly lines: string[] = [];
  constructor(
    private readonly x: StepExecution,
    private readonly component: string,
    private readonly verbose: boolean,
  ) {}
  log = (message: string, severity: 'info' | 'warning' | 'error' | 'verbose' = 'info'): void => {
    if (severity === 'verbose' && !this.verbose) return;
    this.lines.push(formatCmTrace({ time: new Date(), component: this.component, severity, message, file: 'userstate' }));
    if (severity !== 'verbose' || this.lines.length < 2000) this.x.log(message, severity === 'verbose' ? 'info' : severity);
  };
  async save(computer: Computer, file: string): Promise<void> {
    const where = drivePath(this.x.variables.get('_SMSTSLogPath') ?? '');
    if (!where) return;
    try {
      const files = await filesOfDrive(computer, where.letter);
      const path = `${where.rest ? `${where.rest.replace(/\\/g, '/')}/` : ''}${file}`;
      const before = (await files.exists(path)) ? await files.readFile(path) : Buffer.alloc(0);
      await files.writeFile(path, Buffer.concat([before, Buffer.from(this.lines.join(''), 'utf8')]));
    } catch (e) {
      this.x.log(`Could not write ${file} in ${this.x.variables.get('_SMSTSLogPath')}: ${(e as Error).message}`, 'warning');
    }
  }
}

/** The OS volume to capture from / restore to, and the drive letter that OS calls its own. */
async function osVolume(computer: Computer, x: StepExecution): Promise<{ files: VolumeFiles; letter: string; systemDrive: string }> {
  const tried: string[] = [];
  const candidates = [x.variables.get('_OSDDetectedWinDrive'), x.variables.get('OSDTargetSystemDrive'), 'C:', ...computer.drives().map((d) => d.letter)].filter(
    (l): l is string => !!l && /^[A-Za-z]:?$/.test(l.trim()),
  );
  for (const raw of candidates) {
    const letter = `${raw.trim()[0].toUpperCase()}:`;
    if (tried.includes(letter)) continue;
    tried.push(letter);
    const files = await filesOfDrive(computer, letter).catch(() => undefined);
    if (files && (await files.exists('Windows').catch(() => false))) {
      // The OS calls its drive C: [I]: the letter in its ProfileList paths (the lab's OS is installed on C:).
      return { files, letter, systemDrive: 'C:' };
    }
  }
  throw new UserStateError('USERSTATE_NO_STORE', `there is no installed Windows (a volume with a Windows folder) on drives ${tried.join(', ') || '(none)'}`, {
    hint: 'Capture User State reads the installed OS: in Windows PE set "Capture in off-line mode"',
  });
}

/** The rules of the step: Simple ⇒ `standard`; Advanced ⇒ the rule files (or known USMT XML names) of the USMT package. */
export function stepRules(x: StepExecution, content: ContentLibrary): UserStateRules {
  if ((x.properties.OSDMigrateMode ?? 'Simple').toLowerCase() !== 'advanced') return BUILT_IN_RULES.standard;
  const files = (x.properties.OSDMigrateConfigFiles ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  if (!files.length) throw invalid('OSDMigrateMode is Advanced and OSDMigrateConfigFiles names no rules file');
  const packageId = x.properties._OSDMigrateUsmtPackageID || x.properties._OSDMigrateUsmtRestorePackageID;
  const sets: UserStateRules[] = [];
  for (const f of files) {
    const builtIn = builtInForUsmtXml(f);
    if (builtIn) {
      sets.push(BUILT_IN_RULES[builtIn]);
      continue;
    }
    if (/\.xml$/i.test(f)) {
      throw invalid(
        `${f} is a USMT MigXML file: v1 reads OpenOSD rules files (.osdstate.yaml or .json) and the names MigDocs.xml, MigUser.xml, MigApp.xml (docs/user-state.md)`,
      );
    }
    if (!packageId) throw invalid(`OSDMigrateConfigFiles names ${f} but the step has no USMT package to read it from`);
    const path = join(content.packageFolder(packageId), f);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw invalid(`the rules file ${f} is not in package ${packageId} (${path})`);
    }
    try {
      sets.push(parseRules(text, `${packageId}\\${f}`));
    } catch (e) {
      if (e instanceof InputError) throw invalid(e.message);
      throw e;
    }
  }
  try {
    return combineRules(sets);
  } catch (e) {
    throw invalid((e as Error).message);
  }
}

function storeIdOf(x: StepExecution, fallbackPath: string): string {
  const v = x.variables.get('_OSDStateStoreId');
  if (v) return v;
  const last = fallbackPath.split(/[\\/]/).filter(Boolean).pop() ?? '';
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(last) ? last : randomUUID();
}

async function workFolder(services: SiteServices | undefined, storeId: string): Promise<string> {
  const dir = join(services?.workDir ?? tmpdir(), `userstate-${storeId}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

export interface StepContext {
  x: StepExecution;
  computer: Computer;
  content: ContentLibrary;
  services?: SiteServices;
}

// --- Capture -----------------------------------------------------------------------------------

export async function runCapture({ x, computer, content, services }: StepContext): Promise<StepResult> {
  const verbose = isTrue(x.properties.OSDMigrateEnableVerboseLogging);
  const log = new StepLog(x, 'OSDUSMT', verbose);
  try {
    return await capture({ x, computer, content, services }, log);
  } catch (e) {
    log.log((e as Error).message, 'error');
    throw e;
  } finally {
    await log.save(computer, 'userstate-capture.log');
  }
}

async function capture({ x, computer, content, services }: StepContext, log: StepLog): Promise<StepResult> {
  const mode = captureMode(x);
  const extra = parseUsmtOptions(x.variables.get('OSDMigrateAdditionalCaptureOptions'));
  const offline = isTrue(x.properties._OSDMigrateOfflineUserState) || x.environment === 'WinPE';
  const storePath = storePathOf(x);
  const rules = stepRules(x, content);
  // §2.6 step 2: validation [D].
  if (!storePath) throw invalid('OSDStateStorePath is not set: request a state store (Request State Store) or set a local folder before this step');
  if (/^[A-Za-z]:\\?$/.test(storePath.trim())) throw invalid(`OSDStateStorePath is a drive root (${storePath}): use a folder, e.g. %_SMSTSUserStatePath%`);
  if (mode === 'hardlink' && (x.properties.OSDMigrateFileAccess ?? '').toUpperCase() === 'VSS')
    throw invalid('hard links cannot be captured through Volume Shadow Copy (OSDMigrateFileAccess=VSS with _OSDMigrateUseHardlinks)');
  if (mode === 'hardlink' && x.variables.get('_OSDStateStoreRemote'))
    throw invalid('a hard-link store cannot be used with a state migration point: the data stays on this disk');
  const uel = extra.uel ?? rules.users.loggedOnWithinDays;
  if (offline && uel !== null)
    throw invalid('/uel (users logged on within N days) cannot be used for an offline capture: there is no logged-on information offline');
  if ((x.properties.OSDMigrateFileAccess ?? '').toUpperCase() === 'VSS')
    log.log('OSDMigrateFileAccess=VSS: there is no Volume Shadow Copy here; files are read directly', 'warning');
  for (const ignored of extra.ignored)
    log.log(`USMT_OPTION_IGNORED: ${ignored} in OSDMigrateAdditionalCaptureOptions is not honoured (user-state.md §2.1)`, 'warning');

  const os = await osVolume(computer, x);
  const { registry } = await openRegistry(os.files);
  const computerName = (await computerNameOf(registry)) ?? computer.profile.currentOs?.computerName ?? x.variables.get('_SMSTSMachineName') ?? computer.name;
  const profiles = await readProfiles(os.files, {
    systemDrive: os.systemDrive,
    computerName,
    domain: computer.profile.currentOs?.netbiosDomain ?? undefined,
    known: computer.profile.currentOs?.userProfiles,
    log: (m) => log.log(m),
  });
  log.log(
    `Capture User State: ${mode === 'hardlink' ? 'hard-link store' : mode === 'remote' ? 'to the state migration point' : 'local encrypted store'} in ${storePath}, ${offline ? 'offline' : 'online'}, rules ${rules.metadata.name}; ${profiles.length} profile(s) on ${os.letter}`,
  );
  const users = {
    include: [...rules.users.include, ...extra.ui],
    exclude: [...rules.users.exclude, ...extra.ue],
    loggedOnWithinDays: uel,
  };
  const storeId = storeIdOf(x, storePath);
  const source = {
    computerName,
    smbiosUuid: computer.profile.uuid ?? undefined,
    osVersion: computer.profile.currentOs?.version ?? undefined,
    arch: computer.profile.architecture,
    capture: offline ? ('offline' as const) : ('online' as const),
    environment: x.environment === 'WinPE' ? ('winpe' as const) : ('fullos' as const),
  };
  const common = {
    volume: os.files,
    systemDrive: os.systemDrive,
    profiles,
    rules,
    users,
    continueOnLockedFiles: boolProperty(x, 'OSDMigrateContinueOnLockedFiles') ?? true,
    skipEncryptedFiles: boolProperty(x, 'OSDMigrateSkipEncryptedFiles') ?? false,
    verbose: isTrue(x.properties.OSDMigrateEnableVerboseLogging) || (extra.verbose ?? 0) >= 5,
    log: log.log,
    storeId,
    source,
    signal: x.signal,
  };

  if (mode === 'hardlink') {
    const where = drivePath(storePath);
    if (!where || where.letter !== os.letter) {
      throw invalid(`a hard-link store must be on the volume of the captured OS (${os.letter}); OSDStateStorePath is ${storePath}`);
    }
    const folder = `${where.rest.replace(/\\/g, '/')}/USMT`;
    await os.files.remove(folder);
    const writer = new StoreWriter(new VolumeStoreDir(os.files, folder, { spoolDir: services?.workDir }), { storeId });
    const { manifest } = await captureUserFiles({ ...common, storePath: `${os.systemDrive}\\${where.rest}`, target: { kind: 'hardlink', folder } });
    await writer.finish(manifest);
    // Partition steps of wizard-built sequences are conditioned on it [C].
    x.variables.set('_OSDMigrateUseHardlinks', 'true', { builtIn: true });
    log.log(`Hard-link store written: ${manifest.totals.files} files linked under ${storePath}\\USMT\\File (no data copied)`);
    return { exitCode: 0 };
  }

  // Encrypted: the key of the state migration point, or (no site) one made here and kept only as a secret variable (§2.4).
  let keyText = x.variables.get('_OSDStateStoreKey');
  if (!keyText) {
    if (mode === 'remote') throw new UserStateError('USERSTATE_WRONG_KEY', '_OSDStateStoreKey is not set: Request State Store gives the key of a remote store');
    keyText = randomBytes(32).toString('base64');
    x.variables.set('_OSDStateStoreKey', keyText, { builtIn: true, secret: true });
    log.log(
      'No state migration point: a new key is kept only in the task sequence environment; if the task sequence is abandoned the store cannot be decrypted',
      'warning',
    );
  }
  const key = parseKey(keyText, '_OSDStateStoreKey');

  if (mode === 'remote') {
    const smp = services?.stateMigration;
    if (!smp) throw new UserStateError('USERSTATE_NO_STORE', 'the store is on a state migration point and this host has no site connection');
    const dir = await workFolder(services, storeId);
    const host = new HostStoreDir(dir);
    let uploaded = 0;
    const writer = new StoreWriter(host, {
      storeId,
      key,
      // Each pack goes up as soon as it is complete and is then deleted here (§2.6: streamed).
      onPack: async (p) => {
        const path = join(dir, p.file);
        await smp.putFile(storeId, p.file, { path, size: p.bytes, sha256: p.sha256 }, { signal: x.signal });
        uploaded += p.bytes;
        await rm(path, { force: true });
      },
    });
    try {
      const staging = drivePath(storePath);
      const excluded = staging && staging.letter === os.letter ? `${os.systemDrive}\\${staging.rest}` : undefined;
      const { manifest } = await captureUserFiles({ ...common, storePath: excluded, target: { kind: 'store', writer } });
      const store = await writer.finish(manifest);
      for (const name of ['manifest.osdm', 'store.json']) {
        const path = join(dir, name);
        const size = (await stat(path)).size;
        const sha256 = name === 'manifest.osdm' ? store.manifest.sha256 : await sha256File(path);
        await smp.putFile(storeId, name, { path, size, sha256 }, { signal: x.signal });
      }
      log.log(`Uploaded store ${storeId}: ${store.packs.length} pack(s), ${uploaded} bytes, keyId ${store.keyId}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return { exitCode: 0 };
  }

  // Local encrypted store on one of the computer's drives.
  const where = drivePath(storePath);
  if (!where) throw invalid(`OSDStateStorePath ${storePath} is not a folder on a drive of this computer`);
  const files = await filesOfDrive(computer, where.letter);
  const folder = `${where.rest.replace(/\\/g, '/')}/USMT`;
  await files.remove(folder);
  const writer = new StoreWriter(new VolumeStoreDir(files, folder, { spoolDir: services?.workDir }), { storeId, key });
  const excluded = where.letter === os.letter ? `${os.systemDrive}\\${where.rest}` : undefined;
  const { manifest } = await captureUserFiles({ ...common, storePath: excluded, target: { kind: 'store', writer } });
  const store = await writer.finish(manifest);
  log.log(`Store ${storeId} written in ${storePath}\\USMT: ${store.packs.length} pack(s), keyId ${store.keyId}`);
  return { exitCode: 0 };
}

async function sha256File(path: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

// --- Restore -----------------------------------------------------------------------------------

export async function runRestore(ctx: StepContext): Promise<StepResult> {
  const verbose = isTrue(ctx.x.properties.OSDMigrateEnableVerboseLogging);
  const log = new StepLog(ctx.x, 'OSDUSMT', verbose);
  try {
    return await restore(ctx, log);
  } catch (e) {
    log.log((e as Error).message, 'error');
    throw e;
  } finally {
    await log.save(ctx.computer, 'userstate-restore.log');
  }
}

async function restore({ x, computer, services }: StepContext, log: StepLog): Promise<StepResult> {
  const storePath = storePathOf(x);
  if (!storePath) throw invalid('OSDStateStorePath is not set: request the state store (Request State Store) or set the local folder before this step');
  const extra = parseUsmtOptions(x.variables.get('OSDMigrateAdditionalRestoreOptions'));
  for (const ignored of extra.ignored)
    log.log(`USMT_OPTION_IGNORED: ${ignored} in OSDMigrateAdditionalRestoreOptions is not honoured (user-state.md §2.1)`, 'warning');
  const os = await osVolume(computer, x);
  const remote = x.variables.get('_OSDStateStoreRemote');
  let source: StoreSource;
  let workDir: string | undefined;
  let hardlinkFolder: string | undefined;
  let localStore: { files: VolumeFiles; folder: string } | undefined;
  if (remote) {
    const smp = services?.stateMigration;
    if (!smp) throw new UserStateError('USERSTATE_NO_STORE', 'the store is on a state migration point and this host has no site connection');
    const storeId = storeIdOf(x, storePath);
    workDir = await workFolder(services, storeId);
    await smp.getFile(storeId, 'store.json', join(workDir, 'store.json'), { signal: x.signal });
    source = new HostStoreDir(workDir);
  } else {
    const where = drivePath(storePath);
    if (!where) throw invalid(`OSDStateStorePath ${storePath} is not a folder on a drive of this computer`);
    const files = await filesOfDrive(computer, where.letter);
    localStore = { files, folder: `${where.rest.replace(/\\/g, '/')}/USMT` };
    source = new VolumeStoreDir(files, localStore.folder, { spoolDir: services?.workDir });
  }
  try {
    const header = await StoreReader.header(source);
    // 1. The key is checked before anything is read or written.
    let key: Buffer | undefined;
    if (header.mode === 'encrypted') {
      const keyText = x.variables.get('_OSDStateStoreKey');
      if (!keyText) throw new UserStateError('USERSTATE_WRONG_KEY', `the store ${header.storeId} is encrypted and _OSDStateStoreKey is not set`);
      key = parseKey(keyText, '_OSDStateStoreKey');
      if (keyIdOf(key) !== header.keyId)
        throw new UserStateError('USERSTATE_WRONG_KEY', `_OSDStateStoreKey is not the key of store ${header.storeId} (keyId ${header.keyId})`);
    } else {
      if (!localStore) throw new UserStateError('USERSTATE_BAD_STORE', 'a plain (hard-link) store cannot come from a state migration point');
      if (localStore.files !== os.files && localStore.files.description !== os.files.description)
        throw invalid(`the hard-link store ${storePath} is not on the OS volume ${os.letter}`);
      hardlinkFolder = localStore.folder;
    }
    if (remote && workDir) {
      const smp = services!.stateMigration!;
      await smp.getFile(header.storeId, 'manifest.osdm', join(workDir, 'manifest.osdm'), { signal: x.signal });
      for (const p of header.packs) await smp.getFile(header.storeId, p.file, join(workDir, p.file), { signal: x.signal });
    }
    const reader = await StoreReader.open<Manifest>(source, key);
    await reader.checkPacks();
    const m = reader.manifest;
    log.log(
      `Restore User State: store ${m.storeId} from ${m.source.computerName} (${m.source.capture} capture), ${m.totals.users} user(s), ${m.totals.files} files, ${m.totals.bytes} bytes (v1 migrates files only: no registry settings or ACLs)`,
    );
    const { registry, why } = await openRegistry(os.files);
    if (!registry) log.log(`The new OS's registry cannot be read (${why}): profile folders are made without ProfileList entries`, 'warning');
    const computerName = (await computerNameOf(registry)) ?? x.variables.get('OSDComputerName') ?? x.variables.get('_SMSTSMachineName') ?? computer.name;
    const accountsVar = x.variables.get('_OSDStateStoreAccounts');
    const continueOnRestore = boolProperty(x, 'OSDMigrateContinueOnRestore') ?? true;
    const result = await restoreUserFiles({
      volume: os.files,
      systemDrive: os.systemDrive,
      computerName,
      manifest: m,
      source: hardlinkFolder ? { kind: 'hardlink', folder: hardlinkFolder } : { kind: 'store', reader },
      registry,
      accounts: accountsVar
        ? accountsVar
            .split(',')
            .map((a) => a.trim())
            .filter(Boolean)
        : undefined,
      usmt: extra,
      localAccounts: boolProperty(x, 'OSDMigrateLocalAccounts') ?? false,
      localAccountPassword: x.properties.OSDMigrateLocalAccountPassword || x.variables.get('OSDMigrateLocalAccountPassword') || undefined,
      continueOnRestore,
      collision: (m.rules.document as UserStateRules | undefined)?.restore?.collision ?? 'rename',
      verbose: isTrue(x.properties.OSDMigrateEnableVerboseLogging),
      log: log.log,
      signal: x.signal,
    });
    reader.close();
    x.variables.set('_OSDUserStateRestoreErrors', String(result.errors.length), { builtIn: true });
    // 7. A hard-link store goes after a clean restore (unlink only); kept when anything failed [D best practice].
    if (hardlinkFolder && localStore) {
      if (result.errors.length === 0) {
        await localStore.files.remove(hardlinkFolder);
        log.log(`Removed the hard-link store ${storePath}\\USMT (the restored files keep their data)`);
      } else {
        log.log(`The hard-link store ${storePath}\\USMT is kept: ${result.errors.length} file(s) could not be restored`, 'warning');
      }
    }
    if (result.errors.length) {
      log.log(
        `Restore finished with ${result.errors.length} error(s) (OSDMigrateContinueOnRestore is true): _OSDUserStateRestoreErrors=${result.errors.length}`,
        'warning',
      );
    }
    return { exitCode: 0 };
  } finally {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }
}
