/**
 * The task sequence's properties (osd-features §4.6 and the General/Advanced tabs): name,
 * description, boot image, maximum allowed run time, high impact with its custom text, disabled.
 * They belong to the package, not to a revision: changing them makes no new revision.
 */
import { audit } from '../audit.js';
import { badInput, conflict } from '../errors.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import {
  DEFAULT_PROPERTIES,
  type HighImpactText,
  isUniqueViolation,
  readTaskSequenceRow,
  type TaskSequenceInfo,
  type TaskSequenceProperties,
  toInfo,
} from './model.js';
import { checkFolderPath } from './folders.js';
import { checkBootImage, checkDescription, checkName } from './task-sequences.js';

export interface PropertiesInput {
  name?: string;
  description?: string;
  /** null removes the boot image (the task sequence is then not an OS deployment one, Type 1). */
  bootImageId?: string | null;
  maxRunTimeMinutes?: number;
  highImpact?: boolean;
  /** null = the default text; otherwise all four are required (§4.6). */
  customText?: HighImpactText | null;
  disabled?: boolean;
  /** The console folder: names joined by "/", '' for the top. */
  folder?: string;
}

const CUSTOM_TEXT_LIMIT = 255;

function checkCustomText(text: HighImpactText): HighImpactText {
  for (const key of ['headline', 'message1', 'message2', 'message3'] as const) {
    const v = text[key];
    if (v.trim() === '')
      throw badInput(
        `body.customText.${key}`,
        'custom text needs a headline and all three messages',
        'fill in every box, or set customText to null for the default text',
      );
    if (v.length > CUSTOM_TEXT_LIMIT)
      throw badInput(`body.customText.${key}`, `is ${v.length} characters; each box takes at most ${CUSTOM_TEXT_LIMIT}`, 'shorten it');
  }
  return text;
}

export async function updateTaskSequenceProperties(site: Site, actor: Actor, id: string, input: PropertiesInput): Promise<TaskSequenceInfo> {
  const name = input.name !== undefined ? checkName(input.name, 'body.name') : undefined;
  const description = input.description !== undefined ? checkDescription(input.description, 'body.description') : undefined;
  const bootImageId = input.bootImageId ? await checkBootImage(site.db, input.bootImageId, 'body.bootImageId') : input.bootImageId;
  if (input.maxRunTimeMinutes !== undefined && (!Number.isInteger(input.maxRunTimeMinutes) || input.maxRunTimeMinutes < 0 || input.maxRunTimeMinutes > 43200)) {
    throw badInput(
      'body.maxRunTimeMinutes',
      'must be a whole number of minutes from 0 to 43200',
      'the default is 120; 0 means no limit (12 hours for monitoring)',
    );
  }
  const customText = input.customText ? checkCustomText(input.customText) : input.customText;
  const folder = input.folder !== undefined ? checkFolderPath(input.folder, 'body.folder') : undefined;
  try {
    return await site.db.transaction(async (tx) => {
      const row = await readTaskSequenceRow(tx, id, { forUpdate: true });
      const before: TaskSequenceProperties = { ...DEFAULT_PROPERTIES, ...row.properties };
      const after: TaskSequenceProperties = {
        maxRunTimeMinutes: input.maxRunTimeMinutes ?? before.maxRunTimeMinutes,
        highImpact: input.highImpact ?? before.highImpact,
        customText: customText !== undefined ? customText : before.customText,
        disabled: input.disabled ?? before.disabled,
      };
      if (after.customText && !after.highImpact) {
        throw badInput('body.customText', 'custom text is only for a high-impact task sequence', 'set highImpact: true as well, or customText: null');
      }
      if (name !== undefined && name.toLowerCase() !== row.name.toLowerCase()) {
        const taken = await tx.query<{ package_id: string }>('SELECT package_id FROM task_sequences WHERE lower(name) = lower($1) AND package_id <> $2', [
          name,
          row.package_id,
        ]);
        if (taken.rows[0])
          throw conflict(
            'body.name',
            `task sequence ${taken.rows[0].package_id} is already named "${name}"`,
            'names are unique at the site: choose another name',
          );
      }
      if (bootImageId === null && row.boot_image_id) {
        // §4.1: only an OSD task sequence (with a boot image) can be made available to media and PXE.
        const media = await tx.query<{ deployment_id: string }>(
          `SELECT deployment_id FROM deployments WHERE task_sequence_id = $1 AND settings->>'availability' <> 'clients' ORDER BY deployment_id`,
          [row.package_id],
        );
        if (media.rows.length) {
          throw conflict(
            'body.bootImageId',
            `deployments ${media.rows.map((d) => d.deployment_id).join(', ')} make this task sequence available to media and PXE, which needs a boot image`,
            'delete those deployments first, or pick another boot image instead of none',
          );
        }
      }
      const changed: Record<string, unknown> = {};
      if (name !== undefined && name !== row.name) changed.name = name;
      if (description !== undefined && description !== row.description) changed.description = description;
      if (bootImageId !== undefined && bootImageId !== row.boot_image_id) changed.bootImageId = bootImageId;
      if (folder !== undefined && folder !== (row.folder ?? '')) changed.folder = folder;
      for (const k of Object.keys(after) as Array<keyof TaskSequenceProperties>) {
        if (JSON.stringify(after[k]) !== JSON.stringify(before[k])) changed[k] = after[k];
      }
      await tx.query(
        'UPDATE task_sequences SET name = $2, description = $3, boot_image_id = $4, properties = $5, folder = $6, updated_at = now() WHERE package_id = $1',
        [
          row.package_id,
          name ?? row.name,
          description ?? row.description,
          bootImageId !== undefined ? bootImageId : row.boot_image_id,
          JSON.stringify(after),
          folder ?? row.folder ?? '',
        ],
      );
      await audit(tx, actor, 'update-properties', 'task-sequence', row.package_id, { changed });
      return toInfo(await readTaskSequenceRow(tx, row.package_id));
    });
  } catch (e) {
    if (isUniqueViolation(e))
      throw conflict('body.name', `a task sequence is already named "${input.name}"`, 'names are unique at the site: choose another name');
    throw e;
  }
}
