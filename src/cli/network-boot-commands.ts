/**
 * Network boot on the command line (docs/network-boot.md):
 *
 *   osd pxe tftp-root DIR --site URL     a TFTP root: pxe.ipxe chaining to the site, iPXE's boot programs, localboot.efi
 *   osd pxe serve --address A …          the PXE responder alone (proxyDHCP or DHCP + TFTP); the HTTP side is osd server
 *   osd pxe settings [--prompt-timeout S]   the Available prompt's time-out
 *   osd pxe preview --mac M --firmware uefi|bios   what a computer would be told, and why (not audited)
 *   osd dp update NAME [--url U] [--client-url U] [--pxe|--no-pxe] …
 *
 * `osd server --pxe ADDRESS` (server-commands.ts) runs the responder beside the site; the options it
 * shares with `osd pxe serve` are read here (`pxeResponderOptions`).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../sequence/input-error.js';
import { print, printJson } from './output.js';
import { AdminClient, withConnection } from './site/admin-client.js';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function ipv4(value: string, option: string): string {
  if (!IPV4.test(value)) throw new InputError({ input: `${option} ${value}`, rule: 'is not an IPv4 address', hint: 'e.g. 192.168.77.1' });
  return value;
}

export interface PxeCliOptions {
  pxeMode?: string;
  pxePool?: string;
  pxeSubnetMask?: string;
  pxeRouter?: string;
}

/** The responder's mode and pool from the command's options (shared by `osd server --pxe` and `osd pxe serve`). */
export function pxeResponderOptions(
  address: string,
  o: PxeCliOptions,
): { address: string; mode: 'proxy' | 'dhcp'; pool?: { first: string; last: string; subnetMask: string; router?: string } } {
  ipv4(address, '--pxe/--address');
  const mode = o.pxeMode ?? 'proxy';
  if (mode !== 'proxy' && mode !== 'dhcp')
    throw new InputError({
      input: `--pxe-mode ${mode}`,
      rule: 'is not proxy or dhcp',
      hint: 'proxy: the network has a DHCP server (the responder only adds the boot file); dhcp: it has none (the responder leases addresses too)',
    });
  if (mode === 'proxy') {
    if (o.pxePool) throw new InputError({ input: '--pxe-pool', rule: 'leases addresses, which proxy mode never does', hint: 'add --pxe-mode dhcp' });
    return { address, mode };
  }
  if (!o.pxePool)
    throw new InputError({ input: '--pxe-mode dhcp', rule: 'needs the addresses to lease', hint: 'add --pxe-pool 192.168.77.100-192.168.77.199' });
  const [first, last, extra] = o.pxePool.split('-');
  if (!first || !last || extra !== undefined)
    throw new InputError({ input: `--pxe-pool ${o.pxePool}`, rule: 'is not a range FIRST-LAST', hint: 'e.g. 192.168.77.100-192.168.77.199' });
  const n = (a: string) => a.split('.').reduce((x, p) => x * 256 + Number(p), 0);
  if (n(ipv4(first, '--pxe-pool')) > n(ipv4(last, '--pxe-pool'))) throw new InputError({ input: `--pxe-pool ${o.pxePool}`, rule: 'ends before it starts' });
  return {
    address,
    mode,
    pool: {
      first,
      last,
      subnetMask: ipv4(o.pxeSubnetMask ?? '255.255.255.0', '--pxe-subnet-mask'),
      router: o.pxeRouter ? ipv4(o.pxeRouter, '--pxe-router') : undefined,
    },
  };
}

/** Adds the responder's shared options to a command. */
export function withPxeOptions(cmd: Command): Command {
  return cmd
    .option('--pxe-mode <mode>', 'proxy (the network has a DHCP server; default) or dhcp (lease addresses too)')
    .option('--pxe-pool <first-last>', 'dhcp mode: the addresses to lease, e.g. 192.168.77.100-192.168.77.199')
    .option('--pxe-subnet-mask <mask>', 'dhcp mode: the subnet mask (default 255.255.255.0)')
    .option('--pxe-router <address>', 'dhcp mode: the default gateway to hand out');
}

