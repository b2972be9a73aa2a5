/**
 * A new site has no token, and every endpoint needs one: on first start the site creates one
 * Full Administrator token and writes it to `<data>/admin.token` (mode 0600) — the only place it
 * is ever shown. The administrator uses it to create the tokens people and scripts should use.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Site } from '../site.js';
import { createToken } from './tokens.js';
import { SYSTEM_ACTOR } from './roles.js';

export const ADMIN_TOKEN_FILE = 'admin.token';

/** Returns the file written, or undefined when the site already has tokens. */
export async function ensureInitialAdminToken(site: Site): Promise<string | undefined> {
  return site.db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [0x4f53544b]);
    const { rows } = await tx.query('SELECT 1 FROM api_tokens LIMIT 1');
    if (rows.length) return undefined;
    const { token } = await createToken(tx, SYSTEM_ACTOR, { name: 'initial administrator', role: 'full-administrator' });
    const file = join(site.dataDir, ADMIN_TOKEN_FILE);
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${token}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    return file;
  });
}
