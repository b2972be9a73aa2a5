/** One DistributionManager per open site in this process. */
import type { Site } from '../site.js';
import { DistributionManager } from './distribution.js';

const managers = new WeakMap<Site, DistributionManager>();

export function distributionManager(site: Site): DistributionManager {
  let m = managers.get(site);
  if (!m) managers.set(site, (m = new DistributionManager(site)));
  return m;
}
