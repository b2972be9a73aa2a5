/**
 * DHCP/BOOTP messages (RFC 2131, RFC 2132) with the PXE options (RFC 4578; the PXE 2.1
 * specification's vendor options in option 43), read and written as bytes. Pure: no sockets.
 */

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
/** PXE boot server discovery (the "proxyDHCP REQUEST" EDK2 and other PXE ROMs send after a proxy offer). */
export const PXE_DISCOVERY_PORT = 4011;

const MAGIC = 0x63825363;
const FIXED = 236; // op … file
export const MIN_PACKET = FIXED + 4;

export const MESSAGE = { discover: 1, offer: 2, request: 3, decline: 4, ack: 5, nak: 6, release: 7, inform: 8 } as const;
export type MessageType = keyof typeof MESSAGE;
const MESSAGE_NAMES = Object.fromEntries(Object.entries(MESSAGE).map(([k, v]) => [v, k])) as Record<number, MessageType>;

export const OPTION = {
  pad: 0,
  subnetMask: 1,
  router: 3,
  hostName: 12,
  leaseTime: 51,
  messageType: 53,
  serverId: 54,
  parameterList: 55,
  maxMessageSize: 57,
  vendorClass: 60,
  clientId: 61,
  tftpServer: 66,
  bootFile: 67,
  vendorSpecific: 43,
  userClass: 77,
  clientArch: 93,
  clientNdi: 94,
  clientUuid: 97,
  end: 255,
} as const;

/** RFC 4578 §2.1 client system architecture types (option 93) that matter here. */
export const CLIENT_ARCH = { biosX86: 0, efiIa32: 6, efiBc: 7, efiX64: 9, efiArm64: 11, efiX64Http: 16 } as const;

/** PXE vendor option 43 sub-option 6 (PXE_DISCOVERY_CONTROL); 8 = boot from the file name given, no boot server discovery. */
export const PXE_DISCOVERY_CONTROL = 6;

export interface DhcpPacket {
  op: 1 | 2; // 1 request, 2 reply
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** The client's hardware address (hlen bytes). */
  chaddr: Buffer;
  sname: string;
  file: string;
  /** Options by code, raw bytes, in the order read (pad and end left out). */
  options: Map<number, Buffer>;
}

export class DhcpPacketError extends Error {}

