/**
 * The external tools the storage layer drives (toolchain.md §1, §3): wimlib-imagex, sfdisk, sgdisk,
 * mkntfs and the ntfs-3g tools, mtools, dosfstools. Each is run as a process with arguments (never
 * through a shell), its output captured, and a failure turned into a ToolError that names the
 * command, its exit code and the last lines it printed. A missing tool names the Debian package.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { codeOfToolOutput, StorageError, WIN32 } from './errors.js';

/** Which Debian package provides each tool (`make deps` installs them when run as root). */
export const TOOL_PACKAGES: Record<string, string> = {
  'wimlib-imagex': 'wimtools',
  sfdisk: 'fdisk',
  sgdisk: 'gdisk',
  mkntfs: 'ntfs-3g',
  ntfsls: 'ntfs-3g',
  ntfscat: 'ntfs-3g',
  ntfscp: 'ntfs-3g',
  ntfsinfo: 'ntfs-3g',
  ntfsfix: 'ntfs-3g',
  mformat: 'mtools',
  mcopy: 'mtools',
  mmd: 'mtools',
  mdir: 'mtools',
  mtype: 'mtools',
  mdel: 'mtools',
  mdeltree: 'mtools',
  mattrib: 'mtools',
  'mkfs.fat': 'dosfstools',
  'fsck.fat': 'dosfstools',
  filefrag: 'e2fsprogs',
  fallocate: 'util-linux',
};

/** Tools live in /sbin and /usr/sbin too (toolchain.md §3): search there even for a non-root PATH. */
const EXTRA_PATH = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/**
 * A tool failed (a fault). Its code is what the tool's words point at — a full disk 0x80070070, a
 * denied access 0x80070005 — else the generic 0x80004005; `toolExitCode` is the process's own.
 */
export class ToolError extends StorageError {
  constructor(
    readonly tool: string,
    readonly args: readonly string[],
    /** The tool's exit code (null when it did not start or was stopped by a signal). */
    readonly toolExitCode: number | null,
    readonly output: string,
    message: string,
  ) {
    super('fault', codeOfToolOutput(output) ?? WIN32.generic, message, { input: tool });
    this.name = 'ToolError';
  }
}

/** A tool is not installed: ERROR_FILE_NOT_FOUND (0x80070002), with the Debian package that has it. */
export class MissingToolError extends StorageError {
  constructor(
    readonly tool: string,
    readonly debianPackage: string | undefined,
  ) {
    super(
      'fault',
      WIN32.fileNotFound,
      `${tool} is not installed${debianPackage ? `: install the Debian package ${debianPackage} (apt-get install ${debianPackage}; \`make deps\` does it when run as root)` : ''}`,
      { input: tool },
    );
    this.name = 'MissingToolError';
  }
}

const resolved = new Map<string, string | undefined>();

/** The absolute path of a tool, or undefined when it is not installed. */
export function findTool(tool: string): string | undefined {
  if (tool.includes('/')) return existsSync(tool) ? tool : undefined;
  if (resolved.has(tool)) return resolved.get(tool);
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_PATH];
  const found = dirs.map((d) => join(d, tool)).find((p) => existsSync(p));
  resolved.set(tool, found);
  return found;
}

/** Throws MissingToolError for the first tool that is not installed. */
export function requireTools(...tools: string[]): void {
  for (const t of tools) if (!findTool(t)) throw new MissingToolError(t, TOOL_PACKAGES[t]);
}

export interface RunOptions {
  /** Written to the tool's standard input. */
  input?: string | Buffer;
  cwd?: string;
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Exit codes that count as success (default: 0 only). */
  okCodes?: number[];
  /** Keep the whole standard output (default: yes) — set false for chatty tools whose output is not needed. */
  captureStdout?: boolean;
  /** Called with each chunk of standard output as it arrives (progress lines), captured or not. */
  onStdout?: (chunk: Buffer) => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The standard output as bytes, for binary or UTF-16 output (ntfscat, mcopy to '-', wimlib --xml). */
  stdoutBytes?: Buffer;
}

const TAIL = 4000;

/** Runs a tool to completion; a non-OK exit code, a signal or a failure to start is a ToolError. */
export function runTool(tool: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const path = findTool(tool);
  if (!path) return Promise.reject(new MissingToolError(tool, TOOL_PACKAGES[tool]));
  const ok = options.okCodes ?? [0];
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(path, [...args], {
      cwd: options.cwd,
      env: { ...process.env, MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: options.signal,
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      if (options.captureStdout !== false) out.push(b);
      options.onStdout?.(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      err = (err + b.toString('utf8')).slice(-TAIL);
    });
    child.on('error', (e) => {
      reject(new ToolError(tool, args, null, err, `${tool} could not run: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      const stdoutBytes = Buffer.concat(out);
      const stdout = stdoutBytes.toString('utf8');
      if (signal || code === null || !ok.includes(code)) {
        const said = (err.trim() || stdout.trim()).split('\n').slice(-5).join('\n');
        reject(
          new ToolError(
            tool,
            args,
            code,
            said,
            `${tool} ${args.join(' ')} ${signal ? `was stopped (${signal})` : `exited with code ${code}`}${said ? `: ${said}` : ''}`,
          ),
        );
        return;
      }
      resolve({ stdout, stderr: err, exitCode: code, stdoutBytes });
    });
    child.stdin.on('error', () => {
      /* the tool may exit before reading its input; its exit code tells */
    });
    child.stdin.end(options.input ?? '');
  });
}
