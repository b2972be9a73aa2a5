/**
 * Auto Apply Drivers and Apply Driver Package (task-sequence-format §8.6, §8.7; osd-features §2.6;
 * unattend.md §9). Matching: the computer's PnP hardware and compatible IDs against the driver
 * catalog (enabled drivers, the target architecture, the chosen categories; best match or all
 * compatible). Staging: each selected driver's folder is copied to
 * `%OSDTargetSystemDrive%\_SMSTaskSequence\drivers\<n>\`, `…\PkgMgrTemp\drivers.xml` lists them
 * (offlineServicing DriverPaths), and the answer file gets the specialize command that installs
 * them (the Linux-lab back end of §9: there is no DISM here).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineProfile } from '../../engine/machine-profile/schema.js';
import type { StepResult } from '../../engine/ports.js';
import { applyDriverPackage, autoApplyDrivers } from '../../sequence/catalog/index.js';
import type { ApplyDriverPackageSettings, AutoApplyDriversSettings } from '../../sequence/catalog/steps/drivers.js';
import { checkDriverFiles, importDriverFolder, loadDriverCatalog, type DriverCatalog } from '../drivers/catalog.js';
import type { ContentLibrary } from '../content.js';
import { matchDrivers } from '../drivers/match.js';
import { StepFailure, WIN32 } from '../errors.js';
import { defineHandler, type HandlerContext } from '../handler.js';
import { resolvedSettings } from '../settings.js';
import { addStagedDriversCommand, buildDriversXml, type UnattendArch } from '../unattend/index.js';
import { onDrive, openAnswerFile, writeAnswerFile } from './answer-file.js';

const CATALOG = 'drivers/catalog.json';
const STAGING = '_SMSTaskSequence/drivers';
const DRIVERS_XML = '_SMSTaskSequence/PkgMgrTemp/drivers.xml';
const ARCH: Record<string, UnattendArch> = { x64: 'amd64', x86: 'x86', arm64: 'arm64' };

type Driver = DriverCatalog['drivers'][number];

async function loadCatalog(ctx: HandlerContext): Promise<{ catalog: DriverCatalog; root: string }> {
  const path = ctx.content.file(CATALOG);
  if (!path) throw new StepFailure(WIN32.fileNotFound, `there is no driver catalog (${join(ctx.content.root, CATALOG)}): import drivers first`);
  return loadDriverCatalog(path);
}

async function stage(ctx: HandlerContext, drivers: Driver[], root: string, catalog: DriverCatalog): Promise<StepResult> {
  const { x, computer } = ctx;
  // A driver whose files are missing fails the step: Windows would come up without it.
  const missing = new Set(checkDriverFiles({ ...catalog, drivers }, root).map((d) => d.id));
  if (missing.size) {
    const names = drivers.filter((d) => missing.has(d.id)).map((d) => `${d.id} "${d.name}" (${join(root, d.folder)})`);
    throw new StepFailure(WIN32.fileNotFound, `driver files are missing for ${names.join(', ')}: redistribute the driver content`);
  }
  const { vol, doc, letter } = await openAnswerFile(computer, x.variables.get('OSDTargetSystemDrive'));
  // Another driver step may have staged drivers already (Auto Apply Drivers, then Apply Driver
  // Package): number on after them, and list them all, as each step adds to the driver store.
  const staged = await stagedFolders(vol);
  let next = Math.max(0, ...staged) + 1;
  for (const d of drivers) {
    const target = `${STAGING}/${next}`;
    const source = join(root, d.folder);
    if (!existsSync(source)) throw new StepFailure(WIN32.fileNotFound, `driver ${d.id} "${d.name}": ${source} does not exist`);
    await vol.copyIn(source, target);
    staged.push(next++);
    x.log(`Staged driver ${d.id} "${d.name}" ${d.version ?? ''} (${d.inf}) in ${onDrive(letter, target)}`);
  }
  const arch = ARCH[computer.profile.architecture] ?? 'amd64';
  const folders = staged.sort((a, b) => a - b).map((n) => onDrive(letter, `${STAGING}/${n}`));
  await vol.writeFile(DRIVERS_XML, buildDriversXml(arch, folders));
  for (const line of addStagedDriversCommand(doc, letter)) x.log(line);
  await writeAnswerFile(vol, doc);
  x.log(`${drivers.length} driver(s) staged; ${onDrive(letter, DRIVERS_XML)} written`);
  return { exitCode: 0 };
}

/** The numbered folders under the staging folder (`1`, `2`, …) an earlier driver step left. */
async function stagedFolders(vol: Awaited<ReturnType<typeof openAnswerFile>>['vol']): Promise<number[]> {
  if (!(await vol.exists(STAGING))) return [];
  return (await vol.list(STAGING)).filter((e) => e.type === 'directory' && /^\d+$/.test(e.name)).map((e) => Number(e.name));
}

