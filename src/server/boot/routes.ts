/**
 * Network boot over HTTP (docs/network-boot.md), on the site server's app beside the admin API and
 * the management point, without credentials (a computer in PXE has none):
 *
 * - `GET /boot/v1/pxe.ipxe?mac=&uuid=&platform=&buildarch=[&arch=]` — the computer's iPXE script
 *   (osd-features §5.1, src/site/boot/pxe-decision.ts); every URL in it is built from the request's
 *   Host header, so it works on whatever address the computer used (contract C4). Query checked
 *   (400 naming the field) and rate-limited per client address (429).
 * - `GET|HEAD /boot/v1/images/:packageId/:file` — a boot environment's kernel or initramfs, with
 *   Range; the file's SHA-256 is checked against the boot image's recorded hash before a byte is
 *   sent (remembered by size and time): a mismatch is a 409 and iPXE does not boot it.
 * - `GET /boot/v1/localboot.efi` — GRUB that boots the disk (UEFI's "boot the disk" answer).
 */
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { audit } from '../../site/audit.js';
import { isBootEnvironment } from '../../site/boot/boot-environments.js';
import { checkPxeQuery, decidePxeBoot, PXE_ACTOR, type PxeQueryInput } from '../../site/boot/pxe-decision.js';
import { SiteError } from '../../site/errors.js';
import { PACKAGE_TYPE, type BootImageProperties } from '../../site/objects/package-types.js';
import type { Site } from '../../site/site.js';
import { parseRange } from '../distribution-point/range.js';
import { renderPxeScript } from './ipxe-script.js';
import { localBootEfi, LOCALBOOT_FILE } from './boot-files.js';
import { VerifiedFiles } from './verified-files.js';
import { createReadStream } from 'node:fs';

export const BOOT_PREFIX = '/boot/v1';

/** True for a URL network boot answers (the admin API's token check skips these). */
export function isBootUrl(url: string): boolean {
  return url === BOOT_PREFIX || url.startsWith(`${BOOT_PREFIX}/`) || url.startsWith(`${BOOT_PREFIX}?`);
}

