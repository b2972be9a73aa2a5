/**
 * The PXE responder's pieces (src/server/pxe/, docs/network-boot.md) over real UDP sockets on the
 * loopback: DHCP messages as PXE firmware and iPXE send them (encoded, decoded, the options that
 * matter), the boot file by client (iPXE user class, option 93), the proxyDHCP offer (no lease,
 * option 43 PXE_DISCOVERY_CONTROL = 8 so EDK2 does not take it for a BINL offer), the port-4011
 * ACK, full-DHCP leases; and the TFTP server — blksize and tsize, OVMF's tsize probe then abort,
 * files confined to the root, writes refused.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientArch,
  clientUuid,
  decodeDhcp,
  DhcpPacketError,
  encodeDhcp,
  isIpxe,
  isPxeClient,
  macOf,
  messageType,
  OPTION,
  type DhcpPacket,
} from '../../src/server/pxe/dhcp-packet.js';
import { bootFileFor, startPxeResponder, type RunningPxeResponder } from '../../src/server/pxe/responder.js';
import { decodeRequest, encodeRequest, startTftpServer, TFTP_ERROR, type RunningTftp } from '../../src/server/pxe/tftp.js';
import { tempDir } from '../helpers/temp.js';

const MAC = Buffer.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
const GUID_BYTES = Buffer.from('33221100554477668899aabbccddeeff', 'hex'); // SMBIOS order: the first three fields little-endian

/** A DHCP request as EDK2's PXE stack or iPXE sends it. */
function request(type: number, extra: Array<[number, Buffer]> = [], fields: Partial<DhcpPacket> = {}): DhcpPacket {
  const options = new Map<number, Buffer>([[OPTION.messageType, Buffer.from([type])]]);
  for (const [code, value] of extra) options.set(code, value);
  return {
    op: 1,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: 0x1234abcd,
    secs: 4,
    flags: 0x8000,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    chaddr: MAC,
    sname: '',
    file: '',
    options,
    ...fields,
  };
}
const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
const PXE_UEFI: Array<[number, Buffer]> = [
  [OPTION.vendorClass, Buffer.from('PXEClient:Arch:00007:UNDI:003016')],
  [OPTION.clientArch, u16(7)],
  [OPTION.clientNdi, Buffer.from([1, 3, 16])],
  [OPTION.clientUuid, Buffer.concat([Buffer.from([0]), GUID_BYTES])],
  [OPTION.parameterList, Buffer.from([1, 3, 43, 60, 66, 67, 97])],
];
const PXE_BIOS: Array<[number, Buffer]> = [
  [OPTION.vendorClass, Buffer.from('PXEClient:Arch:00000:UNDI:002001')],
  [OPTION.clientArch, u16(0)],
];
const IPXE: Array<[number, Buffer]> = [...PXE_BIOS, [OPTION.userClass, Buffer.from([4, ...Buffer.from('iPXE')])]];

describe('DHCP messages', () => {
  it('round-trips a PXE client DISCOVER and reads MAC, architecture, vendor class, UUID and message type', () => {
    const bytes = encodeDhcp(request(1, PXE_UEFI));
    expect(bytes.length).toBeGreaterThanOrEqual(300);
    const p = decodeDhcp(bytes);
    expect(p).toMatchObject({ op: 1, xid: 0x1234abcd, flags: 0x8000, hlen: 6 });
    expect(messageType(p)).toBe('discover');
    expect(macOf(p)).toBe('52:54:00:12:34:56');
    expect(clientArch(p)).toBe(7);
    expect(isPxeClient(p)).toBe(true);
    expect(isIpxe(p)).toBe(false);
    expect(clientUuid(p)).toBe('00112233-4455-6677-8899-AABBCCDDEEFF');
    expect(isIpxe(decodeDhcp(encodeDhcp(request(1, IPXE))))).toBe(true);
  });

  it('splits and joins long options (RFC 3396) and refuses malformed messages', () => {
    const long = randomBytes(600);
    const p = decodeDhcp(encodeDhcp(request(1, [[OPTION.vendorSpecific, long]])));
    expect(p.options.get(OPTION.vendorSpecific)!.equals(long)).toBe(true);
    expect(() => decodeDhcp(Buffer.alloc(100))).toThrow(DhcpPacketError);
    const noCookie = encodeDhcp(request(1));
    noCookie.writeUInt32BE(0, 236);
    expect(() => decodeDhcp(noCookie)).toThrow(/magic cookie/);
    const overrun = Buffer.concat([encodeDhcp(request(1)).subarray(0, 240), Buffer.from([60, 200, 1, 2])]);
    expect(() => decodeDhcp(overrun)).toThrow(/runs past the end/);
  });

  it('gives iPXE the script, UEFI x64 snponly.efi, BIOS undionly.kpxe, and nothing to other architectures', () => {
    expect(bootFileFor(request(1, IPXE))!.file).toBe('pxe.ipxe');
    expect(bootFileFor(request(1, PXE_UEFI))!.file).toBe('snponly.efi');
    expect(bootFileFor(request(1, [[OPTION.clientArch, u16(9)]]))!.file).toBe('snponly.efi');
    expect(bootFileFor(request(1, PXE_BIOS))!.file).toBe('undionly.kpxe');
    expect(bootFileFor(request(1, [[OPTION.clientArch, u16(11)]]))).toBeUndefined();
  });
});

