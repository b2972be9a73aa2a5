/**
 * A new site has no token, and every endpoint needs one: on first start the site creates one
 * Full Administrator token and writes it to `<data>/admin.token` (mode 0600) — the only place it
 * is ever shown. The administrator uses it to create the tokens people and scripts should use.
 */
import { chmodSync, closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Site } from '../site.js';
import { createToken, TOKEN_LOCK_KEY } from './tokens.js';
import { SYSTEM_ACTOR } from './roles.js';

export const ADMIN_TOKEN_FILE = 'admin.token';

/** Returns the file written, or undefined when the site already has tokens. */
export async function ensureInitialAdminToken(site: Site): Promise<string | undefined> {
  return site.db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [TOKEN_LOCK_KEY]);
    const { rows } = await tx.query('SELECT 1 FROM api_tokens LIMIT 1');
    if (rows.length) return undefined;
    const { token } = await createToken(tx, SYSTEM_ACTOR, { name: 'initial administrator', role: 'full-administrator' });
    const file = join(site.dataDir, ADMIN_TOKEN_FILE);
    writeTokenFile(file, token);
    return file;
  });
}

/** Writes a token to a file only its owner can read (0600), atomically: temporary file, fsync, rename. */
export function writeTokenFile(file: string, token: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // A temporary file left by an earlier crash keeps its old mode when reopened: set it.
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
