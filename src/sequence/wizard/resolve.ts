/**
 * What the console does between the pages and "Create": fills the pickers' defaults from the site
 * (the built-in client and USMT packages, osd-features §1.2, §2.5), turns application display names
 * into the model names a task sequence references (§2.7), and stores values in their canonical form
 * (OU with the `LDAP://` prefix, product key in upper case, the minimum connection limit as the
 * default). Validation and generation both start from the resolved answers, so what is checked is
 * what is written.
 */
import type { SiteManifest } from '../site-manifest.js';
import type { WizardAnswers } from './answers.js';

/** The packages ConfigMgr creates at site install [D: osd-features §1.2 Install ConfigMgr, State Migration]. */
export const BUILT_IN_CLIENT_PACKAGE = 'Configuration Manager Client Package';
export const BUILT_IN_USMT_PACKAGE = 'User State Migration Tool for Windows';

/** ServerLicenseConnectionLimit's minimum, written even when no mode is chosen [E: osd-features §1.2]. */
export const DEFAULT_CONNECTION_LIMIT = 5;

/** An app model name as ConfigMgr references it: `ScopeId_<GUID>/Application_<GUID>` (task-sequence-format §2). */
export const APP_MODEL_NAME = /^ScopeId_[0-9A-Fa-f-]+\/Application_[0-9A-Fa-f-]+$/;

function builtIn(list: Array<{ id: string; name: string }>, name: string): string {
  return (list.find((p) => p.name.toLowerCase() === name.toLowerCase()) ?? (list.length === 1 ? list[0] : undefined))?.id ?? '';
}

type SiteApplication = SiteManifest['applications'][number];

/**
 * Finds the application an answer names, by model name (exact, values are case-sensitive §2.7) or
 * display name. The site's applications are indexed once (the first of each model name and
 * lower-case display name), so thousands of answers do not each scan them all.
 */
export function applicationFinder(site: SiteManifest): (answer: string) => SiteApplication | undefined {
  const byModel = new Map<string, SiteApplication>();
  const byName = new Map<string, SiteApplication>();
  for (const a of site.applications) {
    if (!byModel.has(a.modelName)) byModel.set(a.modelName, a);
    const name = a.name.toLowerCase();
    if (!byName.has(name)) byName.set(name, a);
  }
  return (answer) => byModel.get(answer) ?? byName.get(answer.toLowerCase());
}

/** `OU=x,DC=y` or `ldap://OU=x,…` → `LDAP://OU=x,…` (stored with the prefix, §1.2). Empty stays empty. */
export function canonicalOU(ou: string): string {
  const trimmed = ou.trim();
  if (!trimmed) return '';
  return /^ldap:\/\//i.test(trimmed) ? `LDAP://${trimmed.slice(7)}` : `LDAP://${trimmed}`;
}

export function resolveAnswers(answers: WizardAnswers, site?: SiteManifest): WizardAnswers {
  const a = structuredClone(answers);
  if (site) {
    if (!a.installConfigMgr.clientPackageId) a.installConfigMgr.clientPackageId = builtIn(site.clientPackages, BUILT_IN_CLIENT_PACKAGE);
    if (!a.stateMigration.usmtPackageId && a.stateMigration.captureUserSettings) {
      a.stateMigration.usmtPackageId = builtIn(site.usmtPackages, BUILT_IN_USMT_PACKAGE);
    }
    const find = applicationFinder(site);
    a.installApplications.applications = a.installApplications.applications.map((name) => find(name)?.modelName ?? name);
  }
  a.installWindows.productKey = a.installWindows.productKey.trim().toUpperCase();
  if (a.configureNetwork.join === 'domain') a.configureNetwork.domainOU = canonicalOU(a.configureNetwork.domainOU);
  const lic = a.installWindows.serverLicensing;
  if (lic.mode === 'perServer' && lic.maxConnections === undefined) lic.maxConnections = DEFAULT_CONNECTION_LIMIT;
  return a;
}
