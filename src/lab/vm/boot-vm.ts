/**
 * `osd lab boot NAME --vm`: the lab machine as a QEMU virtual machine (docs/vm-lab.md). Its firmware
 * comes from its profile (UEFI: OVMF with a fresh NVRAM copy in the machine's state folder; BIOS:
 * SeaBIOS), its disks are its disk-image files, its NIC has the profile's MAC, SMBIOS the profile's
 * make, model, serial and UUID. It boots from the network — slirp's TFTP hands iPXE a `pxe.ipxe` that
 * chains to the site's per-computer boot script (contract C4) — or from an ISO (boot media), and it
 * restarts inside the same QEMU until the deployed OS prints its marker, something fails, it
 * powers off, or the time limit ends it.
 *
 *   <machine>/state/serial.log     the serial console of the last run, each line with its time
 *   <machine>/state/tftp/pxe.ipxe  the iPXE script slirp's TFTP serves
 *   <machine>/state/OVMF_VARS.fd   the UEFI NVRAM of the last run (fresh each run)
 */
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OsdError } from '../../common/errors.js';
import { InputError } from '../../sequence/input-error.js';
import type { LabMachine } from '../lab-machine.js';
import { findVmTools, vmUnavailableReason } from './firmware.js';
import { qemuArgs, qemuMac, type VmFirmware } from './qemu-args.js';
import { VM_FAILURE_PATTERNS, runVm, type RunVmResult, type VmOutcome } from './run-vm.js';

export interface LabVmOptions {
  /** The site as this host reaches it (osd server's URL); the guest gets it through slirp (C4). */
  site?: string;
  /** Boot media instead of the network. */
  iso?: string;
  /** Time limit in seconds (default 300). */
  timeoutSeconds?: number;
  /** Each console line as it comes. */
  onLine?: (line: string, seconds: number) => void;
  /** Progress of the harness itself. */
  log?: (line: string) => void;
}

export interface LabVmReport {
  machine: string;
  firmware: VmFirmware;
  /** How it started: from the network (a site), an ISO, or its disk only. */
  bootFrom: 'network' | 'iso' | 'disk';
  site?: string;
  /** The site's address as the guest uses it (slirp: the host's loopback is 10.0.2.2). */
  guestSite?: string;
  iso?: string;
  outcome: VmOutcome;
  /** The line that decided the outcome. */
  line?: string;
  /** What the deployed OS said (DEPLOYED-OK firmware=… marker=… as fields). */
  deployed?: Record<string, string>;
  seconds: number;
  restarts: number;
  /** When each milestone's first console line came (seconds since power-on): ipxe, bootScript, bootEnvironment, agentStart, agentEnd, restart, deployedOsLoader, marker. */
  milestones: Record<string, number>;
  serialLog: string;
  /** 0 marker seen, 1 failure seen or powered off without it, 3 time limit. */
  exitCode: 0 | 1 | 3;
  message: string;
  /** The last console lines. */
  tail: string[];
}

const DEFAULT_TIMEOUT_S = 300;
const MAX_TIMEOUT_S = 24 * 3600;
const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
/** iPXE's own failure line in our pxe.ipxe (the chain to the site failed). */
const PXE_FAILED = /OSD-PXE FAILED/;

/** The site's URL as the guest reaches it: the host's loopback is 10.0.2.2 under slirp (C4). */
export function guestSiteUrl(site: string): string {
  let url: URL;
  try {
    url = new URL(site);
  } catch {
    throw new InputError({ input: `--site ${site}`, rule: 'is not a URL', hint: 'e.g. http://127.0.0.1:8080 (what osd server printed)' });
  }
  if (url.protocol !== 'http:') {
    throw new InputError({
      input: `--site ${site}`,
      rule: `is ${url.protocol.replace(':', '')}: the boot firmware's iPXE speaks plain HTTP only (Debian's iPXE has no HTTPS)`,
      hint: 'give the http:// address of osd server',
    });
  }
  if (['127.0.0.1', 'localhost', '[::1]', '0.0.0.0', '[::]'].includes(url.hostname) || url.hostname.startsWith('127.')) url.hostname = '10.0.2.2';
  return url.toString().replace(/\/+$/, '');
}

