/**
 * Network boot settings (docs/network-boot.md), a `site_settings` row: how long an Available
 * deployment's PXE prompt waits for a key before the computer boots its disk (osd-features §5.1
 * step 5: F12 on BIOS, Enter on many UEFI machines; ConfigMgr's own wait is the firmware's, here a
 * setting so tests can make it short).
 */
import { z } from 'zod';
import type { Queryable } from '../db/database.js';
import { audit } from '../audit.js';
import type { Actor } from '../security/roles.js';
import type { Site } from '../site.js';
import { getSetting, putSetting } from '../settings.js';

export const MIN_PROMPT_SECONDS = 1;
export const MAX_PROMPT_SECONDS = 600;

export const networkBootSettingsSchema = z.strictObject({
  /** Seconds the "Press any key for network boot" prompt waits before the disk boots. */
  promptTimeoutSeconds: z.number().int().min(MIN_PROMPT_SECONDS).max(MAX_PROMPT_SECONDS),
});
export type NetworkBootSettings = z.infer<typeof networkBootSettingsSchema>;

/** [I] a few seconds, like a firmware's F12 window. */
export const DEFAULT_NETWORK_BOOT_SETTINGS: NetworkBootSettings = { promptTimeoutSeconds: 10 };

const KEY = 'network_boot';

export async function getNetworkBootSettings(db: Queryable): Promise<NetworkBootSettings> {
  const stored = networkBootSettingsSchema.safeParse(await getSetting<unknown>(db, KEY));
  return stored.success ? stored.data : DEFAULT_NETWORK_BOOT_SETTINGS;
}

export async function putNetworkBootSettings(site: Site, actor: Actor, value: NetworkBootSettings): Promise<NetworkBootSettings> {
  const v = networkBootSettingsSchema.parse(value);
  await site.db.transaction(async (tx) => {
    await putSetting(tx, KEY, v);
    await audit(tx, actor, 'update', 'setting', KEY, v);
  });
  return v;
}
