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
import { checkDriverFiles, loadDriverCatalog, type DriverCatalog } from '../drivers/catalog.js';
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
  const folders: string[] = [];
  for (const [i, d] of drivers.entries()) {
    const target = `${STAGING}/${i + 1}`;
    const source = join(root, d.folder);
    if (!existsSync(source)) throw new StepFailure(WIN32.fileNotFound, `driver ${d.id} "${d.name}": ${source} does not exist`);
    await vol.copyIn(source, target);
    folders.push(onDrive(letter, target));
    x.log(`Staged driver ${d.id} "${d.name}" ${d.version ?? ''} (${d.inf}) in ${onDrive(letter, target)}`);
  }
  const arch = ARCH[computer.profile.architecture] ?? 'amd64';
  await vol.writeFile(DRIVERS_XML, buildDriversXml(arch, folders));
  for (const line of addStagedDriversCommand(doc, letter)) x.log(line);
  await writeAnswerFile(vol, doc);
  x.log(`${drivers.length} driver(s) staged; ${onDrive(letter, DRIVERS_XML)} written`);
  return { exitCode: 0 };
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

/** The drivers of the step's package in the catalog; a package or driver the catalog lacks is 0x80070002, as the step fails. */
function packageDrivers(catalog: DriverCatalog, s: ApplyDriverPackageSettings): { pkg: DriverCatalog['packages'][number]; drivers: Driver[] } {
  if (!s.driverPackageId) throw new StepFailure(WIN32.invalidParameter, 'the step names no driver package');
  const pkg = catalog.packages.find((p) => p.id.toUpperCase() === s.driverPackageId!.toUpperCase());
  if (!pkg) throw new StepFailure(WIN32.fileNotFound, `driver package ${s.driverPackageId} is not in the driver catalog`);
  // Every driver of the package, enabled or not: disabling only affects Auto Apply (§2.6).
  const drivers = pkg.drivers.map((id) => {
    const d = catalog.drivers.find((x) => x.id === id);
    if (!d) throw new StepFailure(WIN32.fileNotFound, `driver package ${pkg.id} names driver ${id}, which is not in the catalog`);
    return d;
  });
  return { pkg, drivers };
}

export const applyDriverPackageHandler = defineHandler(applyDriverPackage, {
  async run(ctx) {
    const s = resolvedSettings<ApplyDriverPackageSettings>(ctx.x);
    if (!s.driverPackageId) throw new StepFailure(WIN32.invalidParameter, 'the step names no driver package');
    const { catalog, root } = await loadCatalog(ctx);
    const { pkg, drivers } = packageDrivers(catalog, s);
    ctx.x.log(`Driver package ${pkg.id} "${pkg.name}": ${drivers.length} driver(s)`);
    return stage(ctx, drivers, root, catalog);
  },

  // Which drivers the package would stage, when the catalog is at hand.
  async simulate({ x, content, note, checks }) {
    if (!checks) return { exitCode: 0 };
    const s = resolvedSettings<ApplyDriverPackageSettings>(x);
    if (!content?.file(CATALOG)) {
      note(`driver package ${s.driverPackageId ?? '(none)'} not previewed: no driver catalog (--content)`);
      return { exitCode: 0 };
    }
    const { catalog } = await loadDriverCatalog(content.file(CATALOG)!);
    const { pkg, drivers } = packageDrivers(catalog, s);
    note(`driver package ${pkg.id} "${pkg.name}": ${drivers.map((d) => `${d.id} "${d.name}"`).join(', ') || 'no drivers'}`);
    return { exitCode: 0 };
  },
});