/** Adds network boot's paths (tag `network boot`) to the server's OpenAPI document. */
export function documentNetworkBoot(document: Record<string, unknown>): void {
  const paths = (document.paths ??= {}) as Record<string, Record<string, unknown>>;
  const error = { description: 'refused', content: { 'application/json': { schema: { type: 'object' } } } };
  const q = (name: string, description: string, required = false) => ({ name, in: 'query', required, description, schema: { type: 'string' } });
  paths[`${BOOT_PREFIX}/pxe.ipxe`] = {
    get: {
      summary: "A computer's iPXE boot script (osd-features §5.1): its boot image, a key-press prompt, or its disk",
      description: 'No credential. Every URL in the script is built from the Host header. Rate-limited per client address (429). Every decision is audited.',
      tags: ['network boot'],
      operationId: 'bootPxeScript',
      security: [],
      parameters: [
        q('mac', 'the NIC the computer booted from (${net0/mac})', true),
        q('uuid', 'its SMBIOS UUID (${uuid}), may be empty'),
        q('platform', 'pcbios | efi (${platform})', true),
        q('buildarch', 'i386 | x86_64 | arm32 | arm64 (${buildarch})', true),
        q('arch', 'x64 | x86 from the stub’s cpuid check, or empty'),
      ],
      responses: { '200': { description: 'the script', content: { 'text/plain': { schema: { type: 'string' } } } }, '400': error, '429': error },
    },
  };
  paths[`${BOOT_PREFIX}/images/{packageId}/{file}`] = {
    get: {
      summary: "A boot environment's kernel or initramfs, with Range; its SHA-256 is checked against the recorded one before it is served",
      tags: ['network boot'],
      operationId: 'bootImageFile',
      security: [],
      parameters: [
        { name: 'packageId', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'file', in: 'path', required: true, schema: { type: 'string' } },
      ],
      responses: {
        '200': { description: 'the file', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        '206': { description: 'a range of it' },
        '404': error,
        '409': {
          description: 'the file on the site no longer matches the recorded SHA-256: not served',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    },
  };
  paths[`${BOOT_PREFIX}/${LOCALBOOT_FILE}`] = {
    get: {
      summary: 'GRUB that boots the disk (the UEFI answer for "boot your disk")',
      tags: ['network boot'],
      operationId: 'bootLocalBootEfi',
      security: [],
      responses: { '200': { description: 'an EFI application', content: { 'application/efi': { schema: { type: 'string', format: 'binary' } } } } },
    },
  };
  const tags = (document.tags ??= []) as Array<Record<string, unknown>>;
  if (!tags.some((t) => t.name === 'network boot'))
    tags.push({ name: 'network boot', description: 'For computers starting from the network (iPXE), without credentials: boot scripts and boot files.' });
}

export interface NetworkBootOptions {
  /** Script requests per client address per minute (default 120). */
  scriptsPerMinute?: number;
  /** Where localboot.efi is built and kept (default `<data>/boot`). */
  filesDir?: string;
}

/** A host name or address with an optional port: nothing else goes into a script's URLs. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

function siteUrlOf(request: FastifyRequest): string {
  const host = request.headers.host ?? '';
  if (!HOST.test(host)) {
    throw new SiteError('bad-input', {
      input: 'Host',
      rule: `"${host.slice(0, 80)}" is not a host name or address with an optional port`,
      hint: 'the boot script builds its URLs from the Host header: ask the site by its address, e.g. http://10.0.2.2:8450',
    });
  }
  return `http://${host}`;
}

/** A fixed window per client address: enough for a lab of many computers, not for a flood. */
class RateLimit {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(private readonly perMinute: number) {}
  allow(key: string, now = Date.now()): boolean {
    const w = this.windows.get(key);
    if (!w || now - w.start >= 60_000) {
      if (this.windows.size > 10_000) this.windows.clear();
      this.windows.set(key, { start: now, count: 1 });
      return true;
    }
    w.count++;
    return w.count <= this.perMinute;
  }
}

interface ImageRow {
  package_id: string;
  properties: Partial<BootImageProperties>;
  files: Array<{ path: string; size: number; sha256: string }> | null;
}

export function registerNetworkBoot(app: FastifyInstance, site: Site, options: NetworkBootOptions = {}): void {
  const limit = new RateLimit(options.scriptsPerMinute ?? 120);
  const verified = new VerifiedFiles();
  const filesDir = options.filesDir ?? join(site.dataDir, 'boot');

  app.get(`${BOOT_PREFIX}/pxe.ipxe`, async (request, reply) => {
    if (!limit.allow(request.ip)) {
      return reply
        .status(429)
        .header('retry-after', '60')
        .send(
          new SiteError('unavailable', {
            input: request.ip,
            rule: `more than ${options.scriptsPerMinute ?? 120} boot requests a minute from this address`,
            hint: 'wait a minute',
            status: 429,
          }).toJSON(),
        );
    }
    const query = checkPxeQuery((request.query ?? {}) as PxeQueryInput);
    const urls = { site: siteUrlOf(request) };
    const decision = await decidePxeBoot(site, query);
    request.log.info({ mac: query.mac, action: decision.action, reason: decision.reason }, 'network boot');
    return reply
      .header('content-type', 'text/plain; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(renderPxeScript(decision, query.platform as 'pcbios' | 'efi', urls));
  });

  app.get(`${BOOT_PREFIX}/${LOCALBOOT_FILE}`, async (_request, reply) => {
    const path = await localBootEfi(filesDir);
    return reply.header('content-type', 'application/efi').send(createReadStream(path));
  });

  app.route<{ Params: { packageId: string; file: string } }>({
    method: ['GET', 'HEAD'],
    url: `${BOOT_PREFIX}/images/:packageId/:file`,
    handler: async (request, reply) => {
      const input = `${request.method} ${request.url.split('?')[0]}`;
      const packageId = request.params.packageId.toUpperCase().slice(0, 64);
      const { rows } = await site.db.query<ImageRow>(
        `SELECT p.package_id, p.properties, c.files FROM packages p LEFT JOIN content c ON c.id = p.content_id
          WHERE p.package_id = $1 AND p.package_type = $2`,
        [packageId, PACKAGE_TYPE.bootImage],
      );
      const row = rows[0];
      if (!row || !isBootEnvironment(row.properties)) {
        throw new SiteError('not-found', {
          input,
          rule: row
            ? `boot image ${packageId} is a Windows PE image, not a boot environment: this site does not serve it for network boot`
            : `no boot image has the id ${packageId}`,
          hint: 'register a boot environment with `osd boot-image add --bootenv DIR`',
        });
      }
      const env = row.properties.bootEnvironment!;
      const wanted = [env.kernel, env.initrd].find((f) => f.file === request.params.file);
      if (!wanted) {
        throw new SiteError('not-found', {
          input,
          rule: `boot image ${packageId} serves ${env.kernel.file} and ${env.initrd.file} only`,
          hint: `ask for ${BOOT_PREFIX}/images/${packageId}/${env.kernel.file}`,
        });
      }
      const content = (row.files ?? []).find((f) => f.path === wanted.file);
      const path = content ? site.content.blobPath(content.sha256) : undefined;
      const actual = path ? await verified.sha256(path).catch(() => undefined) : undefined;
      if (!actual || actual.sha256 !== wanted.sha256 || actual.size !== wanted.bytes) {
        // Refused before a byte leaves: iPXE fails the download and does not boot it.
        const rule = actual
          ? `${wanted.file} of boot image ${packageId} has SHA-256 ${actual.sha256} (${actual.size} bytes) on the site, not the recorded ${wanted.sha256} (${wanted.bytes} bytes): it is not served`
          : `${wanted.file} of boot image ${packageId} is missing from the site's content library: it is not served`;
        await audit(site.db, PXE_ACTOR, 'pxe-refuse-file', 'boot-image', packageId, {
          file: wanted.file,
          expected: wanted.sha256,
          actual: actual?.sha256 ?? null,
        });
        process.stderr.write(`osd server: network boot: ${rule}\n`);
        throw new SiteError('conflict', {
          input,
          rule,
          hint: `set the boot image's content anew from its folder (osd package content set ${packageId} DIR), or rebuild it`,
          details: { reason: 'boot-file-hash-mismatch' },
        });
      }
      return sendRange(request, reply, path!, wanted.sha256, wanted.bytes);
    },
  });
}

function sendRange(request: FastifyRequest, reply: FastifyReply, path: string, sha256: string, size: number): FastifyReply {
  const etag = `"${sha256}"`;
  const ifRange = request.headers['if-range'];
  const range = ifRange !== undefined && ifRange !== etag ? { kind: 'full' as const } : parseRange(request.headers.range, size);
  if (range.kind === 'unsatisfiable') {
    return reply
      .code(416)
      .header('content-range', `bytes */${size}`)
      .send(
        new SiteError('bad-input', {
          input: 'Range',
          rule: `range ${JSON.stringify(request.headers.range)} is outside the file's ${size} bytes`,
          hint: 'ask for a range that starts before the end of the file',
          status: 416,
        }).toJSON(),
      );
  }
  reply.header('accept-ranges', 'bytes').header('etag', etag).header('x-content-sha256', sha256).header('content-type', 'application/octet-stream');
  const head = request.method === 'HEAD';
  if (range.kind === 'partial') {
    reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
      .header('content-length', range.end - range.start + 1);
    return head ? reply.send() : reply.send(createReadStream(path, { start: range.start, end: range.end }));
  }
  reply.code(200).header('content-length', size);
  return head || size === 0 ? reply.send() : reply.send(createReadStream(path));
}