function seconds(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 600) throw new InputError({ input: `${option} ${value}`, rule: 'is not a whole number of seconds from 1 to 600' });
  return n;
}

export function registerNetworkBootCommands(program: Command): void {
  const pxe = program.command('pxe').description('network boot: the PXE responder, its TFTP root, settings and what a computer would be told');

  pxe
    .command('tftp-root <dir>')
    .description("write a TFTP root: pxe.ipxe chaining to the site's per-computer script, snponly.efi, undionly.kpxe, ipxe.efi, localboot.efi")
    .requiredOption('--site <url>', 'the site as computers reach it, e.g. http://192.168.77.1:8450 (QEMU guests: http://10.0.2.2:PORT)')
    .option('--json', 'print JSON')
    .action(async (dir: string, o: { site: string; json?: boolean }) => {
      const { writeTftpRoot } = await import('../server/boot/boot-files.js');
      const files = await writeTftpRoot(resolve(dir), { siteUrl: o.site });
      if (o.json) return printJson({ dir: resolve(dir), files });
      print(`TFTP root ${resolve(dir)}: ${files.join(', ')}`);
    });

  withPxeOptions(
    pxe
      .command('serve')
      .description('run the PXE responder (DHCP answers for PXE clients + TFTP) on this machine; osd server answers the HTTP side')
      .requiredOption('--address <ipv4>', "this machine's address on the computers' network")
      .requiredOption('--site <url>', 'the site as computers reach it (written into pxe.ipxe)')
      .requiredOption('--tftp-root <dir>', 'where the boot programs are written and served from'),
  )
    .option('--json', 'print the start-up facts as one JSON line')
    .action(async (o: PxeCliOptions & { address: string; site: string; tftpRoot: string; json?: boolean }) => {
      const responder = pxeResponderOptions(o.address, o);
      const { writeTftpRoot } = await import('../server/boot/boot-files.js');
      const { startPxeResponder } = await import('../server/pxe/responder.js');
      const root = resolve(o.tftpRoot);
      await writeTftpRoot(root, { siteUrl: o.site });
      const running = await startPxeResponder({ ...responder, tftpRoot: root, log: (l) => process.stderr.write(`osd pxe: ${l}\n`) });
      const facts = {
        address: o.address,
        mode: responder.mode,
        site: o.site,
        tftpRoot: root,
        dhcpPort: running.dhcpPort,
        pxePort: running.pxePort,
        tftpPort: running.tftp.port,
      };
      if (o.json) process.stdout.write(`${JSON.stringify(facts)}\n`);
      else
        print(
          `PXE responder (${responder.mode}) on ${o.address}: DHCP ${running.dhcpPort}, PXE ${running.pxePort}, TFTP ${running.tftp.port} from ${root} — stop with Ctrl+C`,
        );
      await new Promise<void>((r) => {
        process.once('SIGINT', () => r());
        process.once('SIGTERM', () => r());
      });
      await running.close();
    });

  withConnection(pxe.command('settings'))
    .description('the network boot settings (and change them)')
    .option('--prompt-timeout <seconds>', "how long an Available deployment's prompt waits for a key before the disk boots")
    .option('--json', 'print JSON')
    .action(async (o: { promptTimeout?: string; json?: boolean }) => {
      const client = AdminClient.fromOptions(o);
      const r =
        o.promptTimeout !== undefined
          ? await client.put<{ promptTimeoutSeconds: number }>('/settings/network-boot', { promptTimeoutSeconds: seconds(o.promptTimeout, '--prompt-timeout') })
          : await client.get<{ promptTimeoutSeconds: number }>('/settings/network-boot');
      if (o.json) return printJson(r);
      print(`prompt time-out: ${r.promptTimeoutSeconds} s`);
    });

  withConnection(pxe.command('preview'))
    .description('what a computer that network-boots would be told, and why; nothing is recorded')
    .requiredOption('--mac <mac>', 'its MAC address')
    .option('--uuid <guid>', 'its SMBIOS UUID')
    .option('--firmware <fw>', 'uefi or bios', 'uefi')
    .option('--arch <arch>', 'x64 or x86', 'x64')
    .option('--json', 'print JSON')
    .action(async (o: { mac: string; uuid?: string; firmware: string; arch: string; json?: boolean }) => {
      if (o.firmware !== 'uefi' && o.firmware !== 'bios') throw new InputError({ input: `--firmware ${o.firmware}`, rule: 'is not uefi or bios' });
      if (o.arch !== 'x64' && o.arch !== 'x86') throw new InputError({ input: `--arch ${o.arch}`, rule: 'is not x64 or x86' });
      const q = new URLSearchParams({
        mac: o.mac,
        uuid: o.uuid ?? '',
        platform: o.firmware === 'uefi' ? 'efi' : 'pcbios',
        buildarch: o.firmware === 'uefi' ? (o.arch === 'x64' ? 'x86_64' : 'i386') : 'i386',
        arch: o.arch,
      });
      const r = await AdminClient.fromOptions(o).get<{
        action: string;
        reason: string;
        device: { resourceId: number | null; name: string | null };
        bootImage?: { packageId: string };
        deployments: Array<{ deploymentId: string; name: string; offered: boolean; reason: string }>;
        notes: string[];
      }>(`/network-boot/preview?${q}`);
      if (o.json) return printJson(r);
      print(`${r.action}: ${r.reason}`);
      print(`  computer: ${r.device.resourceId === null ? 'unknown' : `${r.device.name} (${r.device.resourceId})`}`);
      for (const d of r.deployments) print(`  ${d.offered ? 'offered' : 'not offered'}\t${d.deploymentId}\t${d.name}\t${d.reason}`);
      for (const n of r.notes) print(`  note: ${n}`);
    });

  const dp = program.commands.find((c) => c.name() === 'dp') ?? program.command('dp').description('distribution points');
  withConnection(dp.command('update <name>'))
    .description('change a distribution point: its URL, the URL computers use (--client-url; "" for the same as --url), PXE, unknown computers')
    .option('--url <url>', 'the URL the site pushes to')
    .option('--client-url <url>', 'the URL computers fetch content from, when it differs (e.g. http://10.0.2.2:8451 for QEMU guests)')
    .option('--pxe', 'PXE-enabled')
    .option('--no-pxe', 'not PXE-enabled')
    .option('--unknown-computer-support', 'answer unknown computers')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { url?: string; clientUrl?: string; pxe?: boolean; unknownComputerSupport?: boolean; json?: boolean }) => {
      const body: Record<string, unknown> = {};
      if (o.url !== undefined) body.url = o.url;
      if (o.clientUrl !== undefined) body.clientUrl = o.clientUrl;
      if (o.pxe !== undefined) body.pxeEnabled = o.pxe;
      if (o.unknownComputerSupport) body.unknownComputerSupport = true;
      if (!Object.keys(body).length)
        throw new InputError({
          input: `osd dp update ${name}`,
          rule: 'nothing to change',
          hint: 'give --url, --client-url, --pxe/--no-pxe or --unknown-computer-support',
        });
      const r = await AdminClient.fromOptions(o).patch<{ name: string; url: string; clientUrl: string; pxeEnabled: boolean }>(
        `/distribution-points/${encodeURIComponent(name)}`,
        body,
      );
      if (o.json) return printJson(r);
      print(`distribution point ${r.name}: ${r.url}${r.clientUrl !== r.url ? ` (computers use ${r.clientUrl})` : ''}${r.pxeEnabled ? ', PXE' : ''}`);
    });
}
