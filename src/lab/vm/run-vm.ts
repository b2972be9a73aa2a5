/**
 * Runs a QEMU VM and watches its serial console (netboot.md "Harness rules learned here"): QEMU is
 * spawned directly, its serial console (stdout, `-nographic`) read line by line, each line written
 * with its time since power-on to the serial log and handed to `onLine`, through the VM's restarts
 * (same process). It stops on the first of:
 *
 *   marker     a line with the success marker (DEPLOYED-OK)            → outcome 'marker'
 *   failure    a failure line (C3: OSD-AGENT FAILED, Kernel panic, No bootable device, PXE-E…) → 'failure'
 *   poweroff   QEMU ended by itself (the guest powered off) before either → 'poweroff'
 *   timeout    the time limit                                           → 'timeout'
 *
 * and kills QEMU by its pid where it is still running (after a short grace for the lines that follow
 * a marker or a failure, e.g. the marker OS's own power-off).
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export type VmOutcome = 'marker' | 'failure' | 'poweroff' | 'timeout';

/** The failure lines of contract C3 and of the firmware, plus the test OS's own. */
export const VM_FAILURE_PATTERNS: readonly RegExp[] = [
  /OSD-AGENT FAILED/,
  /OSD-BOOTENV: the task sequence did not finish/,
  /OSD-TESTOS FAILED/,
  /Kernel panic/,
  /No bootable device/,
  // iPXE found no boot file (no site): with the disk tried first, nothing else will boot.
  /Nothing to boot: /,
  /PXE-E\d/,
];

export const VM_SUCCESS_PATTERN = /DEPLOYED-OK/;

/**
 * Milestones of a boot, by the first console line that shows each (seconds since QEMU started): the
 * performance split of issue 14 — firmware, download, boot, deployment, restart — read off the console.
 */
export const VM_MILESTONES: ReadonlyArray<readonly [string, RegExp]> = [
  ['ipxe', /^iPXE \d/], // the NIC's boot ROM starts: the firmware's part is over
  ['bootScript', /OSD-PXE: asking /], // iPXE has an address and the TFTP script
  ['bootEnvironment', /OSD-BOOTENV: Linux /], // the boot environment's init runs: kernel and initramfs loaded
  ['agentStart', /OSD-AGENT: OpenOSD agent/],
  ['agentEnd', /OSD-AGENT (DONE|FAILED)/],
  ['restart', /reboot: Restarting system/],
  ['deployedOsLoader', /OSD-TESTOS: booting/], // GRUB of the deployed OS
  ['marker', /DEPLOYED-OK/],
];

export interface RunVmOptions {
  qemu: string;
  args: string[];
  /** Serial log: one line per console line, `[   12.345] text`. */
  serialLog: string;
  timeoutMs: number;
  success?: RegExp;
  failures?: readonly RegExp[];
  /** Each console line as it comes, with seconds since QEMU started. */
  onLine?: (line: string, seconds: number) => void;
  /** How long to keep reading after the marker or a failure before QEMU is killed (default 3 s). */
  graceMs?: number;
}

export interface RunVmResult {
  outcome: VmOutcome;
  /** The line that decided it (marker or failure), if any. */
  line?: string;
  /** Seconds from QEMU's start to the decision. */
  seconds: number;
  /** Restarts the guest made (Linux's "reboot: Restarting system" lines). */
  restarts: number;
  /** VM_MILESTONES seen, each at its first line's time (seconds since QEMU started). */
  milestones: Record<string, number>;
  /** QEMU's exit code, or the signal that ended it. */
  exit: { code: number | null; signal: string | null };
  /** QEMU's own error output (its last lines), when it said something. */
  qemuErrors: string;
  /** The last console lines, for a report. */
  tail: string[];
  pid: number | undefined;
}

/** Terminal control sequences and carriage returns, which firmware and GRUB write to the console. */
const CONTROL = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b[()][A-Za-z0-9]|\u001b[=>78cDEHM]|[\u0000-\u0008\u000b-\u001f\u007f]/g;

export function consoleText(raw: string): string {
  return raw.replace(CONTROL, '').trimEnd();
}

export async function runVm(options: RunVmOptions): Promise<RunVmResult> {
  const success = options.success ?? VM_SUCCESS_PATTERN;
  const failures = options.failures ?? VM_FAILURE_PATTERNS;
  await mkdir(dirname(options.serialLog), { recursive: true });
  const log = createWriteStream(options.serialLog, { flags: 'a' });
  const started = Date.now();
  const seconds = (): number => (Date.now() - started) / 1000;
  const child = spawn(options.qemu, options.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  log.write(`# ${new Date(started).toISOString()} ${options.qemu} ${options.args.join(' ')}\n`);

  let decided: { outcome: VmOutcome; line?: string; seconds: number } | undefined;
  let restarts = 0;
  const milestones: Record<string, number> = {};
  const tail: string[] = [];
  let pending = '';
  let errors = '';
  let killTimer: NodeJS.Timeout | undefined;

  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
  };
  const decide = (outcome: VmOutcome, line?: string, graceMs = options.graceMs ?? 3000): void => {
    if (decided) return;
    decided = { outcome, line, seconds: seconds() };
    killTimer = setTimeout(kill, graceMs);
  };
  const onText = (line: string): void => {
    const text = consoleText(line);
    if (!text) return;
    const s = seconds();
    log.write(`[${s.toFixed(3).padStart(8)}] ${text}\n`);
    tail.push(text);
    if (tail.length > 40) tail.shift();
    options.onLine?.(text, s);
    if (/reboot: Restarting system/.test(text)) restarts++;
    for (const [name, re] of VM_MILESTONES) if (milestones[name] === undefined && re.test(text)) milestones[name] = Math.round(s * 10) / 10;
    if (decided) return;
    if (success.test(text)) decide('marker', text);
    else if (failures.some((f) => f.test(text))) decide('failure', text);
  };

  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onText(line);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    errors = (errors + chunk).slice(-4000);
  });
  const timer = setTimeout(() => decide('timeout', undefined, 0), options.timeoutMs);

  const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  }).finally(() => {
    clearTimeout(timer);
    if (killTimer) clearTimeout(killTimer);
  });
  if (pending) onText(pending);
  if (!decided) decided = { outcome: 'poweroff', seconds: seconds() };
  await new Promise<void>((resolve) => log.end(resolve));
  return { ...decided, restarts, milestones, exit, qemuErrors: errors.trim(), tail, pid: child.pid };
}