function ip(b: Buffer, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

function writeIp(b: Buffer, at: number, text: string): void {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new DhcpPacketError(`"${text}" is not an IPv4 address`);
  parts.forEach((p, i) => (b[at + i] = p));
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('latin1');
}

export function decodeDhcp(buf: Buffer): DhcpPacket {
  if (buf.length < MIN_PACKET) throw new DhcpPacketError(`${buf.length} bytes: shorter than a DHCP message (${MIN_PACKET})`);
  if (buf.readUInt32BE(FIXED) !== MAGIC) throw new DhcpPacketError('no DHCP magic cookie: a plain BOOTP message');
  const op = buf[0];
  if (op !== 1 && op !== 2) throw new DhcpPacketError(`op ${op} is neither request (1) nor reply (2)`);
  const hlen = Math.min(buf[2]!, 16);
  const options = new Map<number, Buffer>();
  let at = FIXED + 4;
  while (at < buf.length) {
    const code = buf[at]!;
    if (code === OPTION.pad) {
      at++;
      continue;
    }
    if (code === OPTION.end) break;
    if (at + 1 >= buf.length) throw new DhcpPacketError(`option ${code} has no length`);
    const len = buf[at + 1]!;
    if (at + 2 + len > buf.length) throw new DhcpPacketError(`option ${code} runs past the end of the message`);
    const value = buf.subarray(at + 2, at + 2 + len);
    // RFC 3396: an option given twice is one long option.
    const prior = options.get(code);
    options.set(code, prior ? Buffer.concat([prior, value]) : Buffer.from(value));
    at += 2 + len;
  }
  return {
    op,
    htype: buf[1]!,
    hlen,
    hops: buf[3]!,
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: ip(buf, 12),
    yiaddr: ip(buf, 16),
    siaddr: ip(buf, 20),
    giaddr: ip(buf, 24),
    chaddr: Buffer.from(buf.subarray(28, 28 + hlen)),
    sname: cString(buf.subarray(44, 108)),
    file: cString(buf.subarray(108, 236)),
    options,
  };
}

export function encodeDhcp(p: DhcpPacket): Buffer {
  const opts: Buffer[] = [];
  for (const [code, value] of p.options) {
    // Long values are split into several options of the same code (RFC 3396).
    for (let i = 0; i < Math.max(value.length, 1); i += 255) {
      const part = value.subarray(i, i + 255);
      opts.push(Buffer.from([code, part.length]), part);
    }
  }
  const head = Buffer.alloc(FIXED + 4);
  head[0] = p.op;
  head[1] = p.htype;
  head[2] = p.hlen;
  head[3] = p.hops;
  head.writeUInt32BE(p.xid >>> 0, 4);
  head.writeUInt16BE(p.secs, 8);
  head.writeUInt16BE(p.flags, 10);
  writeIp(head, 12, p.ciaddr);
  writeIp(head, 16, p.yiaddr);
  writeIp(head, 20, p.siaddr);
  writeIp(head, 24, p.giaddr);
  p.chaddr.copy(head, 28, 0, Math.min(16, p.chaddr.length));
  if (Buffer.byteLength(p.sname, 'latin1') > 63) throw new DhcpPacketError('server name longer than 63 bytes');
  if (Buffer.byteLength(p.file, 'latin1') > 127) throw new DhcpPacketError(`boot file name longer than 127 bytes: ${p.file}`);
  head.write(p.sname, 44, 'latin1');
  head.write(p.file, 108, 'latin1');
  head.writeUInt32BE(MAGIC, FIXED);
  const out = Buffer.concat([head, ...opts, Buffer.from([OPTION.end])]);
  // Some PXE ROMs ignore replies shorter than a BOOTP message (300 bytes).
  return out.length >= 300 ? out : Buffer.concat([out, Buffer.alloc(300 - out.length)]);
}

export function messageType(p: DhcpPacket): MessageType | undefined {
  const v = p.options.get(OPTION.messageType);
  return v && v.length === 1 ? MESSAGE_NAMES[v[0]!] : undefined;
}

export function macOf(p: DhcpPacket): string {
  return [...p.chaddr.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

/** Option 93's first architecture type, if given. */
export function clientArch(p: DhcpPacket): number | undefined {
  const v = p.options.get(OPTION.clientArch);
  return v && v.length >= 2 ? v.readUInt16BE(0) : undefined;
}

/** Option 60 starts with "PXEClient" (a PXE ROM or iPXE asking for a boot file). */
export function isPxeClient(p: DhcpPacket): boolean {
  return (p.options.get(OPTION.vendorClass)?.toString('latin1') ?? '').startsWith('PXEClient');
}

/** Option 77 holds the user class "iPXE" (iPXE itself asking: give it the script). */
export function isIpxe(p: DhcpPacket): boolean {
  const v = p.options.get(OPTION.userClass);
  if (!v) return false;
  // RFC 3004 form (length-prefixed items) or iPXE's plain string.
  if (v.toString('latin1') === 'iPXE') return true;
  for (let i = 0; i < v.length;) {
    const len = v[i]!;
    if (v.subarray(i + 1, i + 1 + len).toString('latin1') === 'iPXE') return true;
    i += 1 + len;
  }
  return false;
}

/** Option 97 (client machine identifier): type 0 + the 16-byte GUID, as 8-4-4-4-12 (SMBIOS byte order: the first three fields little-endian). */
export function clientUuid(p: DhcpPacket): string | undefined {
  const v = p.options.get(OPTION.clientUuid);
  if (!v || v.length !== 17 || v[0] !== 0) return undefined;
  const g = v.subarray(1);
  const hex = (b: Buffer) => b.toString('hex').toUpperCase();
  const le = (b: Buffer) => hex(Buffer.from(b).reverse());
  return `${le(g.subarray(0, 4))}-${le(g.subarray(4, 6))}-${le(g.subarray(6, 8))}-${hex(g.subarray(8, 10))}-${hex(g.subarray(10, 16))}`;
}

export function ipOption(address: string): Buffer {
  const b = Buffer.alloc(4);
  writeIp(b, 0, address);
  return b;
}

export function u32Option(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** Option 43 for a PXE client: PXE_DISCOVERY_CONTROL = 8 (use the boot file given; no discovery, no menu). */
export function pxeVendorOptions(): Buffer {
  return Buffer.from([PXE_DISCOVERY_CONTROL, 1, 8, OPTION.end]);
}
