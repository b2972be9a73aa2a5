/**
 * What the Deploy Software Wizard asks (osd-features §4.1), as the request to create a deployment:
 * every field with the console's default. Shapes only; the rules between fields (§4.3 visibility,
 * §4.4 pre-download, §4.5 high risk) are checked by the service with the admin's words.
 */
import { z } from 'zod';

const datetime = z.iso.datetime({ offset: true });

export const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

/** Assignment schedules (Required only; several allowed). WinPE (PXE, media) clients ignore them. */
export const scheduleSchema = z.union([
  z.enum(['asap', 'logon', 'logoff']),
  z.strictObject({ at: datetime }),
  z.strictObject({ recurring: z.literal('weekly'), start: datetime, everyWeeks: z.number().int().min(1).max(4).default(1), day: z.enum(DAYS) }),
  z.strictObject({
    recurring: z.literal('monthly'),
    start: datetime,
    everyMonths: z.number().int().min(1).max(12).default(1),
    /** Day of the month, or the last day. */
    dayOfMonth: z.union([z.number().int().min(1).max(31), z.literal('last')]),
  }),
  z.strictObject({ recurring: z.literal('interval'), start: datetime, every: z.number().int().min(1), unit: z.enum(['minutes', 'hours', 'days']) }),
]);
export type Schedule = z.infer<typeof scheduleSchema>;

export const AVAILABILITY = ['clients', 'clients-media-pxe', 'media-pxe', 'media-pxe-hidden'] as const;
export type Availability = (typeof AVAILABILITY)[number];
export const CONTENT_OPTIONS = ['download-when-needed', 'download-all-first', 'access-from-dp'] as const;
export type ContentOption = (typeof CONTENT_OPTIONS)[number];
export const RERUN = ['never', 'always', 'if-failed', 'if-succeeded'] as const;

export const deploymentInputSchema = z.strictObject({
  taskSequenceId: z.string().min(1),
  /**
   * A number pins that revision; "latest" (the default, as in ConfigMgr) follows the task
   * sequence's current revision, moving with every save.
   */
  revision: z.union([z.number().int().min(1), z.literal('latest')]).optional(),
  collectionId: z.string().min(1),
  purpose: z.enum(['available', 'required']).default('available'),
  /** "Make available to the following" (§4.1). A task sequence without a boot image allows only clients. */
  availability: z.enum(AVAILABILITY).default('clients'),
  /** Default: now. */
  availableAt: datetime.optional(),
  expiresAt: datetime.optional(),
  schedules: z.array(scheduleSchema).default([]),
  /** Only matters for Required (§4.2); users can always rerun Available. */
  rerun: z.enum(RERUN).default('always'),
  showProgress: z.boolean().default(true),
  softwareInstallOutsideMaintenanceWindow: z.boolean().default(false),
  restartOutsideMaintenanceWindow: z.boolean().default(false),
  /** Distribution Points › Deployment options (§4.3). */
  contentOption: z.enum(CONTENT_OPTIONS).default('download-when-needed'),
  /** "Pre-download content for this task sequence" (Available only, §4.4). */
  preDownload: z.boolean().default(false),
  useRemoteDp: z.boolean().default(false),
  useDefaultBoundaryGroup: z.boolean().default(false),
  comments: z.string().max(512).default(''),
  /** The admin acknowledges the high-risk warning (§4.5). */
  confirmHighRisk: z.boolean().default(false),
});
export type DeploymentInput = z.input<typeof deploymentInputSchema>;
export type DeploymentRequest = z.infer<typeof deploymentInputSchema>;

/**
 * What can change after creation (the deployment's properties dialog): every field optional, the
 * same shapes as creation. Purpose, availability, task sequence and collection cannot change.
 */
export const deploymentUpdateSchema = z.strictObject({
  /** A number pins that revision; "latest" follows the current one. */
  revision: z.union([z.number().int().min(1), z.literal('latest')]).optional(),
  enabled: z.boolean().optional(),
  availableAt: datetime.optional(),
  /** null: never expires. */
  expiresAt: datetime.nullable().optional(),
  schedules: z.array(scheduleSchema).optional(),
  rerun: z.enum(RERUN).optional(),
  showProgress: z.boolean().optional(),
  softwareInstallOutsideMaintenanceWindow: z.boolean().optional(),
  restartOutsideMaintenanceWindow: z.boolean().optional(),
  contentOption: z.enum(CONTENT_OPTIONS).optional(),
  preDownload: z.boolean().optional(),
  useRemoteDp: z.boolean().optional(),
  useDefaultBoundaryGroup: z.boolean().optional(),
  comments: z.string().max(512).optional(),
});
export type DeploymentUpdate = z.input<typeof deploymentUpdateSchema>;

/** What a deployment keeps in its `settings` column. */
export interface DeploymentSettings {
  availability: Availability;
  availableAt: string;
  expiresAt: string | null;
  schedules: Schedule[];
  rerun: (typeof RERUN)[number];
  showProgress: boolean;
  softwareInstallOutsideMaintenanceWindow: boolean;
  restartOutsideMaintenanceWindow: boolean;
  contentOption: ContentOption;
  preDownload: boolean;
  useRemoteDp: boolean;
  useDefaultBoundaryGroup: boolean;
  comments: string;
  /** The reasons acknowledged when the deployment was created, if it was high risk. */
  highRiskReasons: string[];
}
