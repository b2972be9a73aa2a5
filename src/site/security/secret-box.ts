/**
 * Secrets at rest (DESIGN: "secrets are a type"): AES-256-GCM with a key kept in a key file
 * outside the database, so a copy of the database alone reveals nothing. Values are stored as
 * `v1:<iv>:<tag>:<ciphertext>` (base64). The site stores a check value at first start so a wrong
 * key file is caught at start-up, not when a deployment needs a password.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { OsdError, type ErrorKind } from '../../common/errors.js';
import { START_UP_INPUT } from '../start-up-inputs.js';

/**
 * The key file is wrong (bad input when a site opens: the input is the site's key file, and the
 * rule names its path) or a stored secret cannot be opened with it (a fault of the site's data,
 * met while working: the path is not told to whoever made the request).
 */
export class SecretKeyError extends OsdError {
  constructor(
    readonly keyFile: string,
    rule: string,
    hint: string,
    kind: Extract<ErrorKind, 'bad-input' | 'fault'> = 'bad-input',
  ) {
    super(kind, { input: START_UP_INPUT.keyFile, rule: kind === 'fault' ? rule : `${keyFile}: ${rule}`, hint });
    this.name = 'SecretKeyError';
  }
}

export class SecretBox {
  private constructor(
    private readonly key: Buffer,
    readonly keyFile: string,
  ) {}

  /** Reads the key file, creating it (mode 0600, 32 random bytes, base64) when `create` and absent. */
  static open(keyFile: string, options: { create: boolean }): SecretBox {
    if (!existsSync(keyFile)) {
      if (!options.create) {
        throw new SecretKeyError(keyFile, 'the key file does not exist', 'give the key file the site was created with');
      }
      mkdirSync(dirname(keyFile), { recursive: true });
      const tmp = `${keyFile}.tmp-${process.pid}`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, `${randomBytes(32).toString('base64')}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, keyFile);
    }
    const key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
    if (key.length !== 32) {
      throw new SecretKeyError(keyFile, `the key file must hold 32 bytes in base64, it holds ${key.length}`, 'restore the site key file from your backup');
    }
    return new SecretBox(key, keyFile);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `v1:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${ct.toString('base64')}`;
  }

  open(sealed: string): string {
    const parts = sealed.split(':');
    if (parts.length !== 4 || parts[0] !== 'v1') {
      throw new SecretKeyError(this.keyFile, 'a stored secret is not in the v1 format', 'the database was changed by hand; set the secret again', 'fault');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(parts[1]!, 'base64'));
      decipher.setAuthTag(Buffer.from(parts[2]!, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(this.keyFile, "this key cannot decrypt the site's secrets", 'use the key file the site was created with', 'fault');
    }
  }
}

export const KEY_CHECK_PLAINTEXT = 'openosd-site-key-check';
