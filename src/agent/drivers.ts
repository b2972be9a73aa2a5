/**
 * Auto Apply Drivers on a computer deployed from the site: the management point's driver catalog
 * for this computer's architecture (docs/management-point.md "Drivers"), matched here with the
 * lab's own matching (src/actions/drivers/match.ts) against the computer's Plug and Play devices,
 * and only the driver packages holding a driver that matches are downloaded (hash-checked, into the
 * cache as any package). The catalog is then written where the step reads it —
 * `cache/drivers/catalog.json`, each driver's folder inside `cache/drivers/<packageId>/`, which
 * points at the package's cached version — so the step chooses (best match, categories) and stages
 * exactly as in the lab.
 */
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDriverCatalog, parseDriverCatalog } from '../actions/drivers/catalog.js';
import { matchDrivers } from '../actions/drivers/match.js';
import type { MachineProfile } from '../engine/machine-profile/index.js';
import { autoApplyDrivers, stepTypeOf } from '../sequence/catalog/index.js';
import { allSteps } from '../sequence/model/walk.js';
import type { TaskSequence } from '../sequence/model/task-sequence.js';
import { downloadPackage, type PackageDownloadOptions } from './download.js';
import { AgentError } from './errors.js';
import type { MpClient } from './mp-client.js';
import type { DriverCatalogAnswer } from './protocol.js';
import type { AgentState } from './state.js';

/** Whether the sequence has an enabled Auto Apply Drivers step (only then is the catalog fetched). */
export function usesAutoApplyDrivers(sequence: TaskSequence): boolean {
  return allSteps(sequence).some((s) => stepTypeOf(s.type) === autoApplyDrivers && s.disable !== true);
}

export interface PreparedDrivers {
  /** Drivers of the site's catalog for this architecture, and how many of them match this computer. */
  offered: number;
  matching: number;
  packages: string[];
  fetchedBytes: number;
  seconds: number;
  /** Why there is no catalog (a site that serves none). */
  none?: string;
}

export async function prepareDriverCatalog(
  client: MpClient,
  state: AgentState,
  profile: MachineProfile,
  options: PackageDownloadOptions = {},
): Promise<PreparedDrivers> {
  let answer: DriverCatalogAnswer;
  try {
    answer = await client.driverCatalog(profile.architecture);
  } catch (e) {
    // A site that serves no driver catalog: the step then fails as it would without one (0x80070002), saying so.
    if (e instanceof AgentError && e.status === 404) return { offered: 0, matching: 0, packages: [], fetchedBytes: 0, seconds: 0, none: e.message };
    throw e;
  }
  const catalog = parseDriverCatalog(JSON.stringify(answer.catalog), 'the driver catalog from the site');
  const devices = profile.pnpDevices.map((d) => ({ name: d.name, hardwareIds: d.hardwareIds, compatibleIds: d.compatibleIds }));
  // Every driver that matches any device (best match is the step's choice, among these).
  const { selected } = matchDrivers(catalog, devices, { architecture: profile.architecture, bestMatch: false, categories: [] });
  const needed = new Set(selected.map((d) => d.folder.split('/')[0]!.toUpperCase()));
  const driversDir = join(state.cacheDir, 'drivers');
  mkdirSync(driversDir, { recursive: true });
  let fetchedBytes = 0;
  let seconds = 0;
  const packages = answer.packages.filter((p) => needed.has(p.packageId.toUpperCase()));
  for (const pkg of packages) {
    const r = await downloadPackage(state, { ...pkg, referencedAs: 'driver' }, options);
    fetchedBytes += r.fetchedBytes;
    seconds += r.seconds;
    const link = join(driversDir, pkg.packageId.toUpperCase());
    rmSync(link, { recursive: true, force: true });
    symlinkSync(join('..', pkg.packageId.toUpperCase(), String(pkg.sourceVersion)), link);
  }
  const usable = { ...catalog, drivers: selected.filter((d) => needed.has(d.folder.split('/')[0]!.toUpperCase())) };
  const file = join(driversDir, 'catalog.json');
  writeFileSync(`${file}.tmp`, formatDriverCatalog(usable));
  renameSync(`${file}.tmp`, file);
  return { offered: catalog.drivers.length, matching: selected.length, packages: packages.map((p) => p.packageId), fetchedBytes, seconds };
}
