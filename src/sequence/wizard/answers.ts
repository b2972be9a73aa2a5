/**
 * The answers to the Create Task Sequence Wizard, "Install an existing image package"
 * (osd-features §1.2): every field of every page, with the console's defaults. This schema only
 * checks shapes (so a file with wrong types is refused with the path); the wizard's own rules are
 * in validate.ts, which reports every problem with its page and field. Format: docs/wizard-answers.md.
 */
import { z } from 'zod';

const secret = z.string();

export const answersSchema = z.strictObject({
  /** Page: Task Sequence Information. */
  taskSequence: z.strictObject({
    name: z.string(),
    description: z.string().default(''),
    /** PackageID of the boot image (required for this task sequence type). */
    bootImageId: z.string().default(''),
    /** "Run as high performance power plan" (default unverified, §1.2: we use true, the 1910+ default). */
    highPerformancePowerPlan: z.boolean().default(true),
  }),
  /** Page: Install Windows. */
  installWindows: z.strictObject({
    imagePackageId: z.string().default(''),
    /** 1-based image index in the package; default: the first image. */
    imageIndex: z.number().int().default(1),
    partitionAndFormat: z.boolean().default(true),
    /** Checked by default in the console (§1.2). */
    configureBitLocker: z.boolean().default(true),
    productKey: z.string().default(''),
    serverLicensing: z
      .strictObject({
        mode: z.enum(['notSpecified', 'perSeat', 'perServer']).default('notSpecified'),
        maxConnections: z.number().int().optional(),
      })
      .default({ mode: 'notSpecified' }),
    localAdministrator: z
      .discriminatedUnion('mode', [
        z.strictObject({ mode: z.literal('randomAndDisabled') }),
        z.strictObject({ mode: z.literal('enabled'), password: secret.default(''), confirmPassword: secret.default('') }),
      ])
      .default({ mode: 'randomAndDisabled' }),
  }),
  /** Page: Configure Network. */
  configureNetwork: z
    .discriminatedUnion('join', [
      z.strictObject({ join: z.literal('workgroup'), workgroup: z.string().default('') }),
      z.strictObject({
        join: z.literal('domain'),
        domain: z.string().default(''),
        domainOU: z.string().default(''),
        account: z.string().default(''),
        password: secret.default(''),
        confirmPassword: secret.default(''),
      }),
    ])
    .default({ join: 'workgroup', workgroup: 'WORKGROUP' }),
  /** Page: Install Configuration Manager. */
  installConfigMgr: z
    .strictObject({
      /** Default: the site's built-in Configuration Manager Client Package. */
      clientPackageId: z.string().default(''),
      usePreProductionClient: z.boolean().default(false),
      preProductionClientPackageId: z.string().default(''),
      installationProperties: z.string().default(''),
    })
    .default({ clientPackageId: '', usePreProductionClient: false, preProductionClientPackageId: '', installationProperties: '' }),
  /** Page: State Migration (defaults: all checked, state migration point). */
  stateMigration: z
    .strictObject({
      captureUserSettings: z.boolean().default(true),
      saveTo: z.enum(['stateMigrationPoint', 'local']).default('stateMigrationPoint'),
      /** "Capture locally by using links instead of by copying files" (local only). */
      useHardLinks: z.boolean().default(false),
      /** Default: the site's built-in "User State Migration Tool for Windows" package. */
      usmtPackageId: z.string().default(''),
      captureNetworkSettings: z.boolean().default(true),
      captureWindowsSettings: z.boolean().default(true),
    })
    .default({
      captureUserSettings: true,
      saveTo: 'stateMigrationPoint',
      useHardLinks: false,
      usmtPackageId: '',
      captureNetworkSettings: true,
      captureWindowsSettings: true,
    }),
  /** Page: Include Updates (default Mandatory [I], §1.2). */
  includeUpdates: z.enum(['mandatory', 'all', 'none']).default('mandatory'),
  /** Page: Install Applications. */
  installApplications: z
    .strictObject({
      /** App model names (ScopeId_…/Application_…) or display names from the site manifest, in install order. */
      applications: z.array(z.string()).default([]),
      continueOnFailure: z.boolean().default(false),
    })
    .default({ applications: [], continueOnFailure: false }),
  /**
   * Values the wizard fills in without asking (§1.2): the registered user is the console user's
   * account name, the organisation the console computer's name, the time zone the console's.
   */
  console: z
    .strictObject({
      userName: z.string().default('administrator'),
      computerName: z.string().default('CONSOLE'),
      timeZone: z.string().default('Pacific Standard Time'),
      inputLocale: z.string().default('en-US'),
    })
    .default({ userName: 'administrator', computerName: 'CONSOLE', timeZone: 'Pacific Standard Time', inputLocale: 'en-US' }),
});

export type WizardAnswers = z.infer<typeof answersSchema>;
export type WizardAnswersInput = z.input<typeof answersSchema>;

/** The wizard pages, as the console names them (for error messages). */
export const PAGES = {
  taskSequence: 'Task Sequence Information',
  installWindows: 'Install Windows',
  configureNetwork: 'Configure Network',
  installConfigMgr: 'Install Configuration Manager',
  stateMigration: 'State Migration',
  includeUpdates: 'Include Updates',
  installApplications: 'Install Applications',
  console: 'Task Sequence Information',
} as const;
