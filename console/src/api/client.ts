/**
 * The console's only way to the site: typed fetch over the admin API (/api/v1) with the signed-in
 * token as `Authorization: Bearer …`. The site answers errors as JSON — `{ error, message, input,
 * rule, hint }` (src/common/errors.ts, src/server/api/app.ts) — and `ApiError` keeps those parts so a
 * page can show the rule at the field the input names (`fieldOf`).
 */

/** The site's JSON error answer. */
export interface SiteErrorBody {
  error: string;
  message?: string;
  input?: string;
  rule?: string;
  hint?: string;
  code?: string;
  [extra: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly kind: string;
  readonly input?: string;
  readonly rule: string;
  readonly hint?: string;
  readonly body?: SiteErrorBody;

  constructor(status: number, body: SiteErrorBody | undefined, fallback: string) {
    const rule = body?.rule ?? body?.message ?? fallback;
    super(body?.message ?? (body?.input ? `${body.input}: ${rule}` : rule));
    this.name = 'ApiError';
    this.status = status;
    this.kind = body?.error ?? (status === 0 ? 'unavailable' : 'fault');
    this.input = body?.input;
    this.rule = rule;
    this.hint = body?.hint;
    this.body = body;
  }

  /** The field the error is about, as the form names it: `body.name` → `name`, `body.rules[1].query` → `rules[1].query`. */
  get field(): string | undefined {
    return fieldOf(this.input);
  }

  /**
   * What to show at the field: the rule it broke. The site's hint is not added, because it speaks to
   * the API's caller (the request, its body); `withHint` has both for a message.
   */
  get readable(): string {
    return this.rule;
  }

  get withHint(): string {
    return this.hint ? `${this.rule} (${this.hint})` : this.rule;
  }
}

/** `body.name` → `name`; `query.search` → `search`; anything else unchanged. */
export function fieldOf(input: string | undefined): string | undefined {
  if (!input) return undefined;
  const m = /^(?:body|query|params)\.(.+)$/.exec(input);
  return m ? m[1] : input;
}

/** The message of any error, in words for the page. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.readable;
  if (e instanceof Error) return e.message;
  return String(e);
}

const TOKEN_KEY = 'openosd.console.token';

/** The token of this browser tab (sessionStorage: gone when the tab closes). */
export const session = {
  token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  clear(): void {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  /** A JSON body (objects), or text/bytes sent as they are with `contentType`. */
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Another token than the session's (sign-in checks one before keeping it). */
  token?: string;
}

/** Listeners told when the site answers 401 (the token expired or was revoked): the shell signs out. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

function urlOf(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const q = params.toString();
  return `/api/v1${path}${q ? `?${q}` : ''}`;
}

/** One request; the answer as the raw Response (for downloads) after the status was checked. */
export async function requestRaw(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const token = options.token ?? session.token();
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    if (options.contentType) {
      headers['content-type'] = options.contentType;
      body = options.body as BodyInit;
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
  }
  let res: Response;
  try {
    res = await fetch(urlOf(path, options.query), { method, headers, body, signal: options.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, undefined, 'the site server cannot be reached; check that it is running and try again');
  }
  if (!res.ok) {
    let parsed: SiteErrorBody | undefined;
    const text = await res.text();
    try {
      parsed = JSON.parse(text) as SiteErrorBody;
    } catch {
      parsed = undefined;
    }
    const error = new ApiError(res.status, parsed, `the site answered ${res.status} ${res.statusText}`);
    if (res.status === 401 && !options.token) for (const l of unauthorizedListeners) l();
    throw error;
  }
  return res;
}

/** One request answered with JSON. */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const res = await requestRaw(method, path, options);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown, query?: Query) => request<T>('POST', path, { body, query }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

/** Saves an answer as a file the browser downloads (an export), named as the site names it. */
export async function download(path: string, query?: Query): Promise<string> {
  const res = await requestRaw('GET', path, { query });
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? path.split('/').pop() ?? 'download';
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