/** A client socket on the loopback that collects what arrives. */
async function client(): Promise<{ socket: Socket; port: number; next(ms?: number): Promise<{ msg: Buffer; port: number } | undefined> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const queue: Array<{ msg: Buffer; port: number }> = [];
  const waiters: Array<(v: { msg: Buffer; port: number }) => void> = [];
  socket.on('message', (msg, rinfo) => {
    const w = waiters.shift();
    if (w) w({ msg, port: rinfo.port });
    else queue.push({ msg, port: rinfo.port });
  });
  return {
    socket,
    port: socket.address().port,
    next: (ms = 2000) =>
      queue.length
        ? Promise.resolve(queue.shift())
        : new Promise((resolve) => {
            const t = setTimeout(() => {
              waiters.splice(waiters.indexOf(done), 1);
              resolve(undefined);
            }, ms);
            const done = (v: { msg: Buffer; port: number }) => {
              clearTimeout(t);
              resolve(v);
            };
            waiters.push(done);
          }),
  };
}

describe('the responder on the loopback', () => {
  let root: string;
  let proxy: RunningPxeResponder;
  let full: RunningPxeResponder;
  let c: Awaited<ReturnType<typeof client>>;

  beforeAll(async () => {
    root = tempDir('osd-pxe-root-');
    writeFileSync(join(root, 'pxe.ipxe'), '#!ipxe\n');
    c = await client();
    const common = {
      address: '127.0.0.1',
      tftpRoot: root,
      bindAddress: '127.0.0.1',
      dhcpPort: 0,
      pxePort: 0,
      tftpPort: 0,
      clientPort: c.port,
      broadcastAddress: '127.0.0.1',
    };
    proxy = await startPxeResponder({ ...common, mode: 'proxy' });
    full = await startPxeResponder({
      ...common,
      mode: 'dhcp',
      pool: { first: '192.168.77.100', last: '192.168.77.101', subnetMask: '255.255.255.0', router: '192.168.77.1' },
    });
  });
  afterAll(async () => {
    c?.socket.close();
    await proxy?.close();
    await full?.close();
  });

  const ask = async (port: number, p: DhcpPacket) => {
    c.socket.send(encodeDhcp(p), port, '127.0.0.1');
    const got = await c.next(1000);
    return got && decodeDhcp(got.msg);
  };

  it('proxy mode: offers no address, names itself and the boot file, with option 43 PXE_DISCOVERY_CONTROL = 8', async () => {
    const offer = (await ask(proxy.dhcpPort, request(1, PXE_UEFI)))!;
    expect(offer).toBeDefined();
    expect(messageType(offer)).toBe('offer');
    expect(offer).toMatchObject({ op: 2, xid: 0x1234abcd, yiaddr: '0.0.0.0', siaddr: '127.0.0.1', file: 'snponly.efi' });
    expect(macOf(offer)).toBe('52:54:00:12:34:56');
    expect(offer.options.get(OPTION.vendorClass)!.toString()).toBe('PXEClient');
    expect([...offer.options.get(OPTION.vendorSpecific)!]).toEqual([6, 1, 8, 255]);
    expect(offer.options.get(OPTION.serverId)!.join('.')).toBe('127.0.0.1');
    expect(offer.options.get(OPTION.bootFile)!.toString()).toBe('snponly.efi');
    expect(clientUuid(offer)).toBe('00112233-4455-6677-8899-AABBCCDDEEFF');
    expect(offer.options.has(OPTION.leaseTime)).toBe(false);
    // iPXE then gets the script; a REQUEST to port 4011 is acknowledged to its sender.
    expect((await ask(proxy.dhcpPort, request(1, IPXE)))!.file).toBe('pxe.ipxe');
    const ack = (await ask(proxy.pxePort, request(3, PXE_BIOS, { ciaddr: '192.168.77.50' })))!;
    expect(messageType(ack)).toBe('ack');
    expect(ack.file).toBe('undionly.kpxe');
  });

  it('proxy mode leaves everyone else to the network’s DHCP server', async () => {
    expect(await ask(proxy.dhcpPort, request(1))).toBeUndefined();
    expect(await ask(proxy.dhcpPort, request(3, PXE_UEFI))).toBeUndefined(); // a REQUEST on 67 is for the real DHCP server
    expect(
      await ask(
        proxy.dhcpPort,
        request(1, [
          [OPTION.vendorClass, Buffer.from('PXEClient:Arch:00011')],
          [OPTION.clientArch, u16(11)],
        ]),
      ),
    ).toBeUndefined();
  });

  it('dhcp mode: leases from the pool by MAC (PXE clients with the boot file, others a plain lease) until it is exhausted', async () => {
    const offer = (await ask(full.dhcpPort, request(1, PXE_UEFI)))!;
    expect(offer).toMatchObject({ yiaddr: '192.168.77.100', file: 'snponly.efi' });
    expect(offer.options.get(OPTION.subnetMask)!.join('.')).toBe('255.255.255.0');
    expect(offer.options.get(OPTION.router)!.join('.')).toBe('192.168.77.1');
    const ack = (await ask(full.dhcpPort, request(3, PXE_UEFI, {})))!;
    expect(messageType(ack)).toBe('ack');
    expect(ack.yiaddr).toBe('192.168.77.100');
    // The boot environment's own DHCP client (no PXEClient) gets the same lease, without PXE options.
    const plain = (await ask(full.dhcpPort, request(1)))!;
    expect(plain).toMatchObject({ yiaddr: '192.168.77.100', file: '' });
    expect(plain.options.has(OPTION.vendorSpecific)).toBe(false);
    const other = (await ask(full.dhcpPort, request(1, PXE_BIOS, { chaddr: Buffer.from([2, 0, 0, 0, 0, 2]) })))!;
    expect(other.yiaddr).toBe('192.168.77.101');
    expect(await ask(full.dhcpPort, request(1, PXE_BIOS, { chaddr: Buffer.from([2, 0, 0, 0, 0, 3]) }))).toBeUndefined();
    // A REQUEST for an address that is not the client's lease is not acknowledged.
    expect(await ask(full.dhcpPort, request(3, [...PXE_UEFI, [50, Buffer.from([192, 168, 77, 9])]]))).toBeUndefined();
  });
});

