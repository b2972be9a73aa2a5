/**
 * The media settings of boot media (`osd media create`, docs/boot-media.md): the site the boot
 * environment turns to, the media password as a salted hash, a prestart command and media
 * variables. They travel on the media as a second small cpio archive that the boot loader loads
 * after the boot environment's initramfs, so inside the running boot environment they are the file
 * `/osd/media.json` — ConfigMgr's bootable media keep the same things in the media's
 * TSMBootstrap settings (osd-features §5.2).
 *
 * This module is what both ends share: the format (zod), the password hash, and
 * `readMediaConfig(root)`, which the agent in the boot environment calls (src/bootenv/guest/).
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { OsdError } from '../../common/errors.js';

export const MEDIA_CONFIG_SCHEMA = 'openosd.media/v1';
/** Where the settings are inside the boot environment's root file system. */
export const MEDIA_CONFIG_PATH = 'osd/media.json';
/** Where the prestart command's files are inside the boot environment (its working folder). */
export const MEDIA_PRESTART_DIR = 'osd/prestart';

/** scrypt's cost for the media password: 16 MiB of memory, well under a second even under QEMU's emulation. */
export const PASSWORD_COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

const base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64');

const passwordSchema = z.strictObject({
  algorithm: z.literal('scrypt'),
  N: z
    .number()
    .int()
    .min(1024)
    .max(1 << 20)
    .refine((n) => (n & (n - 1)) === 0, 'a power of two'),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
  salt: base64,
  hash: base64,
});

/** A task sequence variable the media sets (ConfigMgr's media variables): not a read-only `_` name. */
export const MEDIA_VARIABLE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,254}$/;

export const mediaConfigSchema = z.strictObject({
  schema: z.literal(MEDIA_CONFIG_SCHEMA),
  /** ConfigMgr's bootable media: the boot environment plus the site; content comes from the network. */
  media: z.literal('bootable'),
  /** The site's base URL as the computer booting the media reaches it (http or https, no query). */
  site: z.string().regex(/^https?:\/\/[^\s'"\\;$`]+$/, 'an http(s) URL'),
  /** Which boot environment the media carry (for the console and the logs). */
  bootEnvironment: z.strictObject({
    name: z.string().min(1).max(256),
    version: z.string().min(1).max(128),
    architecture: z.string().min(1).max(16),
    initrdSha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  /** The media password, as scrypt of its UTF-8 bytes with a random salt: never the password itself. */
  password: passwordSchema.optional(),
  /** Run before the task sequence is chosen, by /bin/sh -c in the prestart folder (MEDIA_PRESTART_DIR when files were given). */
  prestart: z
    .strictObject({
      command: z.string().min(1).max(8192),
      /** Whether files were put beside it (in MEDIA_PRESTART_DIR). */
      files: z.boolean(),
    })
    .optional(),
  /** Media variables: task sequence variables set at start-up, below collection and device variables. */
  variables: z.array(z.strictObject({ name: z.string().regex(MEDIA_VARIABLE_NAME), value: z.string().max(32768) })).max(1000),
  /** The boot environment's retry time for an unreachable site, in seconds (also on the kernel command line as osd.retry). */
  retrySeconds: z.number().int().min(0).max(86400).optional(),
});

export type MediaConfig = z.infer<typeof mediaConfigSchema>;
export type MediaPassword = z.infer<typeof passwordSchema>;

/** The media password as it is stored: scrypt with a fresh random salt. */
export function hashMediaPassword(password: string, salt: Buffer = randomBytes(SALT_BYTES)): MediaPassword {
  const hash = scryptSync(Buffer.from(password, 'utf8'), salt, KEY_BYTES, { ...PASSWORD_COST, maxmem: 64 * 1024 * 1024 });
  return { algorithm: 'scrypt', ...PASSWORD_COST, salt: salt.toString('base64'), hash: hash.toString('base64') };
}

/**
 * Whether `candidate` is the media password (constant time). Media without a password accept
 * anything — the caller asks only when `config.password` is there.
 */
export function verifyMediaPassword(config: Pick<MediaConfig, 'password'>, candidate: string): boolean {
  const p = config.password;
  if (!p) return true;
  const want = Buffer.from(p.hash, 'base64');
  const got = scryptSync(Buffer.from(candidate, 'utf8'), Buffer.from(p.salt, 'base64'), want.length, {
    N: p.N,
    r: p.r,
    p: p.p,
    maxmem: 256 * p.N * p.r + 1024 * 1024,
  });
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Checks a value against the format; bad input naming `input` and the first field that breaks it. */
export function parseMediaConfig(value: unknown, input = MEDIA_CONFIG_PATH): MediaConfig {
  const r = mediaConfigSchema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const at = issue.path.length ? issue.path.join('.') : '(top level)';
  throw new OsdError('bad-input', {
    input: `${input} ${at}`,
    rule: `does not fit the ${MEDIA_CONFIG_SCHEMA} format: ${issue.message}`,
    hint: 'make the media again with `osd media create` of the same version as the boot environment',
  });
}

/**
 * The media settings of the running boot environment: `<root>/osd/media.json`, or undefined when
 * it is not there (the boot environment was started by PXE, not from media). A file that is there
 * but unreadable or not in the format is bad input naming the file — the boot environment should
 * stop and say so rather than turn to another site.
 */
export function readMediaConfig(root = '/'): MediaConfig | undefined {
  const file = join(root, MEDIA_CONFIG_PATH);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OsdError('bad-input', { input: file, rule: `cannot be read (${(e as Error).message})` });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new OsdError('bad-input', { input: file, rule: `is not JSON (${(e as Error).message})`, hint: 'make the media again with `osd media create`' });
  }
  return parseMediaConfig(value, file);
}
