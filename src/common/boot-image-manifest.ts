/**
 * `bootimage.json`: what a boot environment folder holds (issue 14, team contract C2). `osd boot-image
 * build` writes it beside `vmlinuz` and `initrd.cpio.zst`; the site reads it when the folder is
 * registered as a boot image. Pure: the schema and a parser, no file access.
 */
import { z } from 'zod';
import { OsdError } from './errors.js';

export const BOOT_ENV_SCHEMA = 'openosd.bootenv/v1';
export const BOOT_ENV_MANIFEST_FILE = 'bootimage.json';
export const BOOT_ENV_KERNEL_FILE = 'vmlinuz';
export const BOOT_ENV_INITRD_FILE = 'initrd.cpio.zst';

/** The architectures a boot environment can be built for (ConfigMgr's boot image architectures; only x64 is built today). */
export const BOOT_ENV_ARCHITECTURES = ['x64'] as const;
export type BootEnvArchitecture = (typeof BOOT_ENV_ARCHITECTURES)[number];

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 as 64 lowercase hex digits');
/** A plain file name in the folder: no path, no dot names. */
const fileName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^(?!\.{1,2}$)[^/\\\0]+$/, 'a file name in the boot environment folder, without a path');

const fileEntry = z.strictObject({
  file: fileName,
  bytes: z.number().int().nonnegative(),
  sha256,
});

export const bootImageManifestSchema = z.strictObject({
  schema: z.literal(BOOT_ENV_SCHEMA),
  name: z.string().min(1).max(256),
  architecture: z.enum(BOOT_ENV_ARCHITECTURES),
  /** `<kernel package version>+osd.<first 8 hex digits of the agent bundle's SHA-256>`. */
  version: z.string().min(1).max(128),
  kernel: fileEntry.extend({ release: z.string().min(1).max(128) }),
  initrd: fileEntry,
  /** The agent bundle inside the initramfs (`/opt/osd/agent.mjs`); `placeholder`: no agent program was there to bundle. */
  agent: z.strictObject({ sha256, placeholder: z.boolean().optional() }),
  /** Kernel modules added to the initramfs by name (the defaults, `--drivers`, and what they depend on), sorted. */
  drivers: z.array(z.string().min(1).max(128)),
  /** The Debian packages whose files the boot environment carries, sorted by name. */
  packages: z.array(z.strictObject({ name: z.string().min(1).max(128), version: z.string().min(1).max(128) })),
  /** SHA-256 over everything that went into the build (the builder's cache key: same value, same bytes). */
  inputs: sha256.optional(),
  /** When the build ran (ISO 8601); not part of the bytes of the kernel or initramfs. */
  built: z.string().optional(),
});

export type BootImageManifest = z.infer<typeof bootImageManifestSchema>;

/**
 * Reads a bootimage.json's text. Anything else is bad input naming `input` (the file) and the first
 * field that breaks the schema.
 */
export function parseBootImageManifest(text: string, input = BOOT_ENV_MANIFEST_FILE): BootImageManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new OsdError('bad-input', {
      input,
      rule: `is not JSON (${(e as Error).message})`,
      hint: 'point at a folder written by `osd boot-image build`',
    });
  }
  const r = bootImageManifestSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const at = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new OsdError('bad-input', {
      input: `${input} ${at}`,
      rule: `does not fit the ${BOOT_ENV_SCHEMA} schema: ${issue.message}`,
      hint: 'point at a folder written by `osd boot-image build` (rebuild it with this version of osd)',
    });
  }
  return r.data;
}
