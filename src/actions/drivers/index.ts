/** Driver catalog, INF reading and Auto Apply Drivers matching (osd-features §2.6). */
export { parseInf, parseInfBytes, decodeInfBytes, INF_PLATFORMS, type InfInfo, type InfModel, type InfPlatform } from './inf.js';
export {
  driverCatalogSchema,
  parseDriverCatalog,
  loadDriverCatalog,
  formatDriverCatalog,
  emptyDriverCatalog,
  importDriverFolder,
  importDriverInfs,
  checkDriverFiles,
  DRIVER_CATALOG_SCHEMA,
  type Driver,
  type DriverCatalog,
  type DriverPackage,
  type DuplicateHandling,
  type ImportOptions,
  type ImportResult,
  type InfSource,
} from './catalog.js';
export {
  matchDrivers,
  matchRank,
  compareMatches,
  compareVersions,
  type Device,
  type DriverMatch,
  type MatchKind,
  type MatchOptions,
  type MatchResult,
  type ExclusionReason,
} from './match.js';