/** The step's matching (best match unless turned off, its categories) over the computer's PnP devices. */
function matchFor(profile: MachineProfile, s: AutoApplyDriversSettings, catalog: DriverCatalog) {
  const devices = profile.pnpDevices.map((d) => ({ name: d.name, hardwareIds: d.hardwareIds, compatibleIds: d.compatibleIds }));
  const bestMatch = s.bestMatch !== false;
  const categories = (s.categoryList ?? []).filter(Boolean);
  return {
    result: matchDrivers(catalog, devices, { architecture: profile.architecture, bestMatch, categories }),
    devices: devices.length,
    bestMatch,
    categories,
  };
}

export const autoApplyDriversHandler = defineHandler(autoApplyDrivers, {
  async run(ctx) {
    const { x, computer } = ctx;
    const s = resolvedSettings<AutoApplyDriversSettings>(x);
    const { catalog, root } = await loadCatalog(ctx);
    const { result, devices, bestMatch, categories } = matchFor(computer.profile, s, catalog);
    x.log(
      `${devices} device(s); ${bestMatch ? 'best matched' : 'all compatible'} drivers${categories.length ? ` in ${categories.join(', ')}` : ' in all categories'}`,
    );
    for (const m of result.perDevice) {
      if (m.drivers.length)
        x.log(`  ${m.device.name ?? m.device.hardwareIds[0]}: ${m.drivers.map((d) => `${d.driver.id} (${d.matchedId})`).join(', ')}`, 'verbose');
    }
    if (!result.selected.length) {
      x.log('No driver in the catalog matches this computer');
      return { exitCode: 0 };
    }
    return stage(ctx, result.selected, root, catalog);
  },

  // Driver matching you can preview (DESIGN.md): which catalog drivers this computer would get.
  async simulate({ x, profile, content, note, checks }) {
    if (!checks) return { exitCode: 0 };
    if (!content?.file(CATALOG)) {
      note('drivers not previewed: no driver catalog (--content)');
      return { exitCode: 0 };
    }
    const s = resolvedSettings<AutoApplyDriversSettings>(x);
    const { catalog } = await loadDriverCatalog(content.file(CATALOG)!);
    const { result } = matchFor(profile, s, catalog);
    if (!result.selected.length) note('no driver in the catalog matches this computer');
    for (const m of result.perDevice) {
      for (const d of m.drivers)
        note(`${m.device.name ?? m.device.hardwareIds[0]}: ${d.driver.id} "${d.driver.name}" ${d.driver.version ?? ''} (${d.matchedId})`);
    }
    for (const e of result.excluded) note(`not used: ${e.driver.id} "${e.driver.name}" (${e.reason})`);
    return { exitCode: 0 };
  },
});

/** The drivers of the step's package in the catalog; a driver the catalog lacks is 0x80070002, as the step fails. */
function catalogPackageDrivers(catalog: DriverCatalog, pkg: DriverCatalog['packages'][number]): { pkg: DriverCatalog['packages'][number]; drivers: Driver[] } {
  // Every driver of the package, enabled or not: disabling only affects Auto Apply (§2.6).
  const drivers = pkg.drivers.map((id) => {
    const d = catalog.drivers.find((x) => x.id === id);
    if (!d) throw new StepFailure(WIN32.fileNotFound, `driver package ${pkg.id} names driver ${id}, which is not in the catalog`);
    return d;
  });
  return { pkg, drivers };
}

