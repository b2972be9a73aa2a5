/**
 * The PXE responder (docs/network-boot.md; netboot.md §4): DHCP answers for PXE clients and a TFTP
 * server for the network boot programs, so computers on a network find the site.
 *
 * - `proxy` mode (a network that already has a DHCP server, as ConfigMgr's WDS-less PXE
 *   responder): answers PXE clients' DISCOVERs (option 60 "PXEClient") on port 67 with an offer
 *   that leases nothing (yiaddr 0.0.0.0) but names this server and the boot file, and their
 *   REQUESTs on port 4011 (the PXE boot server request EDK2 sends after a proxy offer) with an ACK.
 * - `dhcp` mode (a lab network with no DHCP server): also leases addresses from a pool.
 *
 * The boot file follows the client: the user class "iPXE" (option 77) gets `pxe.ipxe`, the stub
 * that chains to the site's per-computer script (contract C4); UEFI x64 firmware (option 93 = 7 or
 * 9) gets `snponly.efi`; BIOS (0) gets `undionly.kpxe`. Every offer carries option 43 with
 * PXE_DISCOVERY_CONTROL = 8: an offer with option 60 "PXEClient" but no option 43 is taken by EDK2
 * for a BINL offer and fails with PXE-E16 (netboot.md §4, finding (a)).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
  CLIENT_ARCH,
  clientArch,
  decodeDhcp,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  encodeDhcp,
  ipOption,
  isIpxe,
  isPxeClient,
  macOf,
  MESSAGE,
  messageType,
  OPTION,
  PXE_DISCOVERY_PORT,
  pxeVendorOptions,
  u32Option,
  type DhcpPacket,
} from './dhcp-packet.js';
import { NBP } from '../boot/boot-files.js';
import { startTftpServer, type RunningTftp } from './tftp.js';

export interface DhcpPool {
  first: string;
  last: string;
  subnetMask: string;
  router?: string;
  leaseSeconds?: number;
}

export interface PxeResponderOptions {
  /** This server's IPv4 address on the computers' network: the boot server they are sent to. */
  address: string;
  /** The TFTP root (src/server/boot/boot-files.ts writeTftpRoot). */
  tftpRoot: string;
  mode: 'proxy' | 'dhcp';
  /** `dhcp` mode: the addresses to lease. */
  pool?: DhcpPool;
  /** Ports (defaults 67, 4011, 69; the client's 68) and where broadcast replies go — tests change them. */
  dhcpPort?: number;
  pxePort?: number;
  tftpPort?: number;
  clientPort?: number;
  broadcastAddress?: string;
  /** Address the DHCP sockets bind to (default 0.0.0.0: broadcasts arrive only there). */
  bindAddress?: string;
  log?: (line: string) => void;
}

export interface PxeAnswer {
  file: string;
  reason: string;
}

/** Which boot file a PXE client gets, and why; undefined for a client this responder does not serve. */
export function bootFileFor(p: DhcpPacket): PxeAnswer | undefined {
  if (isIpxe(p)) return { file: NBP.script, reason: 'iPXE (user class): the script that chains to the site' };
  const arch = clientArch(p);
  if (arch === CLIENT_ARCH.efiX64 || arch === CLIENT_ARCH.efiBc) return { file: NBP.efi, reason: `UEFI x64 firmware (option 93 = ${arch})` };
  if (arch === CLIENT_ARCH.biosX86 || arch === undefined)
    return { file: NBP.bios, reason: `BIOS firmware (option 93 ${arch === undefined ? 'absent' : '= 0'})` };
  return undefined;
}

function ipToInt(a: string): number {
  return a.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}
function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** Leases of `dhcp` mode, by MAC, from the pool in order. */
class Leases {
  private readonly byMac = new Map<string, string>();
  constructor(private readonly pool: DhcpPool) {}
  leaseFor(mac: string): string | undefined {
    const have = this.byMac.get(mac);
    if (have) return have;
    const used = new Set(this.byMac.values());
    for (let n = ipToInt(this.pool.first); n <= ipToInt(this.pool.last); n++) {
      const ip = intToIp(n);
      if (!used.has(ip)) {
        this.byMac.set(mac, ip);
        return ip;
      }
    }
    return undefined;
  }
}

export interface RunningPxeResponder {
  tftp: RunningTftp;
  dhcpPort: number;
  pxePort: number;
  /** Answers sent, by kind (tests and the log). */
  answered: Array<{ mac: string; kind: 'offer' | 'ack'; file: string; port: number }>;
  close(): Promise<void>;
}

async function bindUdp(port: number, address: string): Promise<Socket> {
  const s = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((res, rej) => {
    s.once('error', rej);
    s.bind(port, address, () => {
      s.off('error', rej);
      res();
    });
  });
  s.setBroadcast(true);
  return s;
}

