/**
 * The Create Task Sequence Wizard's answers as the console holds them while the pages are filled
 * in ("Install an existing image package", osd-features §1.2), the answers the site is sent
 * (`answersOf`: the site's answers format, docs/wizard-answers.md), and each page's rules in the
 * console's words (`problemsOf`). The rules are the site's (src/sequence/wizard/validate.ts): the
 * console cannot import them (it speaks to the site only through the API), so they are repeated
 * here for the page-by-page check, and the site checks everything again when the wizard finishes —
 * a refusal then comes back to the field it names.
 */
import type { BootImage, ClientPackage, OsImagePackage, SiteApplication } from './site-content';

export type Join = 'workgroup' | 'domain';
export type Updates = 'mandatory' | 'all' | 'none';
export type SaveTo = 'stateMigrationPoint' | 'local';

export interface WizardState {
  name: string;
  description: string;
  bootImageId: string;
  highPerformancePowerPlan: boolean;

  imagePackageId: string;
  imageIndex: number;
  partitionAndFormat: boolean;
  configureBitLocker: boolean;
  productKey: string;
  /** 'randomAndDisabled' or 'enabled'. */
  adminMode: 'randomAndDisabled' | 'enabled';
  adminPassword: string;
  adminConfirm: string;

  join: Join;
  workgroup: string;
  domain: string;
  domainOU: string;
  account: string;
  accountPassword: string;
  accountConfirm: string;

  clientPackageId: string;
  usePreProductionClient: boolean;
  preProductionClientPackageId: string;
  installationProperties: string;

  captureUserSettings: boolean;
  saveTo: SaveTo;
  useHardLinks: boolean;
  usmtPackageId: string;
  captureNetworkSettings: boolean;
  captureWindowsSettings: boolean;

  updates: Updates;

  /** Application model names, in install order. */
  applications: string[];
  continueOnFailure: boolean;
}

/** The console's defaults (osd-features §1.2; the same as the site's answers format). */
export function initialState(): WizardState {
  return {
    name: '',
    description: '',
    bootImageId: '',
    highPerformancePowerPlan: true,
    imagePackageId: '',
    imageIndex: 1,
    partitionAndFormat: true,
    configureBitLocker: true,
    productKey: '',
    adminMode: 'randomAndDisabled',
    adminPassword: '',
    adminConfirm: '',
    join: 'workgroup',
    workgroup: 'WORKGROUP',
    domain: '',
    domainOU: '',
    account: '',
    accountPassword: '',
    accountConfirm: '',
    clientPackageId: '',
    usePreProductionClient: false,
    preProductionClientPackageId: '',
    installationProperties: '',
    captureUserSettings: true,
    saveTo: 'stateMigrationPoint',
    useHardLinks: false,
    usmtPackageId: '',
    captureNetworkSettings: true,
    captureWindowsSettings: true,
    updates: 'mandatory',
    applications: [],
    continueOnFailure: false,
  };
}

/** What the wizard fills in without asking (§1.2 Apply Windows Settings): the console user, computer and time zone. */
export interface ConsoleValues {
  userName: string;
  computerName: string;
  timeZone: string;
  inputLocale: string;
}

/** The answers the site's wizard takes (POST …/wizard/install-image; the CLI's answers file has the same shape). */
export function answersOf(s: WizardState, c: ConsoleValues): Record<string, unknown> {
  return {
    taskSequence: {
      name: s.name,
      description: s.description,
      bootImageId: s.bootImageId,
      highPerformancePowerPlan: s.highPerformancePowerPlan,
    },
    installWindows: {
      imagePackageId: s.imagePackageId,
      imageIndex: s.imageIndex,
      partitionAndFormat: s.partitionAndFormat,
      configureBitLocker: s.configureBitLocker,
      productKey: s.productKey,
      // Server licensing is not shown since ConfigMgr 2010 (§1.2): new task sequences do not specify it.
      serverLicensing: { mode: 'notSpecified' },
      localAdministrator:
        s.adminMode === 'enabled' ? { mode: 'enabled', password: s.adminPassword, confirmPassword: s.adminConfirm } : { mode: 'randomAndDisabled' },
    },
    configureNetwork:
      s.join === 'workgroup'
        ? { join: 'workgroup', workgroup: s.workgroup }
        : {
            join: 'domain',
            domain: s.domain,
            domainOU: s.domainOU,
            account: s.account,
            password: s.accountPassword,
            confirmPassword: s.accountConfirm,
          },
    installConfigMgr: {
      clientPackageId: s.clientPackageId,
      usePreProductionClient: s.usePreProductionClient,
      preProductionClientPackageId: s.usePreProductionClient ? s.preProductionClientPackageId : '',
      installationProperties: s.installationProperties,
    },
    stateMigration: {
      captureUserSettings: s.captureUserSettings,
      saveTo: s.saveTo,
      // Links are offered only when saving locally; a state migration point cannot use them (§1.2).
      useHardLinks: s.captureUserSettings && s.saveTo === 'local' && s.useHardLinks,
      usmtPackageId: s.captureUserSettings ? s.usmtPackageId : '',
      captureNetworkSettings: s.captureNetworkSettings,
      captureWindowsSettings: s.captureWindowsSettings,
    },
    includeUpdates: s.updates,
    installApplications: {
      applications: s.applications,
      // The option applies only with applications listed (§1.2).
      continueOnFailure: s.applications.length > 0 && s.continueOnFailure,
    },
    console: { ...c },
  };
}

