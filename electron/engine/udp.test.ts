import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorInfo } from '../../shared/result';
import { runUnprivileged, unprivilegedSkipReason } from './testing/unprivileged';
import { formatPeer, multicastInterfaces, UdpEndpoint, type UdpBindOptions, type UdpPeer } from './udp';

// Every socket and process a test opens is registered here and torn down after it, pass or fail.
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch {
      // keep tearing down the rest
    }
  }
});

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deterministic bytes, the same formula as the Python peers use. */
function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + n + seed) & 255;
  return out;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

// ---------------------------------------------------------------------------------------------
// Peers: Python's socket module

const PY_PATTERN = 'def pattern(n, seed): return bytes(((i * 31 + n + seed) & 255) for i in range(n))\n';

/** Binds next to host, prints its port, sends datagrams of the given sizes; with "reply", prints the answer it gets. */
const PY_SENDER = `import socket, sys
${PY_PATTERN}
host, port, sizes, seed = sys.argv[1], int(sys.argv[2]), [int(x) for x in sys.argv[3].split(',')], int(sys.argv[4])
s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, 0))
print(s.getsockname()[1], flush=True)
for n in sizes:
    s.sendto(pattern(n, seed), (host, port))
if len(sys.argv) > 5:
    s.settimeout(10)
    data, addr = s.recvfrom(65535)
    print(data.hex(), addr[1], flush=True)
s.close()
`;

/** Binds on host, prints its port, then one line per datagram: size, sha256, sender port. */
const PY_RECEIVER = `import socket, sys, hashlib
host, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, 0))
print(s.getsockname()[1], flush=True)
s.settimeout(15)
for _ in range(count):
    data, addr = s.recvfrom(65535)
    print(len(data), hashlib.sha256(data).hexdigest(), addr[1], flush=True)
s.close()
`;

/** Holds a UDP port on 127.0.0.1 (with SO_REUSEADDR when asked) until its stdin closes. */
const PY_HOLDER = `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if sys.argv[1] == 'reuse':
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0))
print(s.getsockname()[1], flush=True)
sys.stdin.read()
`;

interface Py {
  proc: ChildProcess;
  line(): Promise<string>;
}

