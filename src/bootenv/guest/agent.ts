/**
 * The agent in the boot environment (plan contract C3; docs/boot-environment-agent.md): init has
 * brought the network up and runs `/usr/bin/node /opt/osd/agent.mjs` (main.ts bundled). It
 *
 *   reads the kernel command line (C1: osd.site, osd.boot, osd.retry) →
 *   reads the computer from /sys and /proc (facts.ts) →
 *   waits for the site (retrying for osd.retry seconds, saying so on the console) →
 *   runs one agent run (src/agent/run.ts) on the computer's disks (BlockDeviceComputer), its state
 *   in /run/osd (tmpfs: RAM) →
 *   ends with exactly one line: `OSD-AGENT DONE outcome=…` (exit 0: init restarts the computer) or
 *   `OSD-AGENT FAILED <reason>` (exit 1: init powers it off).
 *
 * Every other line it prints starts with `OSD-AGENT: `. Roots and paths are parameters so a test
 * runs it on a host against a fake /sys and disk-image files standing for /dev/vda.
 */
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { runAgent, type AgentRunResult } from '../../agent/run.js';
import type { InitialVariable } from '../../engine/engine.js';
import { startFromMedia, type MediaStartOptions } from '../media/media-start.js';
import { BlockDeviceComputer, blockDisks } from './block-device-computer.js';
import { type BootCommandLine, parseCommandLine } from './cmdline.js';
import { DEFAULT_ROOTS, type GuestHardware, type GuestRoots, guestFacts, guestProfile, readGuestHardware } from './facts.js';

export const AGENT_PREFIX = 'OSD-AGENT: ';

export interface GuestAgentOptions {
  /** The kernel command line's file (default /proc/cmdline). */
  cmdlinePath?: string;
  roots?: GuestRoots;
  /** The agent's state: credential, journal, outbox, content cache, logs (default /run/osd, a tmpfs). */
  stateDir?: string;
  /** Disk-image files (or devices) used instead of the disks /sys lists (tests). */
  disks?: string[];
  /** One console line (default: stdout). */
  print?: (line: string) => void;
  /** The boot environment's root, where boot media put /osd/media.json (default /). */
  mediaRoot?: string;
  /** The media password prompt (tests; default: the console, echo off). */
  askPassword?: MediaStartOptions['askPassword'];
  /** The waits between attempts to reach the site (tests). */
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
}