/** What the site offers the pickers. */
export interface SiteContent {
  bootImages: BootImage[];
  osImages: OsImagePackage[];
  /** Packages a client can be installed from: the built-in client package first, then other packages. */
  clientPackages: ClientPackage[];
  /** Packages USMT can come from: the built-in USMT package first, then other packages. */
  usmtPackages: ClientPackage[];
  applications: SiteApplication[];
  /** Names of the site's task sequences (lower case): a name is unique at the site. */
  taskSequenceNames: Set<string>;
}

/** The wizard's pages (after the first, the type) and the fields on each. */
export type PageId = 'type' | 'info' | 'windows' | 'network' | 'configmgr' | 'state' | 'updates' | 'apps';

/** Field keys: the WizardState key the error is shown at. */
export type FieldErrors = Partial<Record<keyof WizardState, string>>;
export interface PageProblems {
  errors: FieldErrors;
  warnings: FieldErrors;
}

export const LIMITS = {
  name: 50,
  description: 512,
  encodedProductKey: 255,
  adminPassword: 255,
  workgroup: 32,
  domain: 255,
  dnsLabel: 63,
  netbiosDomain: 15,
  domainOU: 32767,
} as const;

const PRODUCT_KEY = /^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){4}$/;
const JOIN_ACCOUNT = /^([^\\/:*?"<>|]+\\[^\\/:*?"<>|@]+|%[A-Za-z][A-Za-z0-9_-]*%)$/;
const NETBIOS_FORBIDDEN = /[\\/:*?"<>|]/;
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
export const OU_EXAMPLE = 'LDAP://OU=Workstations,DC=contoso,DC=com';

/** Which image architectures a boot image can install (the site's rule, validate.ts INSTALLS). */
const INSTALLS: Record<string, readonly string[]> = { x86: ['x86'], x64: ['x64', 'x86'], arm64: ['arm64'] };

const blank = (v: string) => v.trim() === '';

export function problemsOf(page: PageId, s: WizardState, site: SiteContent | undefined): PageProblems {
  const errors: FieldErrors = {};
  const warnings: FieldErrors = {};
  switch (page) {
    case 'type':
      break;
    case 'info': {
      const name = s.name.trim();
      if (!name) errors.name = 'Task sequence name is required.';
      else if (s.name.length > LIMITS.name) errors.name = `The name can't exceed ${LIMITS.name} characters (it has ${s.name.length}).`;
      else if (site?.taskSequenceNames.has(name.toLowerCase())) errors.name = `A task sequence named "${name}" already exists. Enter another name.`;
      if (s.description.length > LIMITS.description)
        errors.description = `The description can't exceed ${LIMITS.description} characters (it has ${s.description.length}).`;
      if (!s.bootImageId) errors.bootImageId = 'Select a boot image.';
      else if (site && !site.bootImages.some((b) => b.packageId === s.bootImageId))
        errors.bootImageId = 'The boot image is no longer at the site. Select a boot image.';
      break;
    }
    case 'windows': {
      const pkg = site?.osImages.find((p) => p.packageId === s.imagePackageId);
      if (!s.imagePackageId) errors.imagePackageId = 'Select an image package.';
      else if (site && !pkg) errors.imagePackageId = 'The image package is no longer at the site. Select an image package.';
      else if (pkg && !pkg.properties.images.some((i) => i.index === s.imageIndex)) errors.imageIndex = 'Select an image from the image package.';
      // The boot image chosen on Task Sequence Information must be able to install this image.
      const boot = site?.bootImages.find((b) => b.packageId === s.bootImageId);
      const image = pkg?.properties.images.find((i) => i.index === s.imageIndex);
      // As the site: only an image that names its architecture is checked.
      const imageArch = image?.architecture;
      if (boot && imageArch && !errors.imageIndex && INSTALLS[boot.properties.architecture] && !INSTALLS[boot.properties.architecture]!.includes(imageArch)) {
        errors.imageIndex =
          `The boot image "${boot.name}" is ${boot.properties.architecture} and can't install this ${imageArch} image. ` +
          `Select an image of the boot image's architecture, or go back and select an ${imageArch === 'x86' ? 'x86 or x64' : imageArch} boot image.`;
      }
      const key = s.productKey.trim();
      if (key.includes('-')) {
        if (!PRODUCT_KEY.test(key)) errors.productKey = 'Enter the product key in the format XXXXX-XXXXX-XXXXX-XXXXX-XXXXX.';
      } else if (/\s/.test(key)) errors.productKey = "An encoded volume license key can't contain spaces.";
      else if (key.length > LIMITS.encodedProductKey) errors.productKey = `The product key can't exceed ${LIMITS.encodedProductKey} characters.`;
      if (s.adminMode === 'enabled') {
        if (s.adminPassword === '') errors.adminPassword = 'Enter the local administrator password.';
        else if (s.adminPassword.length > LIMITS.adminPassword) errors.adminPassword = `The password can't exceed ${LIMITS.adminPassword} characters.`;
        if (s.adminConfirm !== s.adminPassword) errors.adminConfirm = "The passwords don't match. Type the password again.";
      }
      break;
    }
    case 'network': {
      if (s.join === 'workgroup') {
        if (blank(s.workgroup)) errors.workgroup = 'Enter the name of the workgroup.';
        else if (s.workgroup.length > LIMITS.workgroup) errors.workgroup = `The workgroup name can't exceed ${LIMITS.workgroup} characters.`;
        else if (NETBIOS_FORBIDDEN.test(s.workgroup)) errors.workgroup = 'The workgroup name can\'t contain any of these characters: \\ / : * ? " < > |';
        break;
      }
      const domain = domainProblem(s.domain);
      if (domain) errors.domain = domain;
      const ou = ouProblem(s.domainOU, domain ? undefined : s.domain);
      if (ou?.error) errors.domainOU = ou.error;
      else if (ou?.warning) warnings.domainOU = ou.warning;
      if (s.account === '') errors.account = 'Specify the account that has permission to join the domain.';
      else if (!JOIN_ACCOUNT.test(s.account)) errors.account = 'Enter the account as DOMAIN\\user name, or a task sequence variable such as %JoinAccount%.';
      if (s.accountPassword === '') errors.accountPassword = 'Enter the password of the account.';
      if (s.accountConfirm !== s.accountPassword) errors.accountConfirm = "The passwords don't match. Type the password again.";
      break;
    }
    case 'configmgr': {
      if (!s.clientPackageId) errors.clientPackageId = 'Select the Configuration Manager client package.';
      else if (site && !site.clientPackages.some((p) => p.packageId === s.clientPackageId))
        errors.clientPackageId = 'The package is no longer at the site. Select the Configuration Manager client package.';
      if (s.usePreProductionClient && !s.preProductionClientPackageId) errors.preProductionClientPackageId = 'Select the pre-production client package.';
      const props = s.installationProperties;
      if (/\bSMSSITECODE\s*=/i.test(props))
        errors.installationProperties = "Installation properties can't include SMSSITECODE: the site is assigned automatically. Remove it.";
      else if ((props.match(/"/g) ?? []).length % 2 === 1)
        errors.installationProperties = 'A quotation mark is missing: put a value that contains spaces in quotation marks, e.g. NAME="a value".';
      break;
    }
    case 'state':
      if (s.captureUserSettings && !s.usmtPackageId) errors.usmtPackageId = 'Select a User State Migration Tool package.';
      break;
    case 'updates':
      break;
    case 'apps': {
      const known = new Map(site?.applications.map((a) => [a.modelName, a]));
      const bad = s.applications.find((m) => site && !known.get(m)?.allowTaskSequenceInstall);
      if (bad) errors.applications = `The application "${known.get(bad)?.name ?? bad}" can't be installed by a task sequence. Remove it from the list.`;
      break;
    }
  }
  return { errors, warnings };
}

function domainProblem(domain: string): string | undefined {
  if (blank(domain)) return 'Enter the name of the domain, e.g. contoso.com.';
  if (domain.length > LIMITS.domain) return `The domain name can't exceed ${LIMITS.domain} characters.`;
  if (!domain.includes('.')) {
    if (domain.length > LIMITS.netbiosDomain)
      return `A NetBIOS domain name can't exceed ${LIMITS.netbiosDomain} characters. Enter the DNS name, e.g. contoso.com.`;
    if (/\s/.test(domain) || NETBIOS_FORBIDDEN.test(domain))
      return 'A NetBIOS domain name can\'t contain spaces or any of these characters: \\ / : * ? " < > |';
    return undefined;
  }
  for (const label of domain.split('.')) {
    if (label === '') return 'The domain name has an empty part (two dots in a row, or a dot at the start or end).';
    if (label.length > LIMITS.dnsLabel) return `Each part of the domain name can't exceed ${LIMITS.dnsLabel} characters.`;
    if (!DNS_LABEL.test(label)) return `"${label}" isn't valid in a domain name: use letters, digits and hyphens, not at the start or end.`;
  }
  return undefined;
}

/** The Domain OU's rules (§1.2): an LDAP distinguished name with the full path; DC= parts not spelling the domain only warn. */
function ouProblem(typed: string, domain: string | undefined): { error?: string; warning?: string } | undefined {
  const t = typed.trim();
  if (!t) return undefined;
  if (/^ldap\/\//i.test(t)) return { error: `Enter the prefix as LDAP:// (with a colon), e.g. ${OU_EXAMPLE}.` };
  const dn = /^ldap:\/\//i.test(t) ? t.slice(7) : t;
  if (dn.length + 7 > LIMITS.domainOU) return { error: `The domain OU can't exceed ${LIMITS.domainOU} characters.` };
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i];
    if (c === '\\') {
      if (i + 1 === dn.length) return { error: 'The domain OU ends with a backslash. Escape a comma inside a name as \\,' };
      current += c + dn[i + 1];
      i++;
    } else if (c === ',') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  const dcs: string[] = [];
  let hasOU = false;
  for (const part of parts) {
    if (blank(part)) return { error: 'The domain OU has an empty part (two commas in a row, or a comma at the start or end).' };
    const eq = part.indexOf('=');
    const attr = (eq < 0 ? part : part.slice(0, eq)).trim().toUpperCase();
    if (eq < 0 || !['OU', 'CN', 'DC'].includes(attr))
      return { error: `"${part.trim()}" isn't valid: each part is OU=name, CN=name or DC=name, e.g. ${OU_EXAMPLE}.` };
    const value = part.slice(eq + 1).trim();
    if (!value) return { error: `"${part.trim()}" has no name after the equal sign.` };
    if (attr === 'OU') hasOU = true;
    if (attr === 'DC') dcs.push(value);
  }
  if (!hasOU || dcs.length === 0) return { error: `Enter the full path of the organizational unit with its OU= and DC= parts, e.g. ${OU_EXAMPLE}.` };
  const spelled = dcs.join('.');
  if (domain && domain.includes('.') && spelled.toLowerCase() !== domain.toLowerCase()) {
    return { warning: `The DC= parts name ${spelled}, but the domain is ${domain}. Check that the OU is in the domain to join.` };
  }
  return undefined;
}

/** `OU=x,DC=y` → `LDAP://OU=x,DC=y`, as the site stores it (§1.2). */
export function canonicalOU(ou: string): string {
  const t = ou.trim();
  if (!t) return '';
  return /^ldap:\/\//i.test(t) ? `LDAP://${t.slice(7)}` : `LDAP://${t}`;
}

/** The site's answers path (`taskSequence.name`, from a refusal) → the page and field it is shown at. */
export function fieldOfPath(path: string): { page: PageId; field: keyof WizardState } | undefined {
  const map: Record<string, { page: PageId; field: keyof WizardState }> = {
    'taskSequence.name': { page: 'info', field: 'name' },
    'taskSequence.description': { page: 'info', field: 'description' },
    'taskSequence.bootImageId': { page: 'info', field: 'bootImageId' },
    'installWindows.imagePackageId': { page: 'windows', field: 'imagePackageId' },
    'installWindows.imageIndex': { page: 'windows', field: 'imageIndex' },
    'installWindows.productKey': { page: 'windows', field: 'productKey' },
    'installWindows.localAdministrator.password': { page: 'windows', field: 'adminPassword' },
    'installWindows.localAdministrator.confirmPassword': { page: 'windows', field: 'adminConfirm' },
    'configureNetwork.workgroup': { page: 'network', field: 'workgroup' },
    'configureNetwork.domain': { page: 'network', field: 'domain' },
    'configureNetwork.domainOU': { page: 'network', field: 'domainOU' },
    'configureNetwork.account': { page: 'network', field: 'account' },
    'configureNetwork.password': { page: 'network', field: 'accountPassword' },
    'configureNetwork.confirmPassword': { page: 'network', field: 'accountConfirm' },
    'installConfigMgr.clientPackageId': { page: 'configmgr', field: 'clientPackageId' },
    'installConfigMgr.preProductionClientPackageId': { page: 'configmgr', field: 'preProductionClientPackageId' },
    'installConfigMgr.installationProperties': { page: 'configmgr', field: 'installationProperties' },
    'stateMigration.usmtPackageId': { page: 'state', field: 'usmtPackageId' },
  };
  if (map[path]) return map[path];
  // The name's uniqueness is checked where every task sequence is created, which names it `body.name`.
  if (path === 'name') return map['taskSequence.name'];
  if (path.startsWith('installApplications.applications')) return { page: 'apps', field: 'applications' };
  return undefined;
}
