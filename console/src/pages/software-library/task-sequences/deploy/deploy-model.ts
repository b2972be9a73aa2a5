/**
 * The Deploy Software Wizard's answers (osd-features §4.1) and the rules the console applies before
 * the site sees them: which options are offered (§4.1 "Make available to", §4.3 deployment
 * options), what a page needs before Next. The site checks every rule again when the deployment is
 * created (POST /deployments); a refusal it names comes back to its page and field (`fieldPage`).
 */

export type Purpose = 'available' | 'required';
export type Availability = 'clients' | 'clients-media-pxe' | 'media-pxe' | 'media-pxe-hidden';
export type ContentOption = 'download-when-needed' | 'download-all-first' | 'access-from-dp';
export type Rerun = 'never' | 'always' | 'if-failed' | 'if-succeeded';
export type Day = 'sunday' | 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday';

/** An assignment schedule as the site takes it. */
export type Schedule =
  | 'asap'
  | 'logon'
  | 'logoff'
  | { at: string }
  | { recurring: 'weekly'; start: string; everyWeeks: number; day: Day }
  | { recurring: 'monthly'; start: string; everyMonths: number; dayOfMonth: number | 'last' }
  | { recurring: 'interval'; start: string; every: number; unit: 'minutes' | 'hours' | 'days' };

/** GET /collections */
export interface CollectionInfo {
  collectionId: string;
  name: string;
  comment: string;
  builtIn: boolean;
  memberCount: number;
  limitingCollectionName: string | null;
}

/** GET /settings/deployment-verification */
export interface DeploymentVerification {
  defaultSize: number;
  maximumSize: number;
  siteSystems: 'block' | 'verify';
}

/** GET /packages (what the rules read). */
export interface PackageInfo {
  packageId: string;
  name: string;
  typeName: string;
  copyToShare: boolean;
}

/** A deployment as the site answers it (GET /deployments). */
export interface DeploymentInfo {
  id: string;
  taskSequenceId: string;
  taskSequenceName: string;
  revision: number;
  followLatest: boolean;
  currentRevision: number;
  collectionId: string;
  collectionName: string;
  purpose: Purpose;
  settings: {
    availability: Availability;
    availableAt: string;
    expiresAt: string | null;
    schedules: Schedule[];
    rerun: Rerun;
    showProgress: boolean;
    contentOption: ContentOption;
    preDownload: boolean;
    comments: string;
    highRiskReasons: string[];
  };
  collectionSize: number;
  highRisk: boolean;
  enabled: boolean;
  createdBy: string;
  createdAt: string;
}

export const ALL_UNKNOWN_COMPUTERS = 'SMS000US';

export const AVAILABILITY_LABELS: Record<Availability, string> = {
  clients: 'Only Configuration Manager clients',
  'clients-media-pxe': 'Configuration Manager clients, media and PXE',
  'media-pxe': 'Only media and PXE',
  'media-pxe-hidden': 'Only media and PXE (hidden)',
};

export const CONTENT_OPTION_LABELS: Record<ContentOption, string> = {
  'download-when-needed': 'Download content locally when needed by the running task sequence',
  'download-all-first': 'Download all content locally before starting task sequence',
  'access-from-dp': 'Access content directly from a distribution point when needed by the running task sequence',
};

export const RERUN_LABELS: Record<Rerun, string> = {
  never: 'Never rerun deployed program',
  always: 'Always rerun program',
  'if-failed': 'Rerun if failed previous attempt',
  'if-succeeded': 'Rerun if succeeded on previous attempt',
};

export const DAYS: Day[] = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

export interface DeployAnswers {
  collectionId: string;
  /** Show collections larger than the default size (Deployment Verification). */
  showLarge: boolean;
  preDownload: boolean;
  comments: string;
  purpose: Purpose;
  availability: Availability;
  /** Schedule when this deployment will become available; off = now. */
  availableOn: boolean;
  availableAt: string;
  expiresOn: boolean;
  expiresAt: string;
  /** The times are UTC (else the browser's local time), as ConfigMgr's "UTC" box. */
  utc: boolean;
  schedules: Schedule[];
  rerun: Rerun;
  showProgress: boolean;
  softwareInstallOutsideMaintenanceWindow: boolean;
  restartOutsideMaintenanceWindow: boolean;
  contentOption: ContentOption;
  useRemoteDp: boolean;
  useDefaultBoundaryGroup: boolean;
}