export async function startPxeResponder(options: PxeResponderOptions): Promise<RunningPxeResponder> {
  if (options.mode === 'dhcp' && !options.pool) throw new Error('dhcp mode needs a pool of addresses');
  const log = options.log ?? (() => {});
  const leases = options.pool ? new Leases(options.pool) : undefined;
  const clientPort = options.clientPort ?? DHCP_CLIENT_PORT;
  const broadcast = options.broadcastAddress ?? '255.255.255.255';
  const bind = options.bindAddress ?? '0.0.0.0';
  const answered: RunningPxeResponder['answered'] = [];
  const tftp = await startTftpServer({ root: options.tftpRoot, address: bind === '0.0.0.0' ? options.address : bind, port: options.tftpPort, log });
  const dhcp = await bindUdp(options.dhcpPort ?? DHCP_SERVER_PORT, bind).catch(async (e: unknown) => {
    await tftp.close();
    throw e;
  });
  const pxe = await bindUdp(options.pxePort ?? PXE_DISCOVERY_PORT, bind).catch(async (e: unknown) => {
    dhcp.close();
    await tftp.close();
    throw e;
  });

  const reply = (p: DhcpPacket, kind: 'offer' | 'ack', answer: PxeAnswer | undefined, yiaddr: string): Buffer => {
    const options_ = new Map<number, Buffer>();
    options_.set(OPTION.messageType, Buffer.from([kind === 'offer' ? MESSAGE.offer : MESSAGE.ack]));
    options_.set(OPTION.serverId, ipOption(options.address));
    if (yiaddr !== '0.0.0.0' && options.pool) {
      options_.set(OPTION.subnetMask, ipOption(options.pool.subnetMask));
      if (options.pool.router) options_.set(OPTION.router, ipOption(options.pool.router));
      options_.set(OPTION.leaseTime, u32Option(options.pool.leaseSeconds ?? 3600));
    }
    if (answer) {
      options_.set(OPTION.vendorClass, Buffer.from('PXEClient', 'latin1'));
      options_.set(OPTION.vendorSpecific, pxeVendorOptions());
      options_.set(OPTION.tftpServer, Buffer.from(options.address, 'latin1'));
      options_.set(OPTION.bootFile, Buffer.from(answer.file, 'latin1'));
      const uuid = p.options.get(OPTION.clientUuid);
      if (uuid) options_.set(OPTION.clientUuid, uuid);
    }
    return encodeDhcp({
      op: 2,
      htype: p.htype,
      hlen: p.hlen,
      hops: 0,
      xid: p.xid,
      secs: 0,
      flags: p.flags,
      ciaddr: '0.0.0.0',
      yiaddr,
      siaddr: options.address,
      giaddr: p.giaddr,
      chaddr: p.chaddr,
      sname: '',
      file: answer?.file ?? '',
      options: options_,
    });
  };

  const handle = (socket: Socket, onPxePort: boolean) => (msg: Buffer, rinfo: RemoteInfo) => {
    let p: DhcpPacket;
    try {
      p = decodeDhcp(msg);
    } catch (e) {
      log(`dhcp: ${rinfo.address}:${rinfo.port}: ignored: ${(e as Error).message}`);
      return;
    }
    if (p.op !== 1) return;
    const type = messageType(p);
    const mac = macOf(p);
    const pxeClient = isPxeClient(p);
    // Not a PXE client: the network's DHCP server answers it (proxy mode), or it gets a plain lease
    // (dhcp mode: the boot environment's own udhcpc once it runs).
    if (!pxeClient && (options.mode === 'proxy' || !leases || onPxePort)) return;
    const answer = pxeClient ? bootFileFor(p) : undefined;
    if (pxeClient && !answer) {
      log(`dhcp: ${mac}: option 93 = ${clientArch(p)}: no boot program for this architecture; not answered`);
      return;
    }
    let kind: 'offer' | 'ack';
    let yiaddr = '0.0.0.0';
    if (onPxePort) {
      if (type !== 'request' && type !== 'inform') return;
      kind = 'ack';
    } else if (type === 'discover') kind = 'offer';
    else if (type === 'request' && options.mode === 'dhcp') kind = 'ack';
    else return;
    if (options.mode === 'dhcp' && !onPxePort) {
      const lease = leases!.leaseFor(mac);
      if (!lease) {
        log(`dhcp: ${mac}: the pool ${options.pool!.first}-${options.pool!.last} is exhausted`);
        return;
      }
      const asked = p.options.get(50);
      if (kind === 'ack' && asked && asked.length === 4 && asked.join('.') !== lease) {
        log(`dhcp: ${mac}: asked for ${asked.join('.')}, which is not its lease ${lease}; not answered`);
        return;
      }
      yiaddr = lease;
    }
    const out = reply(p, kind, answer, yiaddr);
    // Port 4011 answers go back where the request came from; port 67 answers are broadcast unless relayed or the client has an address.
    let to: { address: string; port: number };
    if (onPxePort) to = { address: rinfo.address, port: rinfo.port };
    else if (p.giaddr !== '0.0.0.0') to = { address: p.giaddr, port: options.dhcpPort ?? DHCP_SERVER_PORT };
    else if (p.ciaddr !== '0.0.0.0') to = { address: p.ciaddr, port: clientPort };
    else to = { address: broadcast, port: clientPort };
    socket.send(out, to.port, to.address);
    answered.push({ mac, kind, file: answer?.file ?? '', port: onPxePort ? (options.pxePort ?? PXE_DISCOVERY_PORT) : (options.dhcpPort ?? DHCP_SERVER_PORT) });
    log(
      `dhcp: ${mac}: ${kind} ${yiaddr !== '0.0.0.0' ? `${yiaddr}, ` : ''}${answer ? `boot file ${answer.file} (${answer.reason})` : 'no boot file (not a PXE client)'} to ${to.address}:${to.port}`,
    );
  };
  dhcp.on('message', handle(dhcp, false));
  pxe.on('message', handle(pxe, true));
  return {
    tftp,
    dhcpPort: dhcp.address().port,
    pxePort: pxe.address().port,
    answered,
    async close() {
      await Promise.all([new Promise<void>((r) => dhcp.close(() => r())), new Promise<void>((r) => pxe.close(() => r())), tftp.close()]);
    },
  };
}
