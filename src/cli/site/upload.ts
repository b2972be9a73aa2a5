/**
 * Sending local files to the site: a file, or every file of a folder, uploaded one by one
 * (PUT /uploads) and, for a folder, made into one content (POST /content/from-uploads). This is how
 * the CLI adds content by default, so it works whatever the server may read; `--server-path` asks
 * the server to read a path below its source roots instead.
 */
import { open, stat } from 'node:fs/promises';
import { basename, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import type { Command } from 'commander';
import { fieldWords } from './field-words.js';
import { InputError } from '../../sequence/input-error.js';
import { listSourceFiles } from '../../site/content/source-walk.js';
import { ContentError } from '../../site/content/errors.js';
import { startProgress } from '../progress.js';
import type { AdminClient } from './admin-client.js';

export interface UploadedContent {
  id: string;
  size: number;
  fileCount: number;
  files: Array<{ path: string; size: number; sha256: string }>;
}

export interface ServerPath {
  serverPath?: boolean;
}

/** How a command sends content: `--server-path`, and `--json` (no progress drawn: scripts read the answer alone). */
export interface SendOptions extends ServerPath {
  json?: boolean;
}

/** Adds --server-path to a command that takes a local path. */
export function withServerPath(cmd: Command): Command {
  // Whichever way the source travels (a path, uploaded content, its files, one INF of it), it is what the user typed as the first argument.
  const source = cmd.registeredArguments[0];
  if (source) {
    const word = `<${source.name()}>`;
    fieldWords(cmd, { sourcePath: word, contentId: word, files: word, infPath: word });
  }
  return cmd.option(
    '--server-path',
    "let the site server read the path itself (it must lie below one of the server's --source-root folders) instead of uploading it",
  );
}

/**
 * The content source of a request body: the path for the server to read (`--server-path`), or
 * the id of the content the path became once uploaded.
 */
export async function contentSource(client: AdminClient, path: string, o: SendOptions): Promise<{ sourcePath: string } | { contentId: string }> {
  if (o.serverPath) return { sourcePath: resolve(path) };
  return { contentId: (await uploadContent(client, path, { quiet: o.json })).id };
}

/**
 * Uploads a local file or folder and answers the content it became. Large uploads show progress on
 * stderr (a bar on a terminal, plain lines otherwise) unless `quiet`.
 */
export async function uploadContent(client: AdminClient, path: string, options: { quiet?: boolean } = {}): Promise<UploadedContent> {
  const abs = resolve(path);
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw new InputError({ input: path, rule: 'does not exist', hint: 'give the path of a file or folder on this machine' });
  if (st.isFile()) {
    const progress = startProgress({ label: `uploading ${basename(abs)}`, total: st.size, quiet: options.quiet || st.size < PROGRESS_FROM_BYTES });
    try {
      const r = await uploadFile(client, abs, basename(abs), (n) => progress.update(n));
      progress.done();
      return r;
    } catch (e) {
      progress.fail();
      throw e;
    }
  }
  if (!st.isDirectory()) throw new InputError({ input: path, rule: 'is neither a file nor a folder' });
  let files;
  try {
    files = await listSourceFiles(abs);
  } catch (e) {
    // Read here, on this machine, to be uploaded: the site's hint (the server's user, uploading instead) does not apply.
    if (e instanceof ContentError)
      throw new InputError({
        input: e.input,
        rule: e.rule,
        hint: e.code === 'content-source-unreadable' ? 'make it readable by the user running osd' : e.hint,
      });
    throw e;
  }
  const total = files.reduce((n, f) => n + f.size, 0);
  const progress = startProgress({
    label: `uploading ${basename(abs)} (${files.length} file${files.length === 1 ? '' : 's'})`,
    total,
    quiet: options.quiet || total < PROGRESS_FROM_BYTES,
  });
  const uploaded: Array<{ path: string; sha256: string }> = [];
  let done = 0;
  try {
    for (const f of files) {
      const r = await uploadFile(client, f.abs, relative(abs, f.abs).split(sep).join('/'), (n) => progress.update(done + n));
      uploaded.push({ path: f.path, sha256: r.files[0]!.sha256 });
      done += f.size;
    }
    progress.done();
  } catch (e) {
    progress.fail();
    throw e;
  }
  return client.post<UploadedContent>('/content/from-uploads', { files: uploaded });
}

/** Uploads shorter than this show no progress (they are over before a bar could say anything). */
const PROGRESS_FROM_BYTES = 16 * 1024 * 1024;

async function uploadFile(client: AdminClient, abs: string, name: string, onBytes?: (sent: number) => void): Promise<UploadedContent> {
  // Opened first, so an unreadable file is this command's clear error, not a stream's unhandled one.
  const fh = await open(abs, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new InputError({ input: abs, rule: `cannot be read (${e.code ?? e.message})`, hint: "check the file's permissions" });
  });
  const stream = fh.createReadStream({ highWaterMark: 1 << 20 });
  let sent = 0;
  const counted = stream.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        sent += chunk.length;
        onBytes?.(sent);
        done(null, chunk);
      },
    }),
  );
  stream.on('error', (e) => counted.destroy(e));
  try {
    return await client.request<UploadedContent>('PUT', `/uploads?path=${encodeURIComponent(name)}`, counted, { contentType: 'application/octet-stream' });
  } finally {
    stream.destroy();
    counted.destroy();
  }
}
