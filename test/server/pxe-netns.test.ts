/**
 * The PXE responder on a real (virtual) network (netboot.md §4; docs/network-boot.md): a network
 * namespace with a tap device, `osd server --pxe` inside it in proxyDHCP mode beside a separate plain
 * DHCP server (the network's own), and a UEFI VM on the tap whose NIC has no iPXE ROM, so OVMF's own PXE stack boots: DHCP
 * from our responder (option 93 → snponly.efi, option 43 so EDK2 accepts the offer), TFTP with its
 * tsize probe, then iPXE asks again (user class iPXE → pxe.ipxe), fetches the stub by TFTP and
 * chains to the site's /boot/v1/pxe.ipxe over HTTP; nothing is deployed, so it chains localboot.efi.
 *
 * Needs root (a namespace, a tap device, ports 67/69/4011) and a built `osd` (dist/): skipped with
 * the reason otherwise.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findVmTools } from '../../src/lab/vm/firmware.js';
import { qemuArgs } from '../../src/lab/vm/qemu-args.js';
import { runVm } from '../../src/lab/vm/run-vm.js';
import { findTool } from '../../src/storage/tools.js';
import { qemuSkipReason } from '../helpers/qemu.js';
import { OSD, stopServer } from '../helpers/osd-server.js';
import { tempDir } from '../helpers/temp.js';

const NS = `osdpxe${process.pid % 100000}`;
const SERVER_IP = '192.168.77.1';

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: a network namespace with a tap device and ports 67/69/4011 need root';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun: no tap device can be made';
  if (!findTool('ip')) return 'no ip command (Debian package iproute2)';
  if (!existsSync(join(OSD, '..', '..', 'dist', 'cli', 'main.js'))) return 'osd is not built (npm run build)';
  return qemuSkipReason();
}

const sh = (...args: string[]): void => {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr || r.stdout}`);
};

/**
 * The network's own DHCP server for proxy mode (no PXE options at all), as a small Node program in
 * the namespace: leases 192.168.77.120 to everyone, server id 192.168.77.2. Both it and the
 * responder bind port 67 with SO_REUSEADDR, so both see every broadcast, as on a real network.
 */
function plainDhcpServer(dist: string): string {
  return `
import { createSocket } from 'node:dgram';
import { decodeDhcp, encodeDhcp, messageType, ipOption, u32Option, OPTION } from '${dist}/server/pxe/dhcp-packet.js';
const s = createSocket({ type: 'udp4', reuseAddr: true });
s.on('message', (msg) => {
  let p; try { p = decodeDhcp(msg); } catch { return; }
  const t = messageType(p);
  if (p.op !== 1 || (t !== 'discover' && t !== 'request')) return;
  const o = new Map([[OPTION.messageType, Buffer.from([t === 'discover' ? 2 : 5])], [OPTION.serverId, ipOption('192.168.77.2')],
    [OPTION.subnetMask, ipOption('255.255.255.0')], [OPTION.leaseTime, u32Option(600)]]);
  const out = encodeDhcp({ ...p, op: 2, hops: 0, secs: 0, ciaddr: '0.0.0.0', yiaddr: '192.168.77.120', siaddr: '0.0.0.0', sname: '', file: '', options: o });
  s.send(out, 68, '255.255.255.255');
  process.stderr.write('plain dhcp: ' + t + '\\n');
});
s.bind(67, '0.0.0.0', () => s.setBroadcast(true));
`;
}

