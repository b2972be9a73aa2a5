/**
 * The admin CLI talks to a site only through its HTTP API, like any script would. Where the
 * server and the token come from: --server / --token / --token-file, else OSD_SERVER / OSD_TOKEN,
 * else http://127.0.0.1:8450 and the first administrator's token in ./.osd-site/admin.token
 * (or $OSD_DATA/admin.token) when the server runs on this machine.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../sequence/input-error.js';
import { OsdError, kindOfStatus } from '../../common/errors.js';
import { nextStepsOf } from '../../site/next-steps.js';
import { cliHint } from './next-step-commands.js';
import { cliInputWords, setRunningCommand } from './field-words.js';

export const DEFAULT_PORT = 8450;
export const DEFAULT_DATA_DIR = '.osd-site';

export interface ConnectionOptions {
  server?: string;
  token?: string;
  tokenFile?: string;
}

/** Adds --server, --token, --token-file to an admin command. */
export function withConnection(cmd: Command): Command {
  return (
    cmd
      // The command about to run, so a refused request names its arguments and options (field-words.ts), however the program was built.
      .hook('preAction', (_cmd, action) => setRunningCommand(action))
      .option('--server <url>', `the site server (default $OSD_SERVER or http://127.0.0.1:${DEFAULT_PORT})`)
      .option('--token <token>', 'API token (default $OSD_TOKEN, or --token-file)')
      .option('--token-file <file>', 'file holding the API token (default $OSD_DATA/admin.token or ./.osd-site/admin.token)')
  );
}

/** One problem of a refused request, as the admin API lists them. */
interface ListedProblem {
  input: string;
  rule: string;
  hint?: string;
}

function isListedProblem(p: unknown): p is ListedProblem {
  return (
    typeof p === 'object' && p !== null && typeof (p as ListedProblem).input === 'string' && typeof (p as ListedProblem).rule === 'string' && !('page' in p)
  );
}

/**
 * What the server said, for a person at the command line: the input and the rule, the site's hint
 * with the `osd` command for its next steps (never the API's route), and every problem when the
 * server listed several.
 */
function describeAnswer(status: number, body: ApiError['body'], request: string): string {
  const problems = Array.isArray(body.problems) ? body.problems : [];
  if (problems.length > 1 && problems.every(isListedProblem)) {
    const total = typeof body.problemCount === 'number' ? body.problemCount : problems.length;
    const lines = problems.map((p) => `  ${cliInputWords(p.input)}: ${p.rule}${p.hint ? ` (${p.hint})` : ''}`);
    if (total > problems.length) lines.push(`  … and ${total - problems.length} more`);
    // The site's own summary ("3 problems in 2 rows; nothing was imported") when it has one.
    const head = body.rule && body.rule !== problems[0]!.rule ? body.rule : `${total} problems`;
    return `${head}:\n${lines.join('\n')}`;
  }
  const hint = cliHint(body.hint, nextStepsOf(body));
  // Without an input (a failure of the server itself), the request says what failed.
  const head = body.input && body.rule ? `${cliInputWords(body.input)}: ${body.rule}` : `${request}: ${body.message ?? body.rule ?? `HTTP ${status}`}`;
  return `${head}${hint && !head.includes(hint) ? `\n  hint: ${hint}` : ''}`;
}

/** An error the server answered with: its status (the kind follows from it) and its JSON error body. */
export class ApiError extends OsdError {
  constructor(
    status: number,
    readonly body: { error?: string; message?: string; input?: string; rule?: string; hint?: string; [k: string]: unknown },
    readonly request: string,
  ) {
    super(
      // The server failed (whatever its reason): for the CLI that is a service that is unavailable (exit 69).
      status >= 500 ? 'unavailable' : kindOfStatus(status),
      { input: body.input, rule: body.rule ?? body.message ?? `HTTP ${status}`, hint: body.hint, status },
      describeAnswer(status, body, request),
    );
    this.name = 'ApiError';
  }

  /** What --json prints: the server's own answer, with its status. */
  override toJSON(): Record<string, unknown> {
    return { status: this.status, ...this.body };
  }
}

export class AdminClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly token: string,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** From a command's parsed options (any object carrying the ConnectionOptions fields). */
  static fromOptions(options: object): AdminClient {
    const o = options as ConnectionOptions;
    const server = o.server ?? process.env.OSD_SERVER ?? `http://127.0.0.1:${DEFAULT_PORT}`;
    try {
      new URL(server);
    } catch {
      throw new InputError({ input: '--server', rule: `"${server}" is not a URL`, hint: `e.g. http://siteserver:${DEFAULT_PORT}` });
    }
    let token = o.token ?? process.env.OSD_TOKEN;
    if (!token) {
      const file = o.tokenFile ?? [join(process.env.OSD_DATA ?? DEFAULT_DATA_DIR, 'admin.token')].find((f) => existsSync(f));
      if (!file) {
        throw new InputError({
          input: '--token',
          rule: 'no API token given',
          hint: 'pass --token or --token-file, or set OSD_TOKEN; a new site writes its first administrator token to <data>/admin.token',
        });
      }
      if (!existsSync(file)) throw new InputError({ input: file, rule: 'the token file does not exist', hint: 'check --token-file' });
      token = readFileSync(file, 'utf8').trim();
    }
    return new AdminClient(server, token);
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, options: { contentType?: string; raw?: boolean } = {}): Promise<T> {
    const url = `${this.baseUrl}/api/v1${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    let payload: BodyInit | undefined;
    if (body !== undefined) {
      if (options.contentType && options.contentType !== 'application/json') {
        headers['content-type'] = options.contentType;
        payload = body as BodyInit;
      } else {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body);
      }
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: payload,
        ...(payload instanceof ReadableStream || (payload && typeof (payload as { pipe?: unknown }).pipe === 'function') ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new InputError({
        input: this.baseUrl,
        rule: `cannot reach the site server (${cause?.code ?? cause?.message ?? (e as Error).message})`,
        hint: 'is "osd server" running? check --server',
      });
    }
    if (options.raw && res.ok) return Buffer.from(await res.arrayBuffer()) as T;
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = { message: text };
    }
    if (!res.ok) throw new ApiError(res.status, (json ?? {}) as ApiError['body'], `${method} ${path}`);
    return json as T;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {});
  }
  put<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, body ?? {});
  }
  patch<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body ?? {});
  }
  delete<T = unknown>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** Streams a local file as application/octet-stream. */
  upload<T = unknown>(path: string, file: string): Promise<T> {
    const stream = createReadStream(file);
    return this.request<T>('PUT', path, stream, { contentType: 'application/octet-stream' }).finally(() => stream.destroy());
  }
}
