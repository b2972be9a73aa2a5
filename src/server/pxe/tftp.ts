/**
 * A read-only TFTP server (RFC 1350) with the option extension (RFC 2347), blksize (RFC 2348) and
 * tsize (RFC 2349) — what PXE firmware uses to fetch the network boot program (netboot.md §4: OVMF
 * first asks for tsize, aborts, then downloads with blksize 1468). Files are served from one root
 * folder only: the name is resolved inside it, `..`, absolute names and symbolic links leading
 * outside are refused (access violation); writes are refused. Each transfer runs on its own port
 * (the transfer identifier) and is retransmitted on time-out.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, normalize, resolve, sep } from 'node:path';

export const TFTP_PORT = 69;
const OP = { rrq: 1, wrq: 2, data: 3, ack: 4, error: 5, oack: 6 } as const;
export const TFTP_ERROR = {
  undefined: 0,
  notFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTid: 5,
  exists: 6,
  noUser: 7,
  badOption: 8,
} as const;

const DEFAULT_BLKSIZE = 512;
const MAX_BLKSIZE = 65464;
const MIN_BLKSIZE = 8;

export interface TftpServerOptions {
  root: string;
  /** Address to listen on (default 0.0.0.0). */
  address?: string;
  /** Port (default 69; 0 = any, for tests). */
  port?: number;
  /** Seconds before a block is sent again (default 1), and how many tries (default 5). */
  timeoutSeconds?: number;
  retries?: number;
  /** Most transfers at once (default 64). */
  maxTransfers?: number;
  log?: (line: string) => void;
}

export interface TftpRequest {
  op: 'rrq' | 'wrq';
  file: string;
  mode: string;
  options: Map<string, string>;
}

export function decodeRequest(buf: Buffer): TftpRequest {
  if (buf.length < 4) throw new Error('shorter than a TFTP request');
  const opcode = buf.readUInt16BE(0);
  if (opcode !== OP.rrq && opcode !== OP.wrq) throw new Error(`opcode ${opcode} is not a request`);
  const fields: string[] = [];
  let at = 2;
  while (at < buf.length) {
    const end = buf.indexOf(0, at);
    if (end < 0) throw new Error('a request field is not NUL-terminated');
    fields.push(buf.subarray(at, end).toString('latin1'));
    at = end + 1;
  }
  if (fields.length < 2) throw new Error('a request names a file and a mode');
  const options = new Map<string, string>();
  for (let i = 2; i + 1 < fields.length; i += 2) options.set(fields[i]!.toLowerCase(), fields[i + 1]!);
  return { op: opcode === OP.rrq ? 'rrq' : 'wrq', file: fields[0]!, mode: fields[1]!.toLowerCase(), options };
}

export function encodeRequest(r: TftpRequest): Buffer {
  const parts = [r.file, r.mode, ...[...r.options].flat()].map((s) => Buffer.concat([Buffer.from(s, 'latin1'), Buffer.alloc(1)]));
  const head = Buffer.alloc(2);
  head.writeUInt16BE(r.op === 'rrq' ? OP.rrq : OP.wrq);
  return Buffer.concat([head, ...parts]);
}

export function errorPacket(code: number, message: string): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(OP.error);
  b.writeUInt16BE(code, 2);
  return Buffer.concat([b, Buffer.from(message, 'latin1'), Buffer.alloc(1)]);
}

function dataPacket(block: number, data: Buffer): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(OP.data);
  b.writeUInt16BE(block & 0xffff, 2);
  return Buffer.concat([b, data]);
}

function oackPacket(options: Map<string, string>): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(OP.oack);
  return Buffer.concat([b, ...[...options].flat().map((s) => Buffer.concat([Buffer.from(s, 'latin1'), Buffer.alloc(1)]))]);
}

/** The file a request names, inside `root`, or why not (an access violation). */
export async function confine(root: string, name: string): Promise<{ path: string } | { refused: string }> {
  // PXE clients send names with either slash, sometimes with a leading one: relative to the root.
  const clean = name.replace(/\\/g, '/').replace(/^\/+/, '');
  if (clean === '' || clean.includes('\0')) return { refused: 'no file name' };
  const rel = normalize(clean);
  if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) return { refused: `${name} is outside the TFTP root` };
  const realRoot = await realpath(root);
  const path = resolve(realRoot, rel);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return { path }; // does not exist: "file not found" when opened
  }
  if (real !== realRoot && !real.startsWith(realRoot + sep)) return { refused: `${name} leads outside the TFTP root` };
  return { path: real };
}

export interface RunningTftp {
  port: number;
  address: string;
  close(): Promise<void>;
  /** Transfers completed and refused since start. */
  stats: { sent: number; refused: number };
}