function python(script: string, args: Array<string | number>): Py {
  const proc = spawn('python3', ['-c', script, ...args.map(String)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  let buffered = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const l = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  proc.stderr!.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  cleanups.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  });
  return {
    proc,
    line: () =>
      new Promise<string>((resolve, reject) => {
        const l = lines.shift();
        if (l !== undefined) return resolve(l);
        const timer = setTimeout(() => reject(new Error(`python peer said nothing within 10 s; stderr: ${stderr}`)), 10_000);
        waiters.push((x) => {
          clearTimeout(timer);
          resolve(x);
        });
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Endpoints under test

interface Opened {
  ep: UdpEndpoint;
  got: Array<{ data: Uint8Array; from: UdpPeer }>;
  errors: ErrorInfo[];
  closes: number;
}

async function open(options: UdpBindOptions, onDatagram?: (data: Uint8Array, from: UdpPeer, ep: UdpEndpoint) => void): Promise<Opened> {
  const o = { got: [], errors: [], closes: 0 } as unknown as Opened;
  o.ep = await UdpEndpoint.bind(options, {
    onDatagram: (data, from) => {
      o.got.push({ data: data.slice(), from });
      onDatagram?.(data, from, o.ep);
    },
    onError: (e) => o.errors.push(e),
    onClose: () => o.closes++,
  });
  cleanups.push(() => o.ep.close());
  return o;
}

/** The rejection of a bind, with its explanation. */
async function bindError(options: UdpBindOptions): Promise<ErrorInfo & { info: ErrorInfo }> {
  try {
    const ep = await UdpEndpoint.bind(options, { onDatagram: () => undefined, onError: () => undefined, onClose: () => undefined });
    cleanups.push(() => ep.close());
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as ErrorInfo & { info: ErrorInfo };
  }
  throw new Error(`binding ${JSON.stringify(options)} succeeded, but it was expected to fail`);
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

// ---------------------------------------------------------------------------------------------
// Can this machine do multicast on its loopback interface? Found out with plain node:dgram, so a
// bug in the module under test can fail its tests but never skip them.

const LO =
  Object.entries(os.networkInterfaces()).find(([, infos]) => infos?.some((i) => i.internal && i.family === 'IPv4'))?.[0] ?? 'lo';
const GROUP4 = '239.255.0.1';
const GROUP6 = 'ff02::1:7a5c';

function loFlags(): string {
  if (process.platform !== 'linux') return '';
  try {
    const flags = Number.parseInt(readFileSync(`/sys/class/net/${LO}/flags`, 'utf8').trim(), 16);
    return flags & 0x1000 ? '' : `${LO} lacks the MULTICAST flag (see ip link show ${LO})`;
  } catch {
    return '';
  }
}

async function probeMulticast(v6: boolean): Promise<{ reason: string; code?: string }> {
  const what = `${v6 ? 'IPv6' : 'IPv4'} multicast on ${LO} is not possible on this machine`;
  const flag = loFlags();
  const sockets: dgram.Socket[] = [];
  const make = (type: 'udp4' | 'udp6') => {
    const s = dgram.createSocket(type);
    s.on('error', () => undefined);
    sockets.push(s);
    return s;
  };
  const bound = (s: dgram.Socket, address: string) => new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind({ address, port: 0 }, () => resolve());
  });
  try {
    const r = make(v6 ? 'udp6' : 'udp4');
    await bound(r, v6 ? `${GROUP6}%${LO}` : GROUP4);
    r.addMembership(v6 ? GROUP6 : GROUP4, v6 ? `::%${LO}` : '127.0.0.1');
    const arrived = new Promise<boolean>((resolve) => {
      r.once('message', () => resolve(true));
      setTimeout(() => resolve(false), 1000);
    });
    const s = make(v6 ? 'udp6' : 'udp4');
    await bound(s, v6 ? '::1' : '127.0.0.1');
    // Only ever through loopback, and with TTL 0 so nothing could leave this host anyway.
    s.setMulticastInterface(v6 ? `::%${LO}` : '127.0.0.1');
    s.setMulticastTTL(0);
    s.setMulticastLoopback(true);
    const sent = await new Promise<Error | null>((resolve) => s.send('probe', r.address().port, v6 ? GROUP6 : GROUP4, (e) => resolve(e)));
    if (sent) {
      const code = (sent as NodeJS.ErrnoException).code;
      const why = flag ? `${flag}, so the kernel has no multicast route on it` : 'the kernel has no multicast route on it';
      return { reason: `${what}: ${why} (sending fails with ${code})`, code };
    }
    if (await arrived) return { reason: '' };
    return { reason: `${what}: a datagram sent to the group through ${LO} never arrived${flag ? ` (${flag})` : ''}` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { reason: `${what}: ${(err as Error).message}${flag ? ` (${flag})` : ''}`, code };
  } finally {
    for (const s of sockets) s.close();
  }
}

const mc4 = await probeMulticast(false);
const mc6 = await probeMulticast(true);
const skipped = (reason: string) => (reason ? ` (skipped: ${reason})` : '');

// ---------------------------------------------------------------------------------------------

describe('UdpEndpoint over IPv4', () => {
  it('delivers each datagram from a Python sender exactly as sent: 5 datagrams, 5 callbacks', async () => {
    const sizes = [1, 100, 1000, 8000, 60000];
    const rx = await open({ host: '127.0.0.1', port: 0 });
    expect(rx.ep.local).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    expect(rx.ep.local.port).toBeGreaterThan(0);
    const py = python(PY_SENDER, ['127.0.0.1', rx.ep.local.port, sizes.join(','), 7]);
    const senderPort = Number(await py.line());
    await until(() => rx.got.length >= sizes.length, '5 datagrams');
    await sleep(300); // anything merged or split would show up as extra callbacks by now
    expect(rx.got.map((g) => g.data.byteLength)).toEqual(sizes);
    rx.got.forEach((g, i) => {
      expect(same(g.data, pattern(sizes[i]!, 7)), `datagram ${i} (${sizes[i]} bytes) differs`).toBe(true);
      expect(g.from).toEqual({ address: '127.0.0.1', port: senderPort, family: 'IPv4' });
    });
    expect(formatPeer(rx.got[0]!.from)).toBe(`127.0.0.1:${senderPort}`);
    expect(rx.errors).toEqual([]);
  });

  it('sends one datagram per send() to a Python receiver, byte for byte, up to the 65,507-byte limit', async () => {
    const sizes = [0, 1, 1500, 65_507];
    const py = python(PY_RECEIVER, ['127.0.0.1', sizes.length]);
    const port = Number(await py.line());
    const tx = await open({ host: '127.0.0.1', port: 0 });
    for (const n of sizes) expect(await tx.ep.send(pattern(n, 3), '127.0.0.1', port)).toBeNull();
    for (const n of sizes) {
      const [len, hash, from] = (await py.line()).split(' ');
      expect(Number(len)).toBe(n);
      expect(hash).toBe(sha256(pattern(n, 3)));
      expect(Number(from)).toBe(tx.ep.local.port);
    }
  });

  it('replies to the sender of a received datagram', async () => {
    const rx = await open({ host: '127.0.0.1', port: 0 }, (data, from, ep) => {
      void ep.send(data.slice().reverse(), from.address, from.port);
    });
    const py = python(PY_SENDER, ['127.0.0.1', rx.ep.local.port, '64', 1, 'reply']);
    await py.line();
    const [hex, from] = (await py.line()).split(' ');
    expect(hex).toBe(Buffer.from(pattern(64, 1).reverse()).toString('hex'));
    expect(Number(from)).toBe(rx.ep.local.port);
  });

  it('resolves a host name to pick the family (localhost)', async () => {
    const rx = await open({ host: 'localhost', port: 0 });
    expect(['127.0.0.1', '::1']).toContain(rx.ep.local.address);
    const tx = await open({ host: 'localhost', port: 0 });
    expect(tx.ep.local.family).toBe(rx.ep.local.family);
    expect(await tx.ep.send(pattern(10), 'localhost', rx.ep.local.port)).toBeNull();
    await until(() => rx.got.length === 1, 'the datagram sent to localhost');
    expect(rx.got[0]!.from).toEqual({ address: rx.ep.local.address, port: tx.ep.local.port, family: rx.ep.local.family });
  });

  it('explains EMSGSIZE with the size and the limit, sends nothing, and still sends 65,507 bytes', async () => {
    const rx = await open({ host: '127.0.0.1', port: 0 });
    const tx = await open({ host: '127.0.0.1', port: 0 });
    const err = await tx.ep.send(new Uint8Array(70_000), '127.0.0.1', rx.ep.local.port);
    expect(err?.code).toBe('EMSGSIZE');
    expect(err?.message).toContain('70,000 bytes');
    expect(err?.message).toContain('65,507 bytes');
    expect(err?.message).toContain(`127.0.0.1:${rx.ep.local.port}`);
    expect(err?.hint).toMatch(/smaller/);
    expect((await tx.ep.send(new Uint8Array(65_508), '127.0.0.1', rx.ep.local.port))?.code).toBe('EMSGSIZE');
    expect(await tx.ep.send(pattern(65_507), '127.0.0.1', rx.ep.local.port)).toBeNull();
    await until(() => rx.got.length === 1, 'the 65,507-byte datagram');
    await sleep(200);
    expect(rx.got).toHaveLength(1);
    expect(same(rx.got[0]!.data, pattern(65_507))).toBe(true);
  });

  it('explains EADDRINUSE when a Python socket holds the port, naming the holder', async () => {
    const py = python(PY_HOLDER, ['plain']);
    const port = Number(await py.line());
    const err = await bindError({ host: '127.0.0.1', port });
    expect(err.info.code).toBe('EADDRINUSE');
    expect(err.code).toBe('EADDRINUSE');
    expect(err.message).toBe(err.info.message);
    expect(err.info.message).toContain(`UDP port ${port} is already in use on 127.0.0.1`);
    expect(err.info.hint).toMatch(/another port/);
    // Linux shows the owner of a socket to the user who started it, which we did.
    if (process.platform === 'linux') expect(err.info.holder, err.info.message).toBeDefined();
    if (err.info.holder) {
      expect(err.info.holder.pid).toBe(py.proc.pid);
      expect(err.info.message).toContain(`pid ${py.proc.pid}`);
    } else {
      expect(err.info.message).toContain(`127.0.0.1:${port}`);
    }
    // Reuse needs both sides to ask for it: this holder did not.
    expect((await bindError({ host: '127.0.0.1', port, reuseAddr: true })).info.code).toBe('EADDRINUSE');
  });

  it('shares a port with a Python socket when both ask for address reuse', async () => {
    const py = python(PY_HOLDER, ['reuse']);
    const port = Number(await py.line());
    expect((await bindError({ host: '127.0.0.1', port })).info.code).toBe('EADDRINUSE');
    const shared = await open({ host: '127.0.0.1', port, reuseAddr: true });
    expect(shared.ep.local.port).toBe(port);
  });

  it('says when the port is held by another endpoint of this app', async () => {
    const first = await open({ host: '127.0.0.1', port: 0 });
    const err = await bindError({ host: '127.0.0.1', port: first.ep.local.port });
    expect(err.info.code).toBe('EADDRINUSE');
    if (err.info.holder) expect(err.info.message).toContain('this app itself');
  });

  it('explains EACCES for a broadcast without the broadcast option (and sends no broadcast)', async () => {
    const tx = await open({ host: '127.0.0.1', port: 0 });
    const err = await tx.ep.send(pattern(4), '255.255.255.255', 9);
    expect(err?.code).toBe('EACCES');
    expect(err?.message).toContain('255.255.255.255:9');
    expect(err?.message).toContain('broadcast');
    expect(err?.hint).toMatch(/broadcast on/i);
    // Switching it on and off again must leave it off. With it on, nothing is sent: a broadcast
    // would leave loopback.
    tx.ep.setBroadcast(true);
    tx.ep.setBroadcast(false);
    expect((await tx.ep.send(pattern(4), '255.255.255.255', 9))?.code).toBe('EACCES');
  });

  it('rejects invalid ports and hosts, and families the socket cannot reach, in words', async () => {
    expect((await bindError({ host: '127.0.0.1', port: 70_000 })).info.code).toBe('INVALID_INPUT');
    expect((await bindError({ host: '127.0.0.1', port: -1 })).info.message).toContain('0 to 65535');
    expect((await bindError({ host: '', port: 0 })).info.code).toBe('INVALID_INPUT');
    const tx = await open({ host: '127.0.0.1', port: 0 });
    for (const port of [0, 65_536, 1.5, Number.NaN]) {
      const err = await tx.ep.send(pattern(1), '127.0.0.1', port);
      expect(err?.code, `port ${port}`).toBe('INVALID_INPUT');
      expect(err?.message).toContain('1 to 65535');
    }
    const v6 = await tx.ep.send(pattern(1), '::1', 9);
    expect(v6?.code).toBe('EAFNOSUPPORT');
    expect(v6?.message).toContain('[::1]:9');
    expect(v6?.message).toContain('IPv6');
  });

  it('treats IPv4-mapped addresses as IPv4: shown as such, and replies reach them', async () => {
    const rx = await open({ host: '::ffff:127.0.0.1', port: 0 }, (data, from, ep) => {
      void ep.send(data, from.address, from.port);
    });
    expect(rx.ep.local).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    const py = python(PY_SENDER, ['127.0.0.1', rx.ep.local.port, '5', 9, 'reply']);
    const senderPort = Number(await py.line());
    const [hex] = (await py.line()).split(' ');
    expect(hex).toBe(Buffer.from(pattern(5, 9)).toString('hex'));
    expect(rx.got[0]!.from).toEqual({ address: '127.0.0.1', port: senderPort, family: 'IPv4' });
    const only = await bindError({ host: '::ffff:127.0.0.1', port: 0, ipv6Only: true });
    expect(only.info.code).toBe('EINVAL');
    expect(only.info.message).toContain('IPv6-only');
  });

  it('closes once: onClose called once, close() twice is fine, sending afterwards says CLOSED', async () => {
    const o = await open({ host: '127.0.0.1', port: 0 });
    await Promise.all([o.ep.close(), o.ep.close()]);
    await o.ep.close();
    await until(() => o.closes === 1, 'onClose');
    await sleep(50);
    expect(o.closes).toBe(1);
    expect((await o.ep.send(pattern(1), '127.0.0.1', 9))?.code).toBe('CLOSED');
    expect(o.ep.addMembership(GROUP4, '127.0.0.1')?.code).toBe('CLOSED');
    o.ep.setBroadcast(true); // no throw after close
  });
});

describe('UdpEndpoint over IPv6', () => {
  it('receives from and replies to a Python sender on ::1, and sends to a Python receiver up to 65,527 bytes', async () => {
    const sizes = [1, 1000, 60000];
    const rx = await open({ host: '::1', port: 0 }, (data, from, ep) => {
      if (data.byteLength === 60000) void ep.send(pattern(77, 5), from.address, from.port);
    });
    expect(rx.ep.local).toMatchObject({ address: '::1', family: 'IPv6' });
    const py = python(PY_SENDER, ['::1', rx.ep.local.port, sizes.join(','), 2, 'reply']);
    const senderPort = Number(await py.line());
    const [hex, from] = (await py.line()).split(' ');
    expect(hex).toBe(Buffer.from(pattern(77, 5)).toString('hex'));
    expect(Number(from)).toBe(rx.ep.local.port);
    expect(rx.got.map((g) => g.data.byteLength)).toEqual(sizes);
    rx.got.forEach((g, i) => {
      expect(same(g.data, pattern(sizes[i]!, 2))).toBe(true);
      expect(g.from).toEqual({ address: '::1', port: senderPort, family: 'IPv6' });
    });
    expect(formatPeer(rx.got[0]!.from)).toBe(`[::1]:${senderPort}`);

    const out = [0, 9000, 65_527];
    const recv = python(PY_RECEIVER, ['::1', out.length]);
    const port = Number(await recv.line());
    for (const n of out) expect(await rx.ep.send(pattern(n, 4), '::1', port)).toBeNull();
    for (const n of out) {
      const [len, hash, src] = (await recv.line()).split(' ');
      expect(Number(len)).toBe(n);
      expect(hash).toBe(sha256(pattern(n, 4)));
      expect(Number(src)).toBe(rx.ep.local.port);
    }
    const big = await rx.ep.send(new Uint8Array(65_528), '::1', port);
    expect(big?.code).toBe('EMSGSIZE');
    expect(big?.message).toContain('65,527 bytes over IPv6');
    expect(big?.message).toContain(`[::1]:${port}`);
  });

  it('says an IPv6-bound endpoint cannot send to IPv4', async () => {
    const tx = await open({ host: '::1', port: 0 });
    const err = await tx.ep.send(pattern(1), '127.0.0.1', 9);
    expect(err?.code).toBe('EAFNOSUPPORT');
    expect(err?.message).toContain('127.0.0.1:9');
    expect(err?.message).toContain('IPv6 only');
  });
});

describe('multicast on loopback', () => {
  it.skipIf(mc4.reason !== '')(`IPv4: joins ${GROUP4} on 127.0.0.1, receives, and stops after leaving${skipped(mc4.reason)}`, async () => {
    const rx = await open({ host: GROUP4, port: 0 });
    expect(rx.ep.addMembership(GROUP4, '127.0.0.1')).toBeNull();
    rx.ep.setMulticastLoopback(true);
    expect(rx.ep.groups).toEqual([{ group: GROUP4, iface: '127.0.0.1' }]);
    const tx = await open({ host: '127.0.0.1', port: 0 });
    // Only through loopback, and TTL 0: nothing leaves this host.
    expect(tx.ep.setMulticastInterface('127.0.0.1')).toBeNull();
    tx.ep.setMulticastTTL(0);
    tx.ep.setMulticastLoopback(true);
    expect(await tx.ep.send(pattern(300, 1), GROUP4, rx.ep.local.port)).toBeNull();
    await until(() => rx.got.length === 1, 'the multicast datagram');
    expect(same(rx.got[0]!.data, pattern(300, 1))).toBe(true);
    expect(rx.got[0]!.from).toEqual({ address: '127.0.0.1', port: tx.ep.local.port, family: 'IPv4' });

    expect(rx.ep.dropMembership(GROUP4, '127.0.0.1')).toBeNull();
    expect(rx.ep.groups).toEqual([]);
    expect(await tx.ep.send(pattern(300, 2), GROUP4, rx.ep.local.port)).toBeNull();
    await sleep(400);
    expect(rx.got).toHaveLength(1);
  });

  it.skipIf(mc6.reason !== '')(`IPv6: joins ${GROUP6} on ${LO}, receives, and stops after leaving${skipped(mc6.reason)}`, async () => {
    const rx = await open({ host: `${GROUP6}%${LO}`, port: 0 });
    expect(rx.ep.addMembership(GROUP6, LO)).toBeNull();
    rx.ep.setMulticastLoopback(true);
    expect(rx.ep.groups).toEqual([{ group: GROUP6, iface: LO }]);
    const tx = await open({ host: '::1', port: 0 });
    expect(tx.ep.setMulticastInterface(`::%${LO}`)).toBeNull();
    tx.ep.setMulticastTTL(0);
    tx.ep.setMulticastLoopback(true);
    expect(await tx.ep.send(pattern(300, 1), GROUP6, rx.ep.local.port)).toBeNull();
    await until(() => rx.got.length === 1, 'the multicast datagram');
    expect(same(rx.got[0]!.data, pattern(300, 1))).toBe(true);
    expect(rx.got[0]!.from.port).toBe(tx.ep.local.port);

    expect(rx.ep.dropMembership(GROUP6, LO)).toBeNull();
    expect(rx.ep.groups).toEqual([]);
    expect(await tx.ep.send(pattern(300, 2), GROUP6, rx.ep.local.port)).toBeNull();
    await sleep(400);
    expect(rx.got).toHaveLength(1);
  });

  it.runIf(mc6.code === 'ENETUNREACH')(
    `explains ENETUNREACH when ${LO} cannot carry IPv6 multicast${mc6.code === 'ENETUNREACH' ? '' : ' (skipped: here it can, so there is no such error to explain)'}`,
    async () => {
      const tx = await open({ host: '::1', port: 0 });
      expect(tx.ep.setMulticastInterface(LO)).toBeNull();
      tx.ep.setMulticastTTL(0);
      const err = await tx.ep.send(pattern(8), GROUP6, 9);
      expect(err?.code).toBe('ENETUNREACH');
      expect(err?.message).toBe(`No route to [${GROUP6}]:9: no network interface here can carry multicast to ${GROUP6}.`);
      expect(err?.hint).toMatch(/MULTICAST flag/);
    },
  );

  it('explains membership errors and keeps the list of groups', async () => {
    const v4 = await open({ host: '127.0.0.1', port: 0 });
    const notGroup = v4.ep.addMembership('127.0.0.1', '127.0.0.1');
    expect(notGroup?.code).toBe('EINVAL');
    expect(notGroup?.message).toContain('not a multicast address');
    const noIface = v4.ep.addMembership(GROUP4, 'nosuch0');
    expect(noIface?.code).toBe('EADDRNOTAVAIL');
    expect(noIface?.message).toContain('nosuch0');
    expect(noIface?.hint).toContain(LO);
    expect(v4.ep.addMembership(GROUP6, LO)?.code).toBe('EINVAL');
    expect(v4.ep.addMembership(GROUP4, '::1')?.code).toBe('EINVAL');
    expect(v4.ep.groups).toEqual([]);

    // Joins on loopback only: the membership reports stay on this host.
    expect(v4.ep.addMembership(GROUP4, '127.0.0.1')).toBeNull();
    expect(v4.ep.addMembership('239.255.0.2', LO)).toBeNull(); // an interface name works too
    const twice = v4.ep.addMembership(GROUP4, '127.0.0.1');
    expect(twice?.code).toBe('EADDRINUSE');
    expect(twice?.message).toContain('already joined');
    expect(v4.ep.groups).toEqual([
      { group: GROUP4, iface: '127.0.0.1' },
      { group: '239.255.0.2', iface: LO },
    ]);
    const notJoined = v4.ep.dropMembership('239.255.0.3', '127.0.0.1');
    expect(notJoined?.code).toBe('EADDRNOTAVAIL');
    expect(notJoined?.message).toContain('has not joined');
    expect(v4.ep.dropMembership('239.255.0.2', LO)).toBeNull();
    expect(v4.ep.groups).toEqual([{ group: GROUP4, iface: '127.0.0.1' }]);

    const v6 = await open({ host: '::1', port: 0 });
    expect(v6.ep.addMembership(GROUP6, '::%nosuch0')?.code).toBe('EADDRNOTAVAIL');
    expect(v6.ep.addMembership(GROUP6, 'nosuch0')?.code).toBe('EADDRNOTAVAIL');
    expect(v6.ep.addMembership('fe80::1', LO)?.code).toBe('EINVAL');
    expect(v6.ep.setMulticastInterface('nosuch0')?.code).toBe('EADDRNOTAVAIL');
    const joined = v6.ep.addMembership(GROUP6, `::%${LO}`);
    if (joined === null) {
      expect(v6.ep.groups).toEqual([{ group: GROUP6, iface: `::%${LO}` }]);
      expect(v6.ep.dropMembership(GROUP6, `::%${LO}`)).toBeNull();
      expect(v6.ep.groups).toEqual([]);
    } else {
      // Some systems refuse IPv6 groups on a loopback without multicast; that refusal must be explained.
      expect(joined.message).toContain(GROUP6);
    }
  });
});

describe('display helpers', () => {
  it('formats peers: IPv4, bracketed IPv6, and the interface of link-local addresses', () => {
    expect(formatPeer({ address: '127.0.0.1', port: 5000, family: 'IPv4' })).toBe('127.0.0.1:5000');
    expect(formatPeer({ address: '::1', port: 5000, family: 'IPv6' })).toBe('[::1]:5000');
    expect(formatPeer({ address: 'fe80::1%lo', port: 5000, family: 'IPv6', scopeId: 1 })).toBe('[fe80::1%lo]:5000');
    expect(formatPeer({ address: 'fe80::1', port: 5000, family: 'IPv6', scopeId: 3 })).toBe('[fe80::1%3]:5000');
    expect(formatPeer({ address: '2001:db8::1', port: 5000, family: 'IPv6', scopeId: 3 })).toBe('[2001:db8::1]:5000');
  });

  it('lists the loopback interface among the multicast interfaces', () => {
    const list = multicastInterfaces();
    const lo = list.find((i) => i.name === LO);
    expect(lo, JSON.stringify(list)).toBeDefined();
    expect(lo!.internal).toBe(true);
    expect(lo!.addresses).toContain('127.0.0.1');
    for (const i of list) for (const a of i.addresses) if (/^fe80:/i.test(a)) expect(a).toContain(`%${i.name}`);
  });
});

// A real EACCES needs an unprivileged process. Where ports below 1024 are open to everyone,
// there is no error to explain.
const privilegedSkip = unprivilegedSkipReason();

describe('privileged ports', () => {
  it.skipIf(privilegedSkip !== '')(`explains EACCES when an unprivileged user binds UDP port 80${skipped(privilegedSkip)}`, async () => {
    const run = await runUnprivileged(
      `import { UdpEndpoint } from ${JSON.stringify(path.resolve(__dirname, 'udp'))};
UdpEndpoint.bind({ host: '127.0.0.1', port: 80 }, { onDatagram() {}, onError() {}, onClose() {} }).then(
  async (ep) => { console.log(JSON.stringify({ bound: ep.local })); await ep.close(); },
  (err) => console.log(JSON.stringify(err.info)),
);`,
    );
    expect(run.status, run.stderr).toBe(0);
    const info = JSON.parse(run.stdout.trim()) as ErrorInfo;
    expect(info.code).toBe('EACCES');
    expect(info.message).toContain('127.0.0.1:80');
    expect(info.message).toContain('ports below 1024');
    expect(info.hint).toContain('1024 or above');
  });
});