export function initialAnswers(): DeployAnswers {
  return {
    collectionId: '',
    showLarge: false,
    preDownload: false,
    comments: '',
    purpose: 'available',
    availability: 'clients',
    availableOn: false,
    availableAt: '',
    expiresOn: false,
    expiresAt: '',
    utc: false,
    schedules: [],
    rerun: 'always',
    showProgress: true,
    softwareInstallOutsideMaintenanceWindow: false,
    restartOutsideMaintenanceWindow: false,
    contentOption: 'download-when-needed',
    useRemoteDp: false,
    useDefaultBoundaryGroup: false,
  };
}

/** What the options depend on: the task sequence and its content. */
export interface DeployContext {
  hasBootImage: boolean;
  /** The referenced packages the site knows (the boot image among them). */
  packages: PackageInfo[];
}

/** §4.1: a task sequence without a boot image is offered only to Configuration Manager clients. */
export function availabilityChoices(ctx: DeployContext): Availability[] {
  return ctx.hasBootImage ? ['clients', 'clients-media-pxe', 'media-pxe', 'media-pxe-hidden'] : ['clients'];
}

/**
 * §4.3: "Download content locally when needed" always; "Download all content locally before
 * starting" only when the deployment is not made available to media and PXE; "Access content
 * directly from a distribution point" only when every referenced package is copied to a package share.
 */
export function contentOptionChoices(ctx: DeployContext, availability: Availability): ContentOption[] {
  const out: ContentOption[] = ['download-when-needed'];
  if (availability === 'clients') out.push('download-all-first');
  if (ctx.packages.every((p) => p.copyToShare)) out.push('access-from-dp');
  return out;
}

/** "High risk" (§4.5): Required and an OS deployment (the site decides; the console offers accordingly). */
export function isHighRisk(a: DeployAnswers, ctx: DeployContext): boolean {
  return a.purpose === 'required' && ctx.hasBootImage;
}

/** The collections the wizard lists (§4.5): over the maximum size never; over the default size only when asked. */
export function listedCollections(all: CollectionInfo[], a: DeployAnswers, v: DeploymentVerification | undefined): CollectionInfo[] {
  return all.filter((c) => {
    if (v && v.maximumSize !== 0 && c.memberCount > v.maximumSize) return false;
    if (v && v.defaultSize !== 0 && c.memberCount > v.defaultSize && !a.showLarge) return false;
    return true;
  });
}

/** A datetime-local value ("2026-12-07T18:30") as ISO, in UTC or the browser's time. */
export function isoOf(local: string, utc: boolean): string | undefined {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(local)) return undefined;
  const d = utc ? new Date(`${local}Z`) : new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export type Errors = Partial<Record<string, string>>;

/** The errors each page has (the field's name → the rule, in the console's words). */
export function pageErrors(a: DeployAnswers, ctx: DeployContext, collections: CollectionInfo[]): Record<string, Errors> {
  const general: Errors = {};
  const collection = collections.find((c) => c.collectionId === a.collectionId);
  if (!a.collectionId) general.collectionId = 'Specify a collection to deploy to.';
  else if (!collection) general.collectionId = `The collection ${a.collectionId} does not exist.`;
  if (a.comments.length > 512) general.comments = 'Comments are at most 512 characters.';

  const settings: Errors = {};
  if (a.preDownload && a.purpose !== 'available')
    settings.purpose =
      'Pre-download content applies only to Available deployments: clear "Pre-download content for this task sequence" on the General page, or make it Available.';
  if (isHighRisk(a, ctx) && collection?.builtIn && collection.collectionId !== ALL_UNKNOWN_COMPUTERS)
    settings.purpose = `A Required deployment of an operating system deployment task sequence is high risk and cannot target the built-in collection "${collection.name}". Choose a custom collection or All Unknown Computers.`;
  if (!availabilityChoices(ctx).includes(a.availability))
    settings.availability = 'This task sequence has no boot image, so it can be made available only to Configuration Manager clients.';

  const scheduling: Errors = {};
  if (a.availableOn && !isoOf(a.availableAt, a.utc)) scheduling.availableAt = 'Specify the date and time the deployment becomes available.';
  if (a.expiresOn && !isoOf(a.expiresAt, a.utc)) scheduling.expiresAt = 'Specify the date and time the deployment expires.';
  if (a.purpose === 'required' && a.schedules.length === 0)
    scheduling.schedules = 'A Required deployment needs at least one assignment schedule. Choose New to add one.';

  const dps: Errors = {};
  if (!contentOptionChoices(ctx, a.availability).includes(a.contentOption))
    dps.contentOption = 'This deployment option is not offered for these settings. Choose another.';
  return { general, settings, scheduling, 'user-experience': {}, 'distribution-points': dps };
}

