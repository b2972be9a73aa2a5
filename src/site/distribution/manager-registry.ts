/** One DistributionManager per open site in this process. */
import type { Site } from '../site.js';
import { DistributionManager, type DistributionTiming } from './distribution.js';

const managers = new WeakMap<Site, DistributionManager>();

/** The site's manager; `timing` applies when this call creates it (the server creates it first, at start). */
export function distributionManager(site: Site, timing?: DistributionTiming): DistributionManager {
  let m = managers.get(site);
  if (!m) managers.set(site, (m = new DistributionManager(site, timing)));
  return m;
}