/** A TFTP read as PXE firmware does it. */
async function tftpGet(
  server: RunningTftp,
  file: string,
  options: Record<string, string> = {},
  abortAfterOack = false,
): Promise<{ data?: Buffer; oack?: Record<string, string>; error?: { code: number; message: string } }> {
  const c = await client();
  try {
    c.socket.send(encodeRequest({ op: 'rrq', file, mode: 'octet', options: new Map(Object.entries(options)) }), server.port, '127.0.0.1');
    const parts: Buffer[] = [];
    let oack: Record<string, string> | undefined;
    const blksize = Number(options.blksize ?? 512);
    for (;;) {
      const got = await c.next(3000);
      if (!got) throw new Error('no answer');
      const op = got.msg.readUInt16BE(0);
      if (op === 5) return { error: { code: got.msg.readUInt16BE(2), message: got.msg.subarray(4, got.msg.length - 1).toString() }, oack };
      if (op === 6) {
        const f = got.msg.subarray(2).toString('latin1').split('\0');
        oack = {};
        for (let i = 0; i + 1 < f.length; i += 2) oack[f[i]!] = f[i + 1]!;
        if (abortAfterOack) {
          c.socket.send(Buffer.concat([Buffer.from([0, 5, 0, 8]), Buffer.from('tsize only\0')]), got.port, '127.0.0.1');
          return { oack };
        }
        c.socket.send(Buffer.from([0, 4, 0, 0]), got.port, '127.0.0.1');
        continue;
      }
      const block = got.msg.readUInt16BE(2);
      const data = got.msg.subarray(4);
      parts.push(data);
      c.socket.send(Buffer.from([0, 4, block >> 8, block & 255]), got.port, '127.0.0.1');
      if (data.length < (oack?.blksize ? Number(oack.blksize) : blksize === 512 ? 512 : blksize)) return { data: Buffer.concat(parts), oack };
    }
  } finally {
    c.socket.close();
  }
}