export async function startTftpServer(options: TftpServerOptions): Promise<RunningTftp> {
  const root = resolve(options.root);
  const timeoutMs = (options.timeoutSeconds ?? 1) * 1000;
  const retries = options.retries ?? 5;
  const maxTransfers = options.maxTransfers ?? 64;
  const log = options.log ?? (() => {});
  const transfers = new Set<Socket>();
  const stats = { sent: 0, refused: 0 };
  const server = createSocket({ type: 'udp4', reuseAddr: true });

  const refuse = (socket: Socket, to: RemoteInfo, code: number, message: string, then?: () => void): void => {
    stats.refused++;
    log(`tftp: ${to.address}:${to.port}: ${message}`);
    // The socket of a refused transfer closes once the error is out.
    socket.send(errorPacket(code, message), to.port, to.address, () => then?.());
  };

  server.on('message', (msg, rinfo) => {
    let req: TftpRequest;
    try {
      req = decodeRequest(msg);
    } catch (e) {
      refuse(server, rinfo, TFTP_ERROR.illegalOperation, (e as Error).message);
      return;
    }
    if (req.op === 'wrq') return refuse(server, rinfo, TFTP_ERROR.accessViolation, 'this TFTP server is read-only');
    if (req.mode !== 'octet' && req.mode !== 'netascii') return refuse(server, rinfo, TFTP_ERROR.illegalOperation, `mode ${req.mode} is not supported`);
    if (transfers.size >= maxTransfers) return refuse(server, rinfo, TFTP_ERROR.undefined, 'too many transfers at once; try again');
    void serve(req, rinfo);
  });

  async function serve(req: TftpRequest, to: RemoteInfo): Promise<void> {
    const socket = createSocket('udp4');
    transfers.add(socket);
    const done = (): void => {
      transfers.delete(socket);
      try {
        socket.close();
      } catch {
        /* closed already */
      }
    };
    await new Promise<void>((res) => socket.bind(0, options.address ?? '0.0.0.0', () => res()));
    const where = await confine(root, req.file);
    if ('refused' in where) {
      return refuse(socket, to, TFTP_ERROR.accessViolation, where.refused, done);
    }
    let handle;
    try {
      handle = await open(where.path, 'r');
      if (!(await handle.stat()).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    } catch (e) {
      await handle?.close().catch(() => {});
      return refuse(socket, to, TFTP_ERROR.notFound, `${req.file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'not a file'}`, done);
    }
    const size = (await handle.stat()).size;
    // Options we accept, echoed in the OACK (RFC 2347); others are left out.
    const accepted = new Map<string, string>();
    let blksize = DEFAULT_BLKSIZE;
    const askedBlk = req.options.get('blksize');
    if (askedBlk !== undefined && /^\d+$/.test(askedBlk)) {
      blksize = Math.min(Math.max(Number(askedBlk), MIN_BLKSIZE), MAX_BLKSIZE);
      accepted.set('blksize', String(blksize));
    }
    if (req.options.has('tsize')) accepted.set('tsize', String(size));
    const askedTimeout = req.options.get('timeout');
    let waitMs = timeoutMs;
    if (askedTimeout !== undefined && /^\d+$/.test(askedTimeout) && Number(askedTimeout) >= 1 && Number(askedTimeout) <= 255) {
      waitMs = Number(askedTimeout) * 1000;
      accepted.set('timeout', askedTimeout);
    }
    const blocks = Math.floor(size / blksize) + 1; // the last block is shorter than blksize (maybe empty)
    let acked = accepted.size ? -1 : 0; // -1: waiting for the ACK of the OACK (block 0)
    let current: Buffer | undefined;
    let block = accepted.size ? 0 : 1;
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;

    const read = async (n: number): Promise<Buffer> => {
      const buf = Buffer.alloc(blksize);
      const { bytesRead } = await handle.read(buf, 0, blksize, (n - 1) * blksize);
      return buf.subarray(0, bytesRead);
    };
    let finished = false;
    const finish = async (): Promise<void> => {
      finished = true;
      if (timer) clearTimeout(timer);
      await handle.close().catch(() => {});
      done();
    };
    const send = (): void => {
      if (finished) return;
      socket.send(current!, to.port, to.address);
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        if (++tries > retries) {
          log(`tftp: ${to.address}:${to.port}: ${req.file}: no acknowledgement after ${retries} retries; transfer abandoned`);
          void finish();
          return;
        }
        send();
      }, waitMs);
    };
    const sendBlock = async (n: number): Promise<void> => {
      block = n;
      tries = 0;
      current = dataPacket(n, await read(n));
      send();
    };

    socket.on('message', (msg, rinfo) => {
      if (rinfo.address !== to.address || rinfo.port !== to.port) {
        socket.send(errorPacket(TFTP_ERROR.unknownTid, 'unknown transfer ID'), rinfo.port, rinfo.address);
        return;
      }
      if (msg.length < 4) return;
      const op = msg.readUInt16BE(0);
      if (op === OP.error) {
        // OVMF asks for tsize, then aborts with an error before the real download: not a failure.
        log(`tftp: ${to.address}:${to.port}: ${req.file}: the client ended the transfer (${msg.subarray(4, msg.length - 1).toString('latin1')})`);
        void finish();
        return;
      }
      if (op !== OP.ack) return;
      const n = msg.readUInt16BE(2);
      if (n !== (block & 0xffff)) return; // a duplicate ACK: the timer resends
      acked = block;
      if (acked >= blocks) {
        stats.sent++;
        log(`tftp: ${to.address}:${to.port}: sent ${req.file} (${size} bytes, blksize ${blksize})`);
        void finish();
        return;
      }
      void sendBlock(block + 1);
    });

    if (accepted.size) {
      current = oackPacket(accepted);
      block = 0;
      send();
    } else await sendBlock(1);
  }

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.bind(options.port ?? TFTP_PORT, options.address ?? '0.0.0.0', () => {
      server.off('error', rej);
      res();
    });
  });
  const addr = server.address();
  return {
    port: addr.port,
    address: addr.address,
    stats,
    async close() {
      for (const s of transfers) {
        try {
          s.close();
        } catch {
          /* closed */
        }
      }
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
