/**
 * The Create Task Sequence Wizard's field rules (osd-features §1.2, acceptance tests §1.6): what
 * keeps the console's Next button disabled, reported all at once with the page, the field as the
 * console labels it, the answers path, the value and how to fix it. Checks run on the resolved
 * answers (resolve.ts), so what is checked is what gets written; the value shown is the one the
 * user typed. Rules the spec marks [I] are our choice, not documented console behaviour.
 */
import type { SiteManifest } from '../site-manifest.js';
import { knownPackageIds } from '../site-manifest.js';
import { MASK } from '../secrets.js';
import type { WizardAnswers } from './answers.js';
import { PAGES } from './answers.js';
import { APP_MODEL_NAME, applicationFinder, BUILT_IN_CLIENT_PACKAGE, BUILT_IN_USMT_PACKAGE, DEFAULT_CONNECTION_LIMIT, resolveAnswers } from './resolve.js';

export type WizardSeverity = 'error' | 'warning';

export interface WizardProblem {
  /** The console page, e.g. 'Install Windows'. */
  page: string;
  /** The field as the console labels it, e.g. 'Product key'. */
  field: string;
  /** Where the answer is in the answers file, e.g. 'installWindows.productKey'. */
  path: string;
  /** The value as given: secrets masked, empty values as '(empty)', long values shortened. */
  value: string;
  /** What is wrong and how to fix it, one sentence. */
  rule: string;
  severity: WizardSeverity;
  /** The line of the answers file it is on, when the answers came from a file and it is known. */
  line?: number;
}

type Section = keyof typeof PAGES;
type Architecture = SiteManifest['bootImages'][number]['architecture'];
type Package = { id: string; name: string };

export const EMPTY = '(empty)';
const MAX_SHOWN = 80;
/** How many site objects a message lists before "and N more". */
const MAX_LISTED = 10;

const LIMITS = {
  name: 50,
  description: 512,
  registeredName: 255,
  encodedProductKey: 255,
  minConnections: DEFAULT_CONNECTION_LIMIT,
  maxConnections: 9999,
  adminPassword: 255,
  workgroup: 32,
  domain: 255,
  dnsLabel: 63,
  netbiosDomain: 15,
  domainOU: 32767,
} as const;

/**
 * Which OS image architectures a boot image can install [I]. Applying a WIM is architecture-neutral,
 * but the steps after it (driver injection, offline servicing, Setup Windows and ConfigMgr) run the
 * WinPE's own tools against the new OS, and a 32-bit WinPE can't service a 64-bit Windows. So an x64
 * WinPE installs x64 and x86 images, an x86 one only x86, an arm64 one only arm64 (the same shape as
 * the PXE boot-image compatibility of §5.1).
 */
const INSTALLS: Record<Architecture, readonly Architecture[]> = {
  x86: ['x86'],
  x64: ['x64', 'x86'],
  arm64: ['arm64'],
};