/**
 * The iPXE script slirp's TFTP serves: chain to the site's per-computer boot script (C4) with the
 * MAC, SMBIOS UUID, platform and build architecture — and, as the site's own TFTP stub does
 * (src/server/boot/ipxe-script.ts pxeStubScript; the lab may not import the server), the CPU's long
 * mode from `cpuid`, since a BIOS iPXE is an i386 build even on x64 hardware. If the site gives no
 * script, it says so on the console (the harness's failure line) instead of booting on.
 */
export function pxeScript(guestSite: string): string {
  const url = `${guestSite}/boot/v1/pxe.ipxe?mac=\${net0/mac}&uuid=\${uuid}&platform=\${platform}&buildarch=\${buildarch}&arch=\${osd_arch}`;
  return [
    '#!ipxe',
    'cpuid 0 || goto osd_chain',
    'set osd_arch x86',
    'cpuid --ext 29 && set osd_arch x64 ||',
    ':osd_chain',
    `echo OSD-PXE: asking ${guestSite} for this computer's boot script`,
    `chain ${url} || goto osd_failed`,
    // The site's script ended without booting anything (boot the disk): back to the firmware.
    'exit',
    ':osd_failed',
    `echo OSD-PXE FAILED: ${guestSite} gave no boot script (\${errno})`,
    'exit 1',
    '',
  ].join('\n');
}

/** DEPLOYED-OK firmware=uefi marker=LAB00012:1 … → { firmware: 'uefi', marker: 'LAB00012:1', … }. */
export function deployedFields(line: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)=(\S*)/g)) fields[m[1]!] = m[2]!;
  return fields;
}

function timeLimit(seconds: number | undefined): number {
  const s = seconds ?? DEFAULT_TIMEOUT_S;
  if (!Number.isFinite(s) || s <= 0 || s > MAX_TIMEOUT_S) {
    throw new InputError({ input: `--timeout ${String(seconds)}`, rule: `is not a time limit in seconds from 1 to ${MAX_TIMEOUT_S}` });
  }
  return s;
}

