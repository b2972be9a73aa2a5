export { distributionPointRoutes, DEFAULT_MAX_BLOB_BYTES, type DistributionPointOptions } from './routes.js';
export { startDistributionPoint, type RunningDistributionPoint, type StartDistributionPointOptions } from './server.js';
export { PACKAGE_ID, checkPackageId, type DpPackage } from './package-catalog.js';