// Proxy mode only: the DHCP mode's leases are covered over the loopback (pxe-responder.test.ts), and VM
// tests are the slow part of `make test`. Add 'dhcp' here to see OVMF take a lease from the responder.
describe.skipIf(skipReason()).each(['proxy'] as Array<'proxy' | 'dhcp'>)('PXE responder (%s mode) in a network namespace, OVMF native PXE', (mode) => {
  let work: string;
  let server: ChildProcessWithoutNullStreams | undefined;
  let radvd: ChildProcessWithoutNullStreams | undefined;
  let plain: ChildProcessWithoutNullStreams | undefined;
  let serverErr = '';
  let plainErr = '';

  beforeAll(async () => {
    work = tempDir('osd-pxe-netns-');
    spawnSync('ip', ['netns', 'del', NS]);
    sh('ip', 'netns', 'add', NS);
    sh('ip', 'netns', 'exec', NS, 'ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap');
    sh('ip', 'netns', 'exec', NS, 'ip', 'addr', 'add', `${SERVER_IP}/24`, 'dev', 'tap0');
    sh('ip', 'netns', 'exec', NS, 'ip', 'link', 'set', 'tap0', 'up');
    sh('ip', 'netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
    sh('ip', 'netns', 'exec', NS, 'ip', 'addr', 'add', '192.168.77.2/24', 'dev', 'tap0');
    // Replies to 255.255.255.255 need a route (netboot.md §4).
    sh('ip', 'netns', 'exec', NS, 'ip', 'route', 'add', 'default', 'dev', 'tap0');
    // Without a router advertisement iPXE waits ~13 s for IPv6 (netboot.md §4, finding (b)).
    if (findTool('radvd')) {
      const conf = join(work, 'radvd.conf');
      await writeFile(conf, 'interface tap0 { AdvSendAdvert on; MinRtrAdvInterval 3; MaxRtrAdvInterval 10; prefix fd00:77::/64 { }; };\n');
      radvd = spawn('ip', ['netns', 'exec', NS, 'radvd', '-C', conf, '-p', join(work, 'radvd.pid'), '-n'], { stdio: ['pipe', 'pipe', 'pipe'] });
    }
    server = spawn(
      'ip',
      [
        'netns',
        'exec',
        NS,
        process.execPath,
        OSD,
        'server',
        '--data',
        join(work, 'site'),
        '--host',
        SERVER_IP,
        '--port',
        '8450',
        '--json',
        '--pxe',
        SERVER_IP,
        '--pxe-mode',
        mode,
        ...(mode === 'dhcp' ? ['--pxe-pool', '192.168.77.100-192.168.77.150'] : []),
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    server.stderr.on('data', (d: Buffer) => (serverErr += d.toString()));
    if (mode === 'proxy') {
      const script = join(work, 'plain-dhcp.mjs');
      await writeFile(script, plainDhcpServer(join(OSD, '..', '..', 'dist')));
      plain = spawn('ip', ['netns', 'exec', NS, process.execPath, script], { stdio: ['pipe', 'pipe', 'pipe'] });
      plain.stderr.on('data', (d: Buffer) => (plainErr += d.toString()));
    }
    await new Promise<void>((resolve, reject) => {
      let out = '';
      server!.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve();
      });
      server!.on('exit', (code) => reject(new Error(`osd server exited with ${code}: ${serverErr}`)));
    });
  }, 120_000);

  afterAll(async () => {
    if (server) await stopServer(server, 'SIGTERM');
    if (plain) await stopServer(plain, 'SIGKILL');
    if (radvd?.pid) radvd.kill('SIGTERM');
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it('UEFI firmware PXE → our DHCP and TFTP → snponly.efi → iPXE → the site’s script over HTTP → localboot.efi', async () => {
    const tools = findVmTools()!;
    const disk = join(work, 'disk.img');
    await writeFile(disk, '');
    await truncate(disk, 64 * 1024 * 1024);
    const vars = join(work, 'vars.fd');
    await copyFile(tools.ovmfVars, vars);
    const mac = mode === 'dhcp' ? '52:54:00:d1:00:01' : '52:54:00:d1:00:02';
    const MAC = mac.toUpperCase();
    // The lab's QEMU command line, with the NIC on the namespace's tap and without its iPXE ROM.
    const args = qemuArgs(tools, { firmware: 'uefi', disks: [disk], mac, varsFile: vars });
    const netdev = args.indexOf('-netdev');
    args.splice(netdev, 2, '-netdev', 'tap,id=n0,ifname=tap0,script=no,downscript=no');
    const device = args.findIndex((a) => a.startsWith('virtio-net-pci,'));
    args[device] = `virtio-net-pci,netdev=n0,mac=${mac},romfile=,bootindex=2`;
    const lines: string[] = [];
    const r = await runVm({
      qemu: 'ip',
      args: ['netns', 'exec', NS, tools.qemu, ...args],
      serialLog: join(work, 'serial.log'),
      timeoutMs: 110_000,
      success: /no boot loader on any disk/,
      failures: [/PXE-E\d/, /Kernel panic/],
      graceMs: 500,
      onLine: (l) => lines.push(l),
    });
    expect(r.outcome, `${r.tail.join('\n')}\n--- server ---\n${serverErr.slice(-3000)}`).toBe('marker');
    expect(lines.some((l) => l.includes('OpenOSD: nothing to run from PXE'))).toBe(true);
    // What the responder did, from the server's log: the firmware's offer, the NBP by TFTP, iPXE's script.
    const leased = mode === 'dhcp' ? '192\\.168\\.77\\.100, ' : '';
    expect(serverErr).toMatch(new RegExp(`pxe: dhcp: ${MAC}: offer ${leased}boot file snponly\\.efi \\(UEFI x64 firmware`));
    expect(serverErr).toMatch(/pxe: tftp: .*sent snponly\.efi/);
    expect(serverErr).toMatch(new RegExp(`pxe: dhcp: ${MAC}: (offer|ack) ${leased}boot file pxe\\.ipxe \\(iPXE`));
    expect(serverErr).toMatch(/pxe: tftp: .*sent pxe\.ipxe/);
    if (mode === 'proxy') {
      // The address came from the network's DHCP server; the responder leased nothing.
      expect(plainErr).toContain('plain dhcp: request');
      expect(serverErr).not.toMatch(/offer 192\.168/);
    }
  }, 150_000);
});