export async function bootLabVm(lab: LabMachine, options: LabVmOptions = {}): Promise<LabVmReport> {
  const timeoutSeconds = timeLimit(options.timeoutSeconds);
  const profile = lab.profile;
  const firmware: VmFirmware = profile.firmware === 'uefi' ? 'uefi' : 'bios';
  const adapter = profile.networkAdapters.find((a) => a.kind !== 'wifi') ?? profile.networkAdapters[0];
  const mac = adapter ? qemuMac(adapter.mac) : undefined;
  if (!mac) {
    throw new InputError({
      input: join(lab.dir, 'profile.json'),
      rule: adapter ? `the network adapter's MAC "${adapter.mac}" is not a MAC address` : 'the machine has no network adapter',
      hint: 'create the machine with --mac 52:54:00:12:34:56',
    });
  }
  if (parseInt(mac.slice(0, 2), 16) & 1) {
    throw new InputError({ input: adapter!.mac, rule: 'is a multicast MAC address; a NIC needs a unicast one (first byte even)' });
  }
  let iso: string | undefined;
  if (options.iso) {
    iso = resolve(options.iso);
    try {
      if (!(await stat(iso)).isFile()) throw new Error('not a file');
    } catch {
      throw new InputError({ input: `--iso ${options.iso}`, rule: 'is not a readable file', hint: 'make boot media with osd media create --iso FILE' });
    }
    if (options.site) throw new InputError({ input: '--site', rule: 'is not used with --iso: the boot media names its site' });
  }
  const guestSite = options.site ? guestSiteUrl(options.site) : undefined;

  const tools = findVmTools();
  if (!tools) throw new OsdError('unavailable', { input: 'qemu-system-x86_64', rule: vmUnavailableReason() ?? 'QEMU cannot run here' });

  const state = lab.stateDir;
  await mkdir(state, { recursive: true });
  let tftpRoot: string | undefined;
  if (guestSite) {
    tftpRoot = join(state, 'tftp');
    await mkdir(tftpRoot, { recursive: true });
    await writeFile(join(tftpRoot, 'pxe.ipxe'), pxeScript(guestSite));
  }
  let varsFile: string | undefined;
  if (firmware === 'uefi') {
    varsFile = join(state, 'OVMF_VARS.fd');
    await copyFile(tools.ovmfVars, varsFile);
  }
  const serialLog = join(state, 'serial.log');
  await writeFile(serialLog, '');
  const uuid = GUID.test(profile.uuid ?? '') ? profile.uuid : undefined;
  const args = qemuArgs(tools, {
    firmware,
    disks: lab.diskImages.map((d) => lab.diskPath(d.index)),
    mac,
    varsFile,
    tftpRoot,
    iso,
    smbios: { manufacturer: profile.make || undefined, product: profile.model || undefined, serial: profile.serialNumber || undefined, uuid },
  });
  const bootFrom = iso ? 'iso' : guestSite ? 'network' : 'disk';
  options.log?.(
    `starting ${lab.name} as a VM: ${firmware.toUpperCase()}, ${lab.diskImages.length} disk(s), MAC ${mac}, ` +
      (iso ? `boot media ${iso}` : guestSite ? `network boot from ${guestSite}` : 'no site (disk, then the network with no boot file)') +
      `, time limit ${timeoutSeconds} s; serial console in ${serialLog}`,
  );
  const result = await runVm({
    qemu: tools.qemu,
    args,
    serialLog,
    timeoutMs: timeoutSeconds * 1000,
    failures: [...VM_FAILURE_PATTERNS, PXE_FAILED],
    onLine: options.onLine,
  });
  const report = reportOf(lab, result, { firmware, bootFrom, site: options.site, guestSite, iso, serialLog, timeoutSeconds });
  lab.recordBoot({
    at: new Date().toISOString(),
    sequence: `(VM, ${bootFrom === 'network' ? `network boot from ${options.site}` : bootFrom === 'iso' ? `boot media ${iso}` : 'disk'})`,
    result: report.exitCode === 0 ? 'success' : 'failure',
    exitCode: report.exitCode,
    message: report.message,
  });
  return report;
}

function reportOf(
  lab: LabMachine,
  r: RunVmResult,
  o: { firmware: VmFirmware; bootFrom: LabVmReport['bootFrom']; site?: string; guestSite?: string; iso?: string; serialLog: string; timeoutSeconds: number },
): LabVmReport {
  const base = {
    machine: lab.name,
    firmware: o.firmware,
    bootFrom: o.bootFrom,
    ...(o.site && { site: o.site, guestSite: o.guestSite }),
    ...(o.iso && { iso: o.iso }),
    outcome: r.outcome,
    ...(r.line && { line: r.line }),
    seconds: Math.round(r.seconds * 10) / 10,
    restarts: r.restarts,
    milestones: r.milestones,
    serialLog: o.serialLog,
    tail: r.tail.slice(-15),
  };
  const last = r.tail.length ? ` (last console line: "${r.tail[r.tail.length - 1]}")` : ' (the console printed nothing)';
  switch (r.outcome) {
    case 'marker':
      return { ...base, deployed: deployedFields(r.line!), exitCode: 0, message: `the deployed OS booted after ${base.seconds} s: ${r.line}` };
    case 'failure':
      return { ...base, exitCode: 1, message: `failure seen after ${base.seconds} s: ${r.line}` };
    case 'poweroff': {
      const qemuSaid = r.qemuErrors && r.exit.code !== 0 ? `; QEMU said: ${r.qemuErrors.split('\n').slice(-3).join(' ')}` : '';
      return { ...base, exitCode: 1, message: `the VM stopped after ${base.seconds} s without the deployed marker${last}${qemuSaid}` };
    }
    case 'timeout':
      return { ...base, exitCode: 3, message: `time limit of ${o.timeoutSeconds} s reached; QEMU (pid ${r.pid}) killed${last}` };
  }
}