const PRODUCT_KEY = /^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){4}$/;
/** `domain\user` or a `%variable%` reference (§1.2 Configure Network, suggested regex [I]). */
const JOIN_ACCOUNT = /^([^\\/:*?"<>|]+\\[^\\/:*?"<>|@]+|%[A-Za-z][A-Za-z0-9_-]*%)$/;
/** Characters a workgroup (a NetBIOS name) can't hold [I]. */
const NETBIOS_FORBIDDEN = /[\\/:*?"<>|]/;
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const OU_EXAMPLE = 'LDAP://OU=Workstations,DC=contoso,DC=com';
const ALLOW_TS_INSTALL = '"Allow this application to be installed from the Install Application task sequence action without being deployed"';

class Problems {
  readonly list: WizardProblem[] = [];

  error(section: Section, field: string, path: string, value: string, rule: string): void {
    this.list.push({ page: PAGES[section], field, path, value, rule, severity: 'error' });
  }

  warning(section: Section, field: string, path: string, value: string, rule: string): void {
    this.list.push({ page: PAGES[section], field, path, value, rule, severity: 'warning' });
  }
}

/** A value for display: one line, at most ~80 characters, '(empty)' when empty. */
export function show(value: string | number | undefined): string {
  if (value === undefined) return EMPTY;
  const text = String(value).replace(
    /[\u0000-\u001f\u007f]/g,
    (c) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  if (text === '') return EMPTY;
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** A secret for display: never the value, only whether there is one (§1.3). */
export function showSecret(value: string): string {
  return value === '' ? EMPTY : MASK;
}

/**
 * A product key for display: ProductKey is a QuasiSecret property (osd-features §1.2) and secrets.ts
 * masks OSDProductKey, so only the last five characters are shown, as Windows does.
 */
export function showProductKey(value: string): string {
  const keep = 5;
  return show(value.replace(/[^-\s]/g, (c, i: number) => (i >= value.length - keep ? c : '*')));
}

const isBlank = (value: string): boolean => value.trim() === '';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function tooLong(max: number, actual: number): string {
  return `must be at most ${plural(max, 'character')} (it has ${actual})`;
}

function sameId(a: string, b: string): boolean {
  return a.toUpperCase() === b.toUpperCase(); // PackageIDs ignore case (docs/site-manifest.md)
}

function findPackage<T extends Package>(list: T[], id: string): T | undefined {
  return list.find((p) => sameId(p.id, id));
}

function listPackages(list: Package[]): string {
  const shown = list.slice(0, MAX_LISTED).map((p) => `${p.id} "${p.name}"`);
  return shown.join(', ') + (list.length > MAX_LISTED ? ` and ${list.length - MAX_LISTED} more` : '');
}

function withArticle(kind: string): string {
  return `${/^OS /.test(kind) ? 'an' : 'a'} ${kind}`;
}

/** "not a boot image of the site …" with what the ID is instead and the IDs that would do. */
function unknownPackage(site: SiteManifest, id: string, kind: string, choices: Package[]): string {
  const actually = knownPackageIds(site).get(id.toUpperCase());
  const what = actually ? `${id} is ${withArticle(actually)}, not ${withArticle(kind)}` : `not ${withArticle(kind)} of the site`;
  const fix = choices.length ? `choose one of ${listPackages(choices)}` : `the site has none, so add one to the site first`;
  return `${what}: ${fix}`;
}

/** A required PackageID: present, and with a site one of `choices`. */
function checkPackageId(
  out: Problems,
  section: Section,
  field: string,
  path: string,
  typed: string,
  resolved: string,
  site: SiteManifest | undefined,
  kind: string,
  choices: Package[],
  whenMissing: string,
): void {
  if (isBlank(resolved)) {
    out.error(section, field, path, show(typed), `required: ${whenMissing}`);
  } else if (site && !findPackage(choices, resolved)) {
    out.error(section, field, path, show(typed || resolved), unknownPackage(site, resolved, kind, choices));
  }
}

/** A required text with a maximum length. */
function checkText(out: Problems, section: Section, field: string, path: string, value: string, max: number, whenMissing: string): void {
  if (isBlank(value)) out.error(section, field, path, show(value), `required: ${whenMissing}`);
  else if (value.length > max) out.error(section, field, path, show(value), tooLong(max, value.length));
}

/** Password and confirmation: both masked, never echoed in the rule either (§1.3). */
function checkPasswordPair(
  out: Problems,
  section: Section,
  labels: { password: string; confirm: string },
  paths: { password: string; confirm: string },
  password: string,
  confirm: string,
  max: number | undefined,
  whenMissing: string,
): void {
  if (password === '') out.error(section, labels.password, paths.password, EMPTY, `required: ${whenMissing}`);
  else if (max !== undefined && password.length > max) out.error(section, labels.password, paths.password, MASK, tooLong(max, password.length));
  if (confirm !== password) {
    out.error(section, labels.confirm, paths.confirm, showSecret(confirm), `must be the same as ${labels.password}: type the password again`);
  }
}

export function validateAnswers(answers: WizardAnswers, site?: SiteManifest): WizardProblem[] {
  const out = new Problems();
  const resolved = resolveAnswers(answers, site);
  checkTaskSequenceInformation(out, answers, site);
  checkConsoleValues(out, answers);
  checkInstallWindows(out, answers, resolved, site);
  checkConfigureNetwork(out, answers, resolved);
  checkInstallConfigMgr(out, answers, resolved, site);
  checkStateMigration(out, answers, resolved, site);
  checkInstallApplications(out, answers, resolved, site);
  return out.list;
}

/**
 * One line per problem: `  Page › Field (path, line N) = "value": rule`, warnings prefixed
 * `warning: `; past `max` problems, a last line says how many more there are.
 */
export function formatWizardErrors(problems: WizardProblem[], max = Infinity): string {
  const lines = problems.slice(0, max).map((p) => {
    const value = p.value === EMPTY || p.value === MASK ? p.value : `"${p.value}"`;
    return `  ${p.severity === 'warning' ? 'warning: ' : ''}${p.page} › ${p.field} (${p.path}${p.line ? `, line ${p.line}` : ''}) = ${value}: ${p.rule}`;
  });
  if (problems.length > max) lines.push(`  … and ${problems.length - max} more`);
  return lines.join('\n');
}

// Page: Task Sequence Information (§1.2).

function checkTaskSequenceInformation(out: Problems, a: WizardAnswers, site: SiteManifest | undefined): void {
  const ts = a.taskSequence;
  checkText(out, 'taskSequence', 'Task sequence name', 'taskSequence.name', ts.name, LIMITS.name, 'give the task sequence a name');
  if (ts.description.length > LIMITS.description) {
    out.error('taskSequence', 'Description', 'taskSequence.description', show(ts.description), tooLong(LIMITS.description, ts.description.length));
  }
  // The cmdlet marks -BootImagePackageId mandatory for this task sequence type (§1.2).
  checkPackageId(
    out,
    'taskSequence',
    'Boot image',
    'taskSequence.bootImageId',
    ts.bootImageId,
    ts.bootImageId,
    site,
    'boot image',
    site?.bootImages ?? [],
    'give the PackageID of the boot image',
  );
  if (site) checkBootImageArchitecture(out, a, site);
}

/**
 * The boot image must be able to install the chosen image (§1.2 leaves it to the admin, §5.1 has the
 * hardware side; the pairing is in INSTALLS). Skipped when either side or the image's architecture is
 * unknown: those have their own errors, or the manifest doesn't say.
 */
function checkBootImageArchitecture(out: Problems, a: WizardAnswers, site: SiteManifest): void {
  const boot = findPackage(site.bootImages, a.taskSequence.bootImageId);
  const pkg = findPackage(site.imagePackages, a.installWindows.imagePackageId);
  const image = pkg?.images.find((i) => i.index === a.installWindows.imageIndex);
  if (!boot || !pkg || !image?.architecture) return;
  if (INSTALLS[boot.architecture].includes(image.architecture)) return;
  const imageArch = image.architecture;
  const fitting = (Object.keys(INSTALLS) as Architecture[]).filter((arch) => INSTALLS[arch].includes(imageArch));
  const candidates = site.bootImages.filter((b) => fitting.includes(b.architecture));
  const fix = candidates.length
    ? `choose an ${fitting.join(' or ')} boot image (${candidates.map((b) => b.id).join(', ')})`
    : `add an ${fitting.join(' or ')} boot image to the site`;
  out.error(
    'taskSequence',
    'Boot image',
    'taskSequence.bootImageId',
    show(a.taskSequence.bootImageId),
    `boot image ${boot.id} "${boot.name}" is ${boot.architecture} but image ${image.index} "${image.name}" of ${pkg.id} is ${imageArch}; ` +
      `an ${boot.architecture} boot image cannot install an ${imageArch} image: ${fix}`,
  );
}

/** Values the wizard takes from the console (§1.2, Apply Windows Settings): registered user and organisation 1–255 chars [D]. */
function checkConsoleValues(out: Problems, a: WizardAnswers): void {
  const c = a.console;
  checkText(out, 'console', 'Registered user', 'console.userName', c.userName, LIMITS.registeredName, 'give the registered user name (OSDRegisteredUserName)');
  checkText(
    out,
    'console',
    'Registered organization',
    'console.computerName',
    c.computerName,
    LIMITS.registeredName,
    'give the registered organization name (OSDRegisteredOrgName)',
  );
  if (isBlank(c.timeZone)) {
    out.error('console', 'Time zone', 'console.timeZone', show(c.timeZone), 'required: give an English Windows time zone ID, e.g. "Pacific Standard Time"');
  }
}

// Page: Install Windows (§1.2).

function checkInstallWindows(out: Problems, a: WizardAnswers, r: WizardAnswers, site: SiteManifest | undefined): void {
  const w = a.installWindows;
  checkPackageId(
    out,
    'installWindows',
    'Image package',
    'installWindows.imagePackageId',
    w.imagePackageId,
    w.imagePackageId,
    site,
    'OS image package',
    site?.imagePackages ?? [],
    'give the PackageID of the OS image package',
  );

  const pkg = site ? findPackage(site.imagePackages, w.imagePackageId) : undefined;
  if (pkg) {
    if (!pkg.images.some((i) => i.index === w.imageIndex)) {
      const available = pkg.images.map((i) => `${i.index} - ${i.name}`).join(', ');
      out.error(
        'installWindows',
        'Image index',
        'installWindows.imageIndex',
        show(w.imageIndex),
        `image index ${w.imageIndex} does not exist in ${pkg.id} "${pkg.name}": choose one of ${available}`,
      );
    }
  } else if (w.imageIndex < 1) {
    out.error('installWindows', 'Image index', 'installWindows.imageIndex', show(w.imageIndex), 'must be 1 or more (image indexes in a WIM start at 1)');
  }

  checkProductKey(out, w.productKey, r.installWindows.productKey);
  checkServerLicensing(out, a, r);

  const admin = w.localAdministrator;
  if (admin.mode === 'enabled') {
    checkPasswordPair(
      out,
      'installWindows',
      { password: 'Local administrator password', confirm: 'Confirm local administrator password' },
      { password: 'installWindows.localAdministrator.password', confirm: 'installWindows.localAdministrator.confirmPassword' },
      admin.password,
      admin.confirmPassword,
      LIMITS.adminPassword,
      'give the password for the enabled local administrator account, or let the wizard generate one (mode randomAndDisabled)',
    );
  }
}

/** Empty, a standard key `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`, or an encoded volume licence key (§1.2, suggested rule [I]). */
function checkProductKey(out: Problems, typed: string, key: string): void {
  if (key === '') return;
  const report = (rule: string): void => out.error('installWindows', 'Product key', 'installWindows.productKey', showProductKey(typed), rule);
  if (key.includes('-')) {
    if (!PRODUCT_KEY.test(key)) {
      report(
        'must be five groups of five letters or digits separated by dashes (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX), or an encoded volume licence key without dashes',
      );
    }
  } else if (/\s/.test(key)) {
    report('an encoded volume licence key cannot contain spaces: paste the key without them');
  } else if (key.length > LIMITS.encodedProductKey) {
    report(`an encoded volume licence key ${tooLong(LIMITS.encodedProductKey, key.length)}`);
  }
}

/** Maximum server connections: only with Per server, 5–9999 [D: ServerLicenseConnectionLimit ValueRange]. */
function checkServerLicensing(out: Problems, a: WizardAnswers, r: WizardAnswers): void {
  const typed = a.installWindows.serverLicensing;
  const path = 'installWindows.serverLicensing.maxConnections';
  const field = 'Maximum server connections';
  if (typed.mode !== 'perServer') {
    if (typed.maxConnections !== undefined) {
      out.error(
        'installWindows',
        field,
        path,
        show(typed.maxConnections),
        `only applies to the Per server licensing mode (mode is ${typed.mode}): remove it, or set mode to perServer`,
      );
    }
    return;
  }
  const limit = r.installWindows.serverLicensing.maxConnections ?? DEFAULT_CONNECTION_LIMIT;
  if (limit < LIMITS.minConnections || limit > LIMITS.maxConnections) {
    out.error('installWindows', field, path, show(typed.maxConnections), `must be from ${LIMITS.minConnections} to ${LIMITS.maxConnections}`);
  }
}

// Page: Configure Network (§1.2).

function checkConfigureNetwork(out: Problems, a: WizardAnswers, r: WizardAnswers): void {
  const net = a.configureNetwork;
  if (net.join === 'workgroup') {
    const field = 'Workgroup';
    const path = 'configureNetwork.workgroup';
    // 1–32 characters [D: WorkgroupName AllowedLen]; the forbidden characters are NetBIOS's [I].
    if (isBlank(net.workgroup)) out.error('configureNetwork', field, path, show(net.workgroup), 'required: give the workgroup name, e.g. WORKGROUP');
    else if (net.workgroup.length > LIMITS.workgroup)
      out.error('configureNetwork', field, path, show(net.workgroup), tooLong(LIMITS.workgroup, net.workgroup.length));
    else if (NETBIOS_FORBIDDEN.test(net.workgroup))
      out.error('configureNetwork', field, path, show(net.workgroup), 'must not contain any of \\ / : * ? " < > |');
    return;
  }
  if (r.configureNetwork.join !== 'domain') return; // resolving never changes the join type

  const domainRule = domainNameProblem(net.domain);
  if (domainRule) out.error('configureNetwork', 'Domain', 'configureNetwork.domain', show(net.domain), domainRule);

  checkDomainOU(out, net.domainOU, r.configureNetwork.domainOU, domainRule ? undefined : net.domain);

  if (net.account === '') {
    out.error(
      'configureNetwork',
      'Account',
      'configureNetwork.account',
      EMPTY,
      'required for a domain join: give the account as DOMAIN\\user or a %variable% reference',
    );
  } else if (!JOIN_ACCOUNT.test(net.account)) {
    out.error(
      'configureNetwork',
      'Account',
      'configureNetwork.account',
      show(net.account),
      'must be DOMAIN\\user (e.g. CONTOSO\\svc-join) or a task sequence variable reference such as %JoinAccount%',
    );
  }
  checkPasswordPair(
    out,
    'configureNetwork',
    { password: 'Account password', confirm: 'Confirm account password' },
    { password: 'configureNetwork.password', confirm: 'configureNetwork.confirmPassword' },
    net.password,
    net.confirmPassword,
    undefined,
    'give the password of the domain join account',
  );
}

/** Domain: 1–255 chars [D]; a DNS name or a NetBIOS name of at most 15 chars (§1.2, suggested check [I]). */
function domainNameProblem(domain: string): string | undefined {
  if (isBlank(domain)) return 'required for a domain join: give the domain name, e.g. contoso.com';
  if (domain.length > LIMITS.domain) return tooLong(LIMITS.domain, domain.length);
  if (!domain.includes('.')) {
    if (domain.length > LIMITS.netbiosDomain) {
      return `a NetBIOS domain name ${tooLong(LIMITS.netbiosDomain, domain.length)}: give the DNS name instead, e.g. contoso.com`;
    }
    if (/\s/.test(domain) || NETBIOS_FORBIDDEN.test(domain)) return 'a NetBIOS domain name must not contain spaces or any of \\ / : * ? " < > |';
    return undefined;
  }
  for (const label of domain.split('.')) {
    if (label === '') return 'has an empty label (two dots in a row, or a dot at the start or end): write it as contoso.com';
    if (label.length > LIMITS.dnsLabel) return `label "${show(label)}" ${tooLong(LIMITS.dnsLabel, label.length)}`;
    if (!DNS_LABEL.test(label)) return `label "${label}" must hold only letters, digits and dashes, and not start or end with a dash`;
  }
  return undefined;
}

/**
 * Domain OU (§1.2): optional; an RFC 1779 distinguished name with the full path, stored with the
 * `LDAP://` prefix; 0–32,767 chars [D]. The component check is the spec's suggested one [I]. `domain`
 * is the (valid) domain to compare the DC= components with.
 */
function checkDomainOU(out: Problems, typed: string, stored: string, domain: string | undefined): void {
  const field = 'Domain OU';
  const path = 'configureNetwork.domainOU';
  if (stored === '') return;
  const report = (rule: string): void => out.error('configureNetwork', field, path, show(typed), rule);
  // Two Microsoft pages print the prefix without the colon (a doc typo, §1.2): name it rather than
  // storing LDAP://LDAP//….
  if (/^ldap\/\//i.test(typed.trim())) return report(`the prefix is written LDAP:// (with a colon), e.g. ${OU_EXAMPLE}`);
  if (stored.length > LIMITS.domainOU) return report(`${tooLong(LIMITS.domainOU, stored.length)} with the LDAP:// prefix`);

  const parsed = parseDistinguishedName(stored.slice('LDAP://'.length));
  if (typeof parsed === 'string') return report(parsed);
  const dcs = parsed.filter((c) => c.attr === 'DC').map((c) => c.value);
  const hasOU = parsed.some((c) => c.attr === 'OU');
  if (!hasOU || dcs.length === 0) {
    const missing = [hasOU ? '' : 'an OU= component (the organizational unit)', dcs.length ? '' : 'the DC= components of the domain']
      .filter(Boolean)
      .join(' and ');
    return report(`needs ${missing}, e.g. ${OU_EXAMPLE}`);
  }
  // Warn, don't block, when the DC components don't spell the domain (§1.2). A NetBIOS domain name
  // needn't resemble the DNS name, so only a DNS name is compared.
  const spelled = dcs.join('.');
  if (domain && domain.includes('.') && spelled.toLowerCase() !== domain.toLowerCase()) {
    out.warning(
      'configureNetwork',
      field,
      path,
      show(typed),
      `its DC= components spell ${spelled} but the domain is ${domain}: check that the OU is in the domain being joined`,
    );
  }
}

/** `OU=a,OU=b\,c,DC=x` → components, or what is wrong with it. Backslash escapes the next character. */
function parseDistinguishedName(dn: string): Array<{ attr: string; value: string }> | string {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i];
    if (c === '\\') {
      if (i + 1 === dn.length) return 'ends with a lone backslash: escape a comma inside a name as \\,';
      current += c + dn[i + 1];
      i++;
    } else if (c === ',') {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);

  const components: Array<{ attr: string; value: string }> = [];
  for (const part of parts) {
    if (isBlank(part)) return 'has an empty component (two commas in a row, or a comma at the start or end)';
    const eq = part.indexOf('=');
    const attr = (eq < 0 ? part : part.slice(0, eq)).trim().toUpperCase();
    if (eq < 0 || !['OU', 'CN', 'DC'].includes(attr)) {
      return `component "${show(part.trim())}" must be OU=name, CN=name or DC=name (escape a comma inside a name as \\,)`;
    }
    const value = part.slice(eq + 1).trim();
    if (value === '') return `component "${part.trim()}" has no name after the =`;
    components.push({ attr, value });
  }
  return components;
}

// Page: Install Configuration Manager (§1.2).

function checkInstallConfigMgr(out: Problems, a: WizardAnswers, r: WizardAnswers, site: SiteManifest | undefined): void {
  const typed = a.installConfigMgr;
  const resolved = r.installConfigMgr;
  // The client package can be the built-in one or any package (e.g. a copy with a newer client).
  const choices = site ? [...site.clientPackages, ...site.packages] : [];
  const missing = site
    ? `the site has no "${BUILT_IN_CLIENT_PACKAGE}"; give the PackageID of the client package${choices.length ? ` (one of ${listPackages(choices)})` : ''}`
    : `give the PackageID of the ${BUILT_IN_CLIENT_PACKAGE}`;
  checkPackageId(
    out,
    'installConfigMgr',
    'Package',
    'installConfigMgr.clientPackageId',
    typed.clientPackageId,
    resolved.clientPackageId,
    site,
    'client package',
    choices,
    missing,
  );

  if (typed.usePreProductionClient) {
    checkPackageId(
      out,
      'installConfigMgr',
      'Pre-production client package',
      'installConfigMgr.preProductionClientPackageId',
      typed.preProductionClientPackageId,
      resolved.preProductionClientPackageId,
      site,
      'client package',
      choices,
      'give the PackageID of the pre-production client package, or turn off usePreProductionClient',
    );
  }

  const props = typed.installationProperties;
  const report = (rule: string): void => out.error('installConfigMgr', 'Installation properties', 'installConfigMgr.installationProperties', show(props), rule);
  // [D]: "site assignment is automatic"; rejecting SMSSITECODE= is the spec's suggested check [I].
  if (/\bSMSSITECODE\s*=/i.test(props)) report('must not set SMSSITECODE: site assignment is automatic, so remove it');
  if ((props.match(/"/g) ?? []).length % 2 === 1) report('has an unbalanced double quote: quote a value containing spaces as NAME="a value"');
}

// Page: State Migration (§1.2).

function checkStateMigration(out: Problems, a: WizardAnswers, r: WizardAnswers, site: SiteManifest | undefined): void {
  const typed = a.stateMigration;
  if (typed.captureUserSettings) {
    const choices = site ? [...site.usmtPackages, ...site.packages] : [];
    const missing = site
      ? `the site has no "${BUILT_IN_USMT_PACKAGE}"; give the PackageID of the USMT package${choices.length ? ` (one of ${listPackages(choices)})` : ''}, or turn off captureUserSettings`
      : 'give the PackageID of the User State Migration Tool package, or turn off captureUserSettings';
    checkPackageId(
      out,
      'stateMigration',
      'User State Migration Tool package',
      'stateMigration.usmtPackageId',
      typed.usmtPackageId,
      r.stateMigration.usmtPackageId,
      site,
      'USMT package',
      choices,
      missing,
    );
  }
  // Hard links need a local store; "you can't use an SMP and hard-links together" [D].
  if (typed.useHardLinks && typed.saveTo === 'stateMigrationPoint') {
    out.warning(
      'stateMigration',
      'Capture locally by using links instead of by copying files',
      'stateMigration.useHardLinks',
      'true',
      'ignored: hard links need a local store and cannot be used with a state migration point; set saveTo to local, or turn off useHardLinks',
    );
  }
}

// Page: Install Applications (§1.2, §2.7).

function checkInstallApplications(out: Problems, a: WizardAnswers, r: WizardAnswers, site: SiteManifest | undefined): void {
  const typed = a.installApplications.applications;
  const resolved = r.installApplications.applications;
  const firstIndex = new Map<string, number>();
  const find = site && applicationFinder(site);
  typed.forEach((entry, i) => {
    const path = `installApplications.applications[${i}]`;
    const report = (rule: string): void => out.error('installApplications', 'Applications', path, show(entry), rule);
    if (site) {
      const app = find!(entry);
      if (!app) report('not an application of the site: give its display name or model name (ScopeId_…/Application_…) as the site lists it');
      else if (!app.allowTaskSequenceInstall)
        report(`application "${app.name}" can't be installed by a task sequence: tick ${ALLOW_TS_INSTALL} in its properties (General tab)`);
    } else if (!APP_MODEL_NAME.test(entry)) {
      report('without a site manifest (--site) to look up display names, give the application model name (ScopeId_…/Application_…)');
    }
    // Model names are GUID-based, so a case-only difference is still the same application.
    const key = resolved[i].toLowerCase();
    const first = firstIndex.get(key);
    if (first === undefined) firstIndex.set(key, i);
    else report(`the same application as applications[${first}] ("${show(typed[first])}"): list each application once`);
  });
  if (a.installApplications.continueOnFailure && typed.length === 0) {
    out.warning(
      'installApplications',
      'If an application installation fails, continue installing other applications in the list',
      'installApplications.continueOnFailure',
      'true',
      'ignored: no applications are listed',
    );
  }
}