/** Runs the agent once; returns the process's exit code (0 DONE, 1 FAILED). Never throws. */
export async function runGuestAgent(options: GuestAgentOptions = {}): Promise<number> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const say = (line: string): void => print(`${AGENT_PREFIX}${line}`);
  const failed = (reason: string): number => {
    print(`OSD-AGENT FAILED ${reason.replace(/\s+/g, ' ').trim()}`);
    return 1;
  };
  try {
    const cmdlinePath = options.cmdlinePath ?? '/proc/cmdline';
    let cmdline: BootCommandLine;
    try {
      cmdline = parseCommandLine(readFileSync(cmdlinePath, 'utf8'), cmdlinePath);
    } catch (e) {
      return failed(`bad kernel command line: ${(e as Error).message}`);
    }
    let hw = readGuestHardware(options.roots ?? DEFAULT_ROOTS);
    if (options.disks?.length) hw = { ...hw, disks: options.disks.map((device, i) => ({ name: `disk${i}`, device, sizeBytes: sizeOf(device), bus: 'scsi' })) };
    describeHardware(hw, cmdline, say);
    if (hw.adapters.length === 0 && !hw.uuid) return failed('no network adapter and no SMBIOS UUID: the site cannot tell which computer this is');

    // Boot media (docs/boot-media.md): the password, then the prestart command, then policy with
    // the media variables (osd-features §5.3's order). PXE has no /osd/media.json: nothing to do.
    let mediaVariables: InitialVariable[] | undefined;
    const media = await startFromMedia({ root: options.mediaRoot ?? '/', say, ...(options.askPassword ? { askPassword: options.askPassword } : {}) });
    if (!media.ok) return failed(media.reason);
    if (media.config) {
      mediaVariables = media.variables;
      if (media.config.site.replace(/\/+$/, '') !== cmdline.site)
        say(`the media name the site ${media.config.site}; the command line's ${cmdline.site} is used`);
    }

    const reached = await waitForSite(cmdline, say, options.sleep, options.signal);
    if (!reached) return failed('site unreachable');

    const stateDir = options.stateDir ?? '/run/osd';
    const name = hw.adapters[0] ? `MININT-${hw.adapters[0].mac.replace(/:/g, '').slice(-7)}` : `MININT-${(hw.uuid ?? '').slice(0, 7)}`;
    const profile = guestProfile(hw, name);
    const computer = new BlockDeviceComputer({
      name,
      profile,
      disks: blockDisks(hw.disks),
      workDir: join(stateDir, 'work'),
      drivesFile: join(stateDir, 'agent', 'drives.json'),
      log: say,
    });
    let lastShown = 0;
    const result: AgentRunResult = await runAgent({
      siteUrl: cmdline.site,
      stateDir: join(stateDir, 'agent'),
      computer,
      restart: (into) => computer.restart(into),
      facts: guestFacts(hw),
      profile,
      mediaType: cmdline.boot === 'pxe' ? 'PXE' : 'BootMedia',
      ...(mediaVariables ? { mediaVariables } : {}),
      retryForMs: Math.max(cmdline.retrySeconds, 60) * 1000,
      onLine: say,
      onProgress: (p) => {
        // A line every 5 seconds at most, and at the end of each package.
        const now = Date.now();
        if (p.done < p.total && now - lastShown < 5000) return;
        lastShown = now;
        say(`downloading ${p.packageId}: ${Math.floor(p.done / 1048576)} of ${Math.ceil(p.total / 1048576)} MiB`);
      },
      signal: options.signal,
    });
    await computer.flush().catch((e: Error) => say(`the disks could not be synced: ${e.message}`));
    // Why a step failed is in smsts.log; the console says it too (the person at the computer has nothing else).
    for (const i of result.report?.instructions ?? []) {
      if (i.kind === 'step' && i.outcome === 'failed') {
        say(
          `step "${i.path}" failed${i.exitCode !== undefined ? ` (0x${(i.exitCode >>> 0).toString(16).toUpperCase()})` : ''}: ${i.reason ?? 'no reason given'}`,
        );
      }
    }
    say(
      `run ${result.runId ?? '(none)'}${result.deploymentId ? ` of deployment ${result.deploymentId}` : ''}: ${result.outcome}` +
        `${result.message ? ` (${result.message})` : ''}, exit code 0x${(result.exitCode >>> 0).toString(16).toUpperCase()}, ${result.downloadedBytes} bytes downloaded` +
        `${result.statusPending ? `, ${result.statusPending} status message(s) not delivered` : ''}`,
    );
    if (result.outcome === 'succeeded' || result.outcome === 'nothing' || result.outcome === 'pending') {
      print(`OSD-AGENT DONE outcome=${result.outcome}`);
      return 0;
    }
    return failed(
      `${result.outcome === 'refused' ? 'refused' : 'task sequence failed'}: ${result.message ?? `exit code 0x${(result.exitCode >>> 0).toString(16).toUpperCase()}`}`,
    );
  } catch (e) {
    return failed((e as Error)?.message ?? String(e));
  }
}

function sizeOf(device: string): number {
  return statSync(device).size;
}

function describeHardware(hw: GuestHardware, cmdline: BootCommandLine, say: (line: string) => void): void {
  say(`OpenOSD agent in the boot environment; site ${cmdline.site}, started from ${cmdline.boot === 'pxe' ? 'the network (PXE)' : 'boot media'}`);
  say(
    `this computer: ${hw.architecture} ${hw.firmware === 'uefi' ? 'UEFI' : 'BIOS'}, ${hw.memoryMB} MiB, ${hw.make ?? 'unknown make'} ${hw.model ?? ''}`.trim() +
      `, SMBIOS UUID ${hw.uuid ?? '(none)'}, network ${hw.adapters.map((a) => `${a.name} ${a.mac}`).join(', ') || '(none)'}`,
  );
  say(`disks: ${hw.disks.map((d, i) => `${i} = ${d.device} (${d.bus}, ${Math.round(d.sizeBytes / 1048576)} MiB)`).join('; ') || 'none'}`);
}

/** One request that any answer ends (a 404 too): the site's server is there. */
function probe(site: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${site}/mp/v1/`);
    const mod = url.protocol === 'https:' ? https : http;
    // agent:false: a fresh connection, never a kept-alive socket the server may have closed (netboot.md "What failed").
    const req = mod.request(url, { method: 'GET', agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      res.resume();
      resolve();
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer in ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Tries the site until it answers or `retrySeconds` have passed: 1 s, doubling to 15 s between
 * attempts, one console line per failed attempt (C3). True when it answered.
 */
export async function waitForSite(
  cmdline: Pick<BootCommandLine, 'site' | 'retrySeconds'>,
  say: (line: string) => void,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + cmdline.retrySeconds * 1000;
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      await probe(cmdline.site, 5000);
      if (attempt > 0) say(`the site ${cmdline.site} answers`);
      return true;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code ?? err.message;
      const waitS = Math.min(15, 2 ** attempt);
      if (Date.now() + waitS * 1000 > deadline) {
        say(`the site ${cmdline.site} does not answer (${why}); gave up after ${cmdline.retrySeconds} s`);
        return false;
      }
      say(`the site ${cmdline.site} does not answer (${why}); trying again in ${waitS} s`);
      await sleep(waitS * 1000);
    }
  }
}
