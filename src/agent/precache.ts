/**
 * Pre-cache (osd-features §4.4): a computer in its full OS looks at its policy and, for every
 * Available deployment with "Pre-download content" that is offered now, downloads into its client
 * cache only the packages the site's content answer marks `preCached` for this machine — the
 * answer is computed from the machine's architecture, language and model, which the agent sends
 * (OS images and packages by Architecture and Language, driver packages by Model, the rest in
 * full). When the user later starts the deployment, the run finds those files in the cache (hash
 * checked again) and fetches nothing twice.
 */
import { downloadPackage, type PackageDownloadOptions } from './download.js';
import type { MpClient } from './mp-client.js';
import type { MachineFacts } from './protocol.js';
import type { AgentState } from './state.js';

export interface PreCacheResult {
  deployments: Array<{
    deploymentId: string;
    name: string;
    packages: Array<{ packageId: string; cached: boolean; rule: string; fetchedBytes: number }>;
  }>;
  fetchedBytes: number;
  /** One line per decision, for the agent's log and the CLI. */
  lines: string[];
}

export async function preCache(client: MpClient, state: AgentState, facts: MachineFacts, opts: PackageDownloadOptions = {}): Promise<PreCacheResult> {
  const policy = await client.policy('os');
  const result: PreCacheResult = { deployments: [], fetchedBytes: 0, lines: [] };
  const candidates = policy.deployments.filter((d) => d.purpose === 'available' && d.preDownload && d.offered);
  if (candidates.length === 0) result.lines.push('Pre-cache: no Available deployment with pre-download is offered to this computer');
  for (const d of candidates) {
    const content = await client.content(d.deploymentId, facts);
    const entry: PreCacheResult['deployments'][number] = { deploymentId: d.deploymentId, name: d.name, packages: [] };
    result.deployments.push(entry);
    if (content.preCacheApplies === false) {
      result.lines.push(`Pre-cache: ${d.deploymentId} "${d.name}": the site says pre-cache does not apply`);
      continue;
    }
    for (const pkg of content.packages) {
      const rule = pkg.preCache?.rule ?? '';
      if (!pkg.preCached) {
        result.lines.push(`Pre-cache: ${d.deploymentId}: ${pkg.packageId} "${pkg.name}" not for this computer (${rule || 'not pre-cached'})`);
        entry.packages.push({ packageId: pkg.packageId, cached: false, rule, fetchedBytes: 0 });
        continue;
      }
      const r = await downloadPackage(state, pkg, opts);
      result.fetchedBytes += r.fetchedBytes;
      entry.packages.push({ packageId: pkg.packageId, cached: true, rule, fetchedBytes: r.fetchedBytes });
      result.lines.push(
        `Pre-cache: ${d.deploymentId}: ${pkg.packageId} "${pkg.name}" in the cache (${rule || 'matches'}; ${r.fetchedBytes} bytes downloaded, ${r.cachedFiles} file(s) already there)`,
      );
    }
  }
  return result;
}