describe('TFTP', () => {
  let root: string;
  let outside: string;
  let server: RunningTftp;
  const payload = randomBytes(1468 * 3 + 100);

  beforeAll(async () => {
    root = tempDir('osd-tftp-');
    outside = tempDir('osd-tftp-outside-');
    writeFileSync(join(root, 'snponly.efi'), payload);
    writeFileSync(join(root, 'exact.bin'), randomBytes(1024)); // a multiple of 512: ends with an empty block
    mkdirSync(join(root, 'sub'));
    writeFileSync(join(outside, 'secret'), 'not for TFTP');
    symlinkSync(join(outside, 'secret'), join(root, 'sub', 'link'));
    server = await startTftpServer({ root, address: '127.0.0.1', port: 0, timeoutSeconds: 1 });
  });
  afterAll(async () => server?.close());

  it('sends a file with blksize and tsize, as OVMF asks, after its tsize probe and abort', async () => {
    const probe = await tftpGet(server, 'snponly.efi', { tsize: '0' }, true);
    expect(probe.oack).toEqual({ tsize: String(payload.length) });
    const r = await tftpGet(server, '/snponly.efi', { blksize: '1468', tsize: '0' });
    expect(r.oack).toEqual({ blksize: '1468', tsize: String(payload.length) });
    expect(r.data!.equals(payload)).toBe(true);
  });

  it('sends plain 512-byte blocks without options, with a final empty block for an exact multiple', async () => {
    const r = await tftpGet(server, 'snponly.efi');
    expect(r.oack).toBeUndefined();
    expect(r.data!.equals(payload)).toBe(true);
    const exact = await tftpGet(server, 'exact.bin');
    expect(exact.data!.length).toBe(1024);
  });

  it('refuses names outside the root, a link leading out, a missing file and writes', async () => {
    expect((await tftpGet(server, '../etc/passwd')).error).toMatchObject({ code: TFTP_ERROR.accessViolation });
    expect((await tftpGet(server, 'sub/../../secret')).error).toMatchObject({ code: TFTP_ERROR.accessViolation });
    expect((await tftpGet(server, 'sub/link')).error).toMatchObject({
      code: TFTP_ERROR.accessViolation,
      message: expect.stringContaining('outside the TFTP root'),
    });
    expect((await tftpGet(server, 'nope.efi')).error).toMatchObject({ code: TFTP_ERROR.notFound });
    expect((await tftpGet(server, 'sub')).error).toMatchObject({ code: TFTP_ERROR.notFound });
    const c = await client();
    try {
      c.socket.send(encodeRequest({ op: 'wrq', file: 'new.efi', mode: 'octet', options: new Map() }), server.port, '127.0.0.1');
      const got = (await c.next())!;
      expect(got.msg.readUInt16BE(2)).toBe(TFTP_ERROR.accessViolation);
    } finally {
      c.socket.close();
    }
    expect(decodeRequest(encodeRequest({ op: 'rrq', file: 'a', mode: 'octet', options: new Map([['blksize', '1468']]) })).options.get('blksize')).toBe('1468');
  });
});