interface ResolvedDriverPackage {
  /** Where the drivers' folders are relative to. */
  root: string;
  catalog: DriverCatalog;
  drivers: Driver[];
  /** How the package was found, for the log. */
  source: string;
  /** INF files of the content that are not drivers Windows could install, and why. */
  skipped: Array<{ inf: string; reason: string }>;
}

/**
 * The drivers a driver package stages. As ConfigMgr does (DISM /recurse over the package), the
 * package's own content: every INF in the folder the distribution point served for its PackageID
 * (the site's driver packages hold `<driver CI id>/<files>`), read as the Import Driver wizard
 * reads them. The lab's test content has no such folders: its driver packages are lists in its
 * driver catalog (`drivers/catalog.json`), which is read when it names the package. Neither is
 * 0x80070002, as the step fails when the package's content is not there.
 */
async function resolveDriverPackage(content: ContentLibrary, packageId: string): Promise<ResolvedDriverPackage> {
  const catalogFile = content.file(CATALOG);
  if (catalogFile) {
    const { catalog, root } = await loadDriverCatalog(catalogFile);
    const listed = catalog.packages.find((p) => p.id.toUpperCase() === packageId.toUpperCase());
    if (listed) {
      const { pkg, drivers } = catalogPackageDrivers(catalog, listed);
      return { root, catalog, drivers, source: `"${pkg.name}" in the driver catalog`, skipped: [] };
    }
  }
  let folder: string;
  try {
    folder = content.packageFolder(packageId);
  } catch (e) {
    if (!(e instanceof StepFailure)) throw e;
    throw new StepFailure(
      WIN32.fileNotFound,
      `driver package ${packageId} is not available: ${catalogFile ? 'not in the driver catalog, and ' : ''}${e.message.replace(/^./, (c) => c.toLowerCase())}`,
    );
  }
  const { catalog, skipped } = await importDriverFolder(folder);
  return { root: folder, catalog, drivers: catalog.drivers, source: `content ${folder}`, skipped };
}

export const applyDriverPackageHandler = defineHandler(applyDriverPackage, {
  async run(ctx) {
    const s = resolvedSettings<ApplyDriverPackageSettings>(ctx.x);
    if (!s.driverPackageId) throw new StepFailure(WIN32.invalidParameter, 'the step names no driver package');
    const { root, catalog, drivers, source, skipped } = await resolveDriverPackage(ctx.content, s.driverPackageId);
    ctx.x.log(`Driver package ${s.driverPackageId} (${source}): ${drivers.length} driver(s)`);
    for (const k of skipped) ctx.x.log(`Not a driver to stage: ${k.inf} (${k.reason})`, 'warning');
    if (!drivers.length) {
      // DISM /recurse over a folder without drivers fails: Windows would come up without them.
      throw new StepFailure(WIN32.fileNotFound, `driver package ${s.driverPackageId} holds no driver (no INF file that declares a device)`);
    }
    return stage(ctx, drivers, root, catalog);
  },

  // Which drivers the package would stage, when its content or the catalog is at hand.
  async simulate({ x, content, note, checks }) {
    if (!checks) return { exitCode: 0 };
    const s = resolvedSettings<ApplyDriverPackageSettings>(x);
    if (!s.driverPackageId) throw new StepFailure(WIN32.invalidParameter, 'the step names no driver package');
    if (!content) {
      note(`driver package ${s.driverPackageId} not previewed: no content (--content)`);
      return { exitCode: 0 };
    }
    const { drivers, source } = await resolveDriverPackage(content, s.driverPackageId);
    note(`driver package ${s.driverPackageId} (${source}): ${drivers.map((d) => `${d.id} "${d.name}"`).join(', ') || 'no drivers'}`);
    return { exitCode: 0 };
  },
});