/** The page of a field the site named (`body.schedules[0].every` → scheduling). */
export function fieldPage(field: string | undefined): string | undefined {
  if (!field) return undefined;
  const top = field.replace(/[[.].*$/, '');
  const pages: Record<string, string> = {
    collectionId: 'general',
    taskSequenceId: 'general',
    revision: 'general',
    comments: 'general',
    preDownload: 'general',
    purpose: 'settings',
    availability: 'settings',
    availableAt: 'scheduling',
    expiresAt: 'scheduling',
    schedules: 'scheduling',
    rerun: 'scheduling',
    showProgress: 'user-experience',
    softwareInstallOutsideMaintenanceWindow: 'user-experience',
    restartOutsideMaintenanceWindow: 'user-experience',
    contentOption: 'distribution-points',
    useRemoteDp: 'distribution-points',
    useDefaultBoundaryGroup: 'distribution-points',
  };
  return pages[top];
}

/** The request body (POST /deployments). Fields that do not apply are left to the site's defaults. */
export function requestOf(taskSequenceId: string, a: DeployAnswers, confirmHighRisk: boolean): Record<string, unknown> {
  const required = a.purpose === 'required';
  const body: Record<string, unknown> = {
    taskSequenceId,
    collectionId: a.collectionId,
    purpose: a.purpose,
    availability: a.availability,
    schedules: required ? a.schedules : [],
    rerun: required ? a.rerun : 'always',
    showProgress: a.showProgress,
    softwareInstallOutsideMaintenanceWindow: required && a.softwareInstallOutsideMaintenanceWindow,
    restartOutsideMaintenanceWindow: required && a.restartOutsideMaintenanceWindow,
    contentOption: a.contentOption,
    preDownload: a.preDownload,
    useRemoteDp: a.useRemoteDp,
    useDefaultBoundaryGroup: a.useDefaultBoundaryGroup,
    comments: a.comments,
    confirmHighRisk,
  };
  const availableAt = a.availableOn ? isoOf(a.availableAt, a.utc) : undefined;
  const expiresAt = a.expiresOn ? isoOf(a.expiresAt, a.utc) : undefined;
  if (availableAt) body.availableAt = availableAt;
  if (expiresAt) body.expiresAt = expiresAt;
  return body;
}

const DAY_NAMES: Record<Day, string> = {
  sunday: 'Sunday',
  monday: 'Monday',
  tuesday: 'Tuesday',
  wednesday: 'Wednesday',
  thursday: 'Thursday',
  friday: 'Friday',
  saturday: 'Saturday',
};

/** A schedule in words, as the Assignment schedule list shows it. */
export function describeSchedule(s: Schedule): string {
  if (s === 'asap') return 'As soon as possible';
  if (s === 'logon') return 'Log on';
  if (s === 'logoff') return 'Log off';
  const when = (iso: string) => new Date(iso).toLocaleString();
  if ('at' in s) return `Occurs on ${when(s.at)}`;
  if (s.recurring === 'weekly')
    return `Occurs every ${s.everyWeeks === 1 ? 'week' : `${s.everyWeeks} weeks`} on ${DAY_NAMES[s.day]}, effective ${when(s.start)}`;
  if (s.recurring === 'monthly')
    return `Occurs ${s.dayOfMonth === 'last' ? 'on the last day' : `on day ${s.dayOfMonth}`} of every ${s.everyMonths === 1 ? 'month' : `${s.everyMonths} months`}, effective ${when(s.start)}`;
  return `Occurs every ${s.every} ${s.unit}, effective ${when(s.start)}`;
}
