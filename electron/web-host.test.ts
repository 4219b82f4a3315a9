import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ConnectionInfo, EventBatch, ListenerInfo, Snapshot } from '../shared/model';
import { MAX_CLIENT_MESSAGE_BYTES, MAX_SEND_BYTES } from '../shared/limits';
import type { Result } from '../shared/result';
import { decodeFrame, encodeFrame } from '../shared/wire';
import { Engine, type EngineOptions } from './engine/engine';
import { accessNotice } from './web-access';
import { HEADERS_TIMEOUT_MS, startWebHost, type WebHost, type WebHostOptions } from './web-host';

const INDEX_HTML = '<!doctype html><title>Socket Inspector test page</title><div id="root"></div>';
const SECRET = 'TOP-SECRET-OUTSIDE-THE-STATIC-DIR';

let dir: string;
let staticDir: string;
let engine: Engine | undefined;
let host: WebHost | undefined;
const clients: WebSocket[] = [];
const rawSockets: net.Socket[] = [];

async function start(options: EngineOptions = {}, hostOptions: Partial<WebHostOptions> = {}): Promise<WebHost> {
  engine = new Engine(options);
  host = await startWebHost({ engine, staticDir, ...hostOptions });
  return host;
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'socket-inspector-web-host-'));
  staticDir = path.join(dir, 'static');
  await mkdir(staticDir);
  await mkdir(path.join(dir, 'static-evil'));
  await writeFile(path.join(staticDir, 'index.html'), INDEX_HTML);
  await writeFile(path.join(staticDir, 'app.js'), 'console.log("app");');
  await writeFile(path.join(dir, 'secret.txt'), SECRET);
  await writeFile(path.join(dir, 'static-evil', 'secret.txt'), SECRET);
});

afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  for (const s of rawSockets.splice(0)) s.destroy();
  try {
    await host?.close();
  } finally {
    host = undefined;
    await engine?.shutdown();
    engine = undefined;
    await rm(dir, { recursive: true, force: true });
  }
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request: the path is sent exactly as given, and the Host header can be anything. */
function request(port: number, rawPath: string, options: { method?: string; hostHeader?: string | null } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.hostHeader !== null) headers.host = options.hostHeader ?? `127.0.0.1:${port}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: rawPath, method: options.method ?? 'GET', headers, setHost: false, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface WsAttempt {
  token?: string | null;
  origin?: string | null;
  hostHeader?: string;
  path?: string;
}

/** Opens a WebSocket; resolves with the open socket, or with the HTTP status that refused it. */
function openWs(h: WebHost, attempt: WsAttempt = {}): Promise<{ ws: WebSocket; status?: undefined } | { ws?: undefined; status: number }> {
  const token = attempt.token === undefined ? h.token : attempt.token;
  const query = token === null ? '' : `?token=${encodeURIComponent(token)}`;
  const url = `ws://127.0.0.1:${h.port}${attempt.path ?? '/ws'}${query}`;
  const origin = attempt.origin === undefined ? `http://127.0.0.1:${h.port}` : attempt.origin;
  const ws = new WebSocket(url, {
    ...(origin === null ? {} : { origin }),
    headers: { host: attempt.hostHeader ?? `127.0.0.1:${h.port}` },
  });
  clients.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
      req.destroy();
    });
    ws.once('error', reject);
  });
}

/** Reads an accepted socket's messages in order, and sends commands with fresh ids. */
class Peer {
  readonly messages: Record<string, unknown>[] = [];
  private waiters: (() => void)[] = [];
  private nextId = 100;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(decodeFrame(new Uint8Array(data as Buffer)) as Record<string, unknown>);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  async waitFor<T extends Record<string, unknown>>(match: (m: Record<string, unknown>) => boolean, what: string, ms = 5000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found as T;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.map((m) => m.kind))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  result(id: number): Promise<{ kind: 'result'; id: number; result: Result<unknown> }> {
    return this.waitFor((m) => m.kind === 'result' && m.id === id, `result ${id}`);
  }

  async call<T>(name: unknown, args: unknown): Promise<Result<T>> {
    const id = this.nextId++;
    this.ws.send(encodeFrame({ kind: 'command', id, name, args }));
    return (await this.result(id)).result as Result<T>;
  }

  async value<T>(name: string, args: unknown): Promise<T> {
    const result = await this.call<T>(name, args);
    if (!result.ok) throw new Error(`${name} failed: ${result.code} ${result.message}`);
    return result.value;
  }

  batches(): EventBatch[] {
    return this.messages.filter((m) => m.kind === 'batch').map((m) => m.batch as EventBatch);
  }
}

async function openPeer(h: WebHost): Promise<Peer> {
  const opened = await openWs(h);
  if (!opened.ws) throw new Error(`WebSocket refused with ${opened.status}`);
  return new Peer(opened.ws);
}

describe('static files', () => {
  it('serves index.html at / with a Content-Security-Policy', async () => {
    const h = await start();
    const reply = await request(h.port, '/');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(INDEX_HTML);
    expect(reply.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(reply.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves other files with their content type, and 404 for missing ones', async () => {
    const h = await start();
    const js = await request(h.port, '/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.body).toContain('console.log');
    expect((await request(h.port, '/missing.js')).status).toBe(404);
    expect((await request(h.port, '/index.html?x=1#y')).body).toBe(INDEX_HTML);
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const h = await start();
    const head = await request(h.port, '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await request(h.port, '/', { method: 'POST' })).status).toBe(405);
  });

  it.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/..%2f..%2f' + 'secret.txt',
    '/..%5csecret.txt',
    '/static/../../secret.txt',
    '/../static-evil/secret.txt',
    '/..%2fstatic-evil%2fsecret.txt',
    '//..%2fsecret.txt',
    '/%00',
    '/%',
  ])('does not serve files outside the static dir: %s', async (rawPath) => {
    const h = await start();
    const reply = await request(h.port, rawPath);
    expect(reply.status).not.toBe(200);
    expect([400, 403, 404]).toContain(reply.status);
    expect(reply.body).not.toContain(SECRET);
  });

  it('refuses a wrong Host header with 421', async () => {
    const h = await start();
    for (const hostHeader of ['evil.example', `evil.example:${h.port}`, `127.0.0.1:${h.port + 1}`, '127.0.0.1']) {
      const reply = await request(h.port, '/', { hostHeader });
      expect(reply.status, hostHeader).toBe(421);
      expect(reply.body).not.toContain('Socket Inspector test page');
    }
    // Without any Host header Node's HTTP parser already answers 400.
    const none = await request(h.port, '/', { hostHeader: null });
    expect([400, 421]).toContain(none.status);
    expect(none.body).not.toContain('Socket Inspector test page');
    for (const hostHeader of [`127.0.0.1:${h.port}`, `localhost:${h.port}`, `LocalHost:${h.port}`]) {
      expect((await request(h.port, '/', { hostHeader })).status, hostHeader).toBe(200);
    }
  });

  it('puts the token and port in its URL', async () => {
    const h = await start();
    expect(h.token.length).toBeGreaterThanOrEqual(16);
    expect(h.url).toBe(`http://127.0.0.1:${h.port}/?token=${h.token}`);
    expect(h.urls).toEqual([h.url]);
    // Loopback is plain HTTP unless asked otherwise.
    expect(h.secure).toBe(false);
    expect(h.certificate).toBeUndefined();
  });
});

/** Open descriptors of this process (Linux). */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** A raw socket that sends `text` and resolves once the host's first bytes arrive. */
function rawSocket(port: number, text: string): Promise<{ socket: net.Socket; first: string }> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  rawSockets.push(socket);
  socket.on('error', () => {});
  return new Promise((resolve, reject) => {
    socket.once('data', (d: Buffer) => resolve({ socket, first: d.toString('latin1') }));
    socket.once('close', () => reject(new Error('closed before any reply')));
    socket.write(text);
  });
}

/** Resolves with how long after the call the host closed the socket (or ms, if it did not). */
function closedWithin(socket: net.Socket, ms: number): Promise<number> {
  const start = Date.now();
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(0);
    const timer = setTimeout(() => resolve(ms), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - start);
    });
  });
}

/**
 * True once the far end has closed its socket for good: a write then draws a reset. (A peer that
 * only half-closed keeps reading, so writes go on succeeding.)
 */
async function farEndGone(socket: net.Socket, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  let reset = false;
  socket.once('error', () => (reset = true));
  while (!reset && !socket.destroyed && Date.now() < deadline) {
    socket.write('x');
    await new Promise((r) => setTimeout(r, 100));
  }
  return reset || socket.destroyed;
}

function upgradeRequest(port: number, query: string): string {
  return (
    `GET /ws${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\n` +
    'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
  );
}

describe('sockets the host does not keep', () => {
  it.runIf(process.platform === 'linux')('closes the file of every download abandoned mid-body: 500 aborts leave no descriptor open', async () => {
    // Far larger than what loopback socket buffers take in, so each download is cut off mid-body.
    await writeFile(path.join(staticDir, 'big.js'), Buffer.alloc(16 << 20, 0x61));
    const h = await start();
    await request(h.port, '/');
    const before = openFds();
    for (let i = 0; i < 500; i++) {
      const { socket, first } = await rawSocket(h.port, `GET /big.js HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n\r\n`);
      expect(first.startsWith('HTTP/1.1 200'), first.slice(0, 40)).toBe(true);
      socket.destroy();
    }
    rawSockets.length = 0;
    const settled = await waitUntil(() => openFds() <= before + 5, 5000);
    expect(openFds(), `descriptors: ${before} before, ${openFds()} after`).toBeLessThanOrEqual(before + 5);
    expect(settled).toBe(true);
    // The page is still served.
    expect((await request(h.port, '/')).status).toBe(200);
  }, 60_000);

  it('destroys a refused upgrade after writing the refusal, even when the client holds it open', async () => {
    const h = await start();
    const refusals = await Promise.all([
      rawSocket(h.port, upgradeRequest(h.port, '')),
      rawSocket(h.port, upgradeRequest(h.port, '?token=wrong')),
      rawSocket(h.port, upgradeRequest(h.port, '').replace('/ws', '/other')),
    ]);
    expect(refusals.map((r) => r.first.split('\r\n')[0])).toEqual(['HTTP/1.1 401 Unauthorized: missing or wrong access token', 'HTTP/1.1 401 Unauthorized: missing or wrong access token', 'HTTP/1.1 404 Not Found']);
    const gone = await Promise.all(refusals.map((r) => farEndGone(r.socket, 3000)));
    expect(gone).toEqual([true, true, true]);
  });

  it('closes sockets that send nothing, or stop halfway through an upgrade request, within seconds', async () => {
    const h = await start();
    const silent = net.connect({ host: '127.0.0.1', port: h.port });
    rawSockets.push(silent);
    silent.on('error', () => {});
    const halfway = net.connect({ host: '127.0.0.1', port: h.port });
    rawSockets.push(halfway);
    halfway.on('error', () => {});
    halfway.write(upgradeRequest(h.port, `?token=${h.token}`).slice(0, 60));
    // Read what the host says (a 408), so its end of the conversation is seen.
    silent.resume();
    halfway.resume();
    const limit = HEADERS_TIMEOUT_MS + 3000;
    const [a, b] = await Promise.all([closedWithin(silent, limit), closedWithin(halfway, limit)]);
    expect(a).toBeLessThan(limit);
    expect(b).toBeLessThan(limit);
    // An accepted WebSocket is not subject to these limits.
    const peer = await openPeer(h);
    await new Promise((r) => setTimeout(r, HEADERS_TIMEOUT_MS + 1500));
    expect(peer.ws.readyState).toBe(WebSocket.OPEN);
    expect((await peer.call<Snapshot>('getSnapshot', {})).ok).toBe(true);
  }, 30_000);
});

describe('close', () => {
  it('finishes at once whatever clients hold: an unread download, half a request, a refused upgrade, a WebSocket', async () => {
    await writeFile(path.join(staticDir, 'big.js'), Buffer.alloc(16 << 20, 0x61));
    const h = await start();
    const unread = net.connect({ host: '127.0.0.1', port: h.port });
    rawSockets.push(unread);
    unread.on('error', () => {});
    unread.write(`GET /big.js HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n\r\n`);
    unread.pause();
    const partial = net.connect({ host: '127.0.0.1', port: h.port });
    rawSockets.push(partial);
    partial.on('error', () => {});
    partial.write('GET / HTTP/1.1\r\nHo');
    const refused = await rawSocket(h.port, upgradeRequest(h.port, ''));
    const peer = await openPeer(h);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await h.close();
    host = undefined;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await farEndGone(refused.socket, 2000)).toBe(true);
    await waitUntil(() => peer.ws.readyState === WebSocket.CLOSED, 2000);
    expect(peer.ws.readyState).toBe(WebSocket.CLOSED);
  });
});

/** GET over TLS, trusting only the given certificate; with the fingerprint of the one served. */
function httpsGet(port: number, rawPath: string, ca: string): Promise<Reply & { fingerprint256: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: rawPath, ca, agent: false }, (res) => {
      const fingerprint256 = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString(), fingerprint256 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS', () => {
  it('serves the page and the WebSocket over TLS, with a certificate for the address whose fingerprint is the one printed', async () => {
    const h = await start({}, { tls: 'on' });
    expect(h.secure).toBe(true);
    expect(h.url).toBe(`https://127.0.0.1:${h.port}/?token=${h.token}`);
    const { pem, fingerprint256 } = h.certificate!;
    expect(new X509Certificate(pem).fingerprint256).toBe(fingerprint256);

    // Verified against the certificate itself, so it must name 127.0.0.1.
    const page = await httpsGet(h.port, '/', pem);
    expect(page.status).toBe(200);
    expect(page.body).toBe(INDEX_HTML);
    expect(page.fingerprint256).toBe(fingerprint256);
    const printed = /SHA-256 fingerprint:\n {2}(\S+)\n/.exec(accessNotice({ bindHost: '0.0.0.0', urls: h.urls, fingerprint256 }).stdout)?.[1];
    expect(printed).toBe(page.fingerprint256);

    // The page's WebSocket: wss, from the https origin.
    const ws = new WebSocket(`wss://127.0.0.1:${h.port}/ws?token=${h.token}`, { origin: `https://127.0.0.1:${h.port}`, ca: pem });
    clients.push(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    expect((ws as unknown as { _socket: TLSSocket })._socket.getPeerCertificate().fingerprint256).toBe(fingerprint256);
    const peer = new Peer(ws);
    expect(await peer.value<ListenerInfo>('startListener', { host: '127.0.0.1', port: 0 })).toMatchObject({ state: 'listening' });

    // An http origin is foreign to an https page.
    const status = await new Promise<number>((resolve, reject) => {
      const other = new WebSocket(`wss://127.0.0.1:${h.port}/ws?token=${h.token}`, { origin: `http://127.0.0.1:${h.port}`, ca: pem });
      clients.push(other);
      other.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      other.once('open', () => resolve(101));
      other.once('error', reject);
    });
    expect(status).toBe(403);

    // Nothing is served in the clear.
    await expect(request(h.port, '/')).rejects.toThrow();
  });

  it('drops a client that opens a TLS socket and never finishes the handshake', async () => {
    const h = await start({}, { tls: 'on' });
    const socket = net.connect({ host: '127.0.0.1', port: h.port });
    rawSockets.push(socket);
    socket.on('error', () => {});
    socket.resume();
    const limit = HEADERS_TIMEOUT_MS + 3000;
    expect(await closedWithin(socket, limit)).toBeLessThan(limit);
  }, 20_000);

  it('close() finishes at once with a wss client and a socket stuck before its handshake', async () => {
    const h = await start({}, { tls: 'on' });
    const stuck = net.connect({ host: '127.0.0.1', port: h.port });
    rawSockets.push(stuck);
    stuck.on('error', () => {});
    const ws = new WebSocket(`wss://127.0.0.1:${h.port}/ws?token=${h.token}`, { origin: `https://127.0.0.1:${h.port}`, ca: h.certificate!.pem });
    clients.push(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const started = Date.now();
    await h.close();
    host = undefined;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await waitUntil(() => ws.readyState === WebSocket.CLOSED, 2000)).toBe(true);
  });
});

describe('WebSocket admission', () => {
  it('refuses a missing token with 401', async () => {
    const h = await start();
    expect(await openWs(h, { token: null })).toEqual({ status: 401 });
    expect(await openWs(h, { token: '' })).toEqual({ status: 401 });
  });

  it('refuses a wrong token with 401', async () => {
    const h = await start();
    const sameLength = h.token.slice(0, -1) + (h.token.endsWith('A') ? 'B' : 'A');
    expect(await openWs(h, { token: sameLength })).toEqual({ status: 401 });
    expect(await openWs(h, { token: 'short' })).toEqual({ status: 401 });
    expect(await openWs(h, { token: h.token + 'x' })).toEqual({ status: 401 });
  });

  it('refuses a foreign Origin with 403, even with the right token', async () => {
    const h = await start();
    for (const origin of [
      'http://evil.example',
      `http://evil.example:${h.port}`,
      `https://127.0.0.1:${h.port}`,
      `http://127.0.0.1:${h.port + 1}`,
      'null',
      'file://',
    ]) {
      expect(await openWs(h, { origin }), origin).toEqual({ status: 403 });
    }
    expect(await openWs(h, { origin: null })).toEqual({ status: 403 });
  });

  it('refuses a wrong Host header with 403', async () => {
    const h = await start();
    expect(await openWs(h, { hostHeader: 'evil.example' })).toEqual({ status: 403 });
    expect(await openWs(h, { hostHeader: `rebind.example:${h.port}`, origin: `http://rebind.example:${h.port}` })).toEqual({
      status: 403,
    });
  });

  it('refuses other paths with 404', async () => {
    const h = await start();
    expect(await openWs(h, { path: '/other' })).toEqual({ status: 404 });
  });

  it('accepts the right token, Origin and Host', async () => {
    const h = await start();
    const opened = await openWs(h);
    expect(opened.ws?.readyState).toBe(WebSocket.OPEN);
    const viaLocalhost = await openWs(h, { hostHeader: `localhost:${h.port}`, origin: `http://localhost:${h.port}` });
    expect(viaLocalhost.ws?.readyState).toBe(WebSocket.OPEN);
  });
});

describe('WebSocket commands', () => {
  it('answers a command with its result', async () => {
    const h = await start();
    const peer = await openPeer(h);
    peer.ws.send(encodeFrame({ kind: 'command', id: 1, name: 'startListener', args: { host: '127.0.0.1', port: 0 } }));
    const reply = await peer.result(1);
    expect(reply).toMatchObject({ kind: 'result', id: 1, result: { ok: true } });
    const listener = (reply.result as { value: ListenerInfo }).value;
    expect(listener.port).toBeGreaterThan(0);
    expect(engine!.snapshot().listeners.map((l) => l.id)).toEqual([listener.id]);
  });

  it('carries bytes both ways: a send with bytes, and chunks that come back as Uint8Array', async () => {
    const h = await start();
    const peer = await openPeer(h);
    const listener = await peer.value<ListenerInfo>('startListener', { host: '127.0.0.1', port: 0 });
    const conn = await peer.value<ConnectionInfo>('connect', { host: '127.0.0.1', port: listener.port });
    const payload = Uint8Array.from([0, 1, 2, 0xfe, 0xff, 0x0a]);
    expect(await peer.value<{ bytes: number }>('send', { connectionId: conn.id, data: payload })).toEqual({ bytes: 6 });
    const chunkEvent = await peer.waitFor(
      (m) =>
        m.kind === 'batch' &&
        (m.batch as EventBatch).events.some((e) => e.type === 'chunk' && e.chunk.direction === 'in'),
      'an incoming chunk event',
    );
    const event = (chunkEvent.batch as EventBatch).events.find((e) => e.type === 'chunk' && e.chunk.direction === 'in');
    const data = (event as { chunk: { data: unknown } }).chunk.data;
    expect(data).toBeInstanceOf(Uint8Array);
    expect([...(data as Uint8Array)]).toEqual([...payload]);
  });

  it('answers malformed messages with an error and keeps the socket open', async () => {
    const h = await start();
    const peer = await openPeer(h);
    const errorsSoFar = () => peer.messages.filter((m) => m.kind === 'result' && m.id === -1).length;
    const expectError = async (send: () => void, id: number, pattern: RegExp) => {
      const before = errorsSoFar();
      send();
      const reply =
        id === -1
          ? await peer.waitFor(() => errorsSoFar() > before, 'an error result').then(
              () => peer.messages.filter((m) => m.kind === 'result' && m.id === -1).at(-1)!,
            )
          : await peer.result(id);
      expect(reply.result).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
      expect((reply.result as { message: string }).message).toMatch(pattern);
      // The socket still answers a valid command.
      const snap = await peer.call<Snapshot>('getSnapshot', {});
      expect(snap.ok).toBe(true);
      expect(peer.ws.readyState).toBe(WebSocket.OPEN);
    };

    const frameOf = (json: string) => {
      // A frame whose header is exactly this text, with no payloads.
      const header = new TextEncoder().encode(json);
      const frame = new Uint8Array(8 + header.length);
      new DataView(frame.buffer).setUint32(0, header.length, true);
      frame.set(header, 8);
      return frame;
    };
    await expectError(() => peer.ws.send(Uint8Array.of(1, 2, 3)), -1, /Malformed message: frame too short/);
    await expectError(() => peer.ws.send(frameOf('{not json')), -1, /Malformed message/);
    await expectError(() => peer.ws.send(encodeFrame({ kind: 'bogus', id: 7 })), -1, /Malformed message/);
    await expectError(() => peer.ws.send(encodeFrame({ kind: 'command', id: 'one', name: 'getSnapshot', args: {} })), -1, /Malformed/);
    await expectError(() => peer.ws.send(frameOf('null')), -1, /Malformed/);
    await expectError(() => peer.ws.send(frameOf('[1,2,3]')), -1, /Malformed/);
    await expectError(() => peer.ws.send(frameOf('42')), -1, /Malformed/);
    // A payload reference with no payloads is just an object, and not bytes.
    await expectError(() => peer.ws.send(frameOf('{"kind":"command","id":8,"name":"send","args":{"connectionId":"C1","data":{"$bin":5}}}')), 8, /Message: data must be bytes/);
    await expectError(
      () => peer.ws.send(encodeFrame({ kind: 'command', id: 3, name: 'startListener', args: { host: 'has space', port: -1 } })),
      3,
      /Address:.*Port:/,
    );
    await expectError(
      () => peer.ws.send(encodeFrame({ kind: 'command', id: 4, name: 'send', args: { connectionId: 'C1', data: [1, 2, 3] } })),
      4,
      /Message: data must be bytes/,
    );
    const unknown = await peer.call('__proto__', {});
    expect(unknown).toMatchObject({ ok: false, code: 'UNKNOWN_COMMAND' });
    expect(engine!.snapshot().listeners).toEqual([]);
    expect(await peer.value<ListenerInfo>('startListener', { host: '127.0.0.1', port: 0 })).toMatchObject({ state: 'listening' });
  });

  it('closes a socket that speaks text instead of the wire\'s binary frames (1003), and no other', async () => {
    const h = await start();
    const peer = await openPeer(h);
    const bystander = await openPeer(h);
    const closed = new Promise<number>((resolve) => peer.ws.once('close', (code) => resolve(code)));
    peer.ws.send(JSON.stringify({ kind: 'command', id: 1, name: 'getSnapshot', args: {} }));
    expect(await closed).toBe(1003);
    expect((await bystander.call<Snapshot>('getSnapshot', {})).ok).toBe(true);
  });

  it('sends event batches after a listener starts, and accepts their acknowledgements', async () => {
    const h = await start();
    const peer = await openPeer(h);
    const listener = await peer.value<ListenerInfo>('startListener', { host: '127.0.0.1', port: 0 });
    const first = await peer.waitFor(
      (m) => m.kind === 'batch' && (m.batch as EventBatch).events.some((e) => e.type === 'listener-started'),
      'a listener-started batch',
    );
    const batch = first.batch as EventBatch;
    expect(batch.id).toBeGreaterThan(0);
    const started = batch.events.find((e) => e.type === 'listener-started') as { listener: ListenerInfo };
    expect(started.listener.id).toBe(listener.id);
    const before = peer.messages.length;
    peer.ws.send(encodeFrame({ kind: 'ack', batchId: batch.id }));
    peer.ws.send(encodeFrame({ kind: 'ack', batchId: 'not a number' }));
    expect((await peer.call<Snapshot>('getSnapshot', {})).ok).toBe(true);
    // Acknowledgements get no reply, not even an error.
    expect(peer.messages.slice(before).filter((m) => m.kind === 'result')).toHaveLength(1);
    expect(peer.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('applies acknowledgements: unacknowledged batches pause the sockets, acknowledged ones let all bytes through', async () => {
    const total = 8 << 20;
    const h = await start({ batcher: { maxBatchBytes: 4096, highWatermark: 16 << 10, lowWatermark: 8 << 10 } });
    const peer = await openPeer(h);
    const listener = await peer.value<ListenerInfo>('startListener', { host: '127.0.0.1', port: 0 });
    const bytesIn = async () => {
      const snap = await peer.value<Snapshot>('getSnapshot', {});
      return snap.connections.find((c) => c.origin === 'accepted')?.bytesIn ?? 0;
    };

    const sender = net.connect({ host: '127.0.0.1', port: listener.port });
    rawSockets.push(sender);
    sender.on('error', () => {});
    await new Promise<void>((resolve) => sender.once('connect', () => resolve()));
    sender.write(Buffer.alloc(total, 0x61));

    // Without acknowledgements the engine stops reading well short of the whole payload.
    let last = -1;
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 40));
      const now = await bytesIn();
      if (now > 0 && now === last) break;
      last = now;
    }
    const stalled = await bytesIn();
    expect(stalled).toBeGreaterThan(0);
    expect(stalled).toBeLessThan(total / 2);

    // Acknowledging every batch, old and new, lets the rest through.
    const ackAll = () => {
      const ids = peer.batches().map((b) => b.id);
      if (ids.length) peer.ws.send(encodeFrame({ kind: 'ack', batchId: Math.max(...ids) }));
    };
    peer.ws.on('message', ackAll);
    ackAll();
    const deadline = Date.now() + 15_000;
    while ((await bytesIn()) < total) {
      if (Date.now() > deadline) throw new Error(`only ${await bytesIn()} of ${total} bytes arrived`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await bytesIn()).toBe(total);
  });

  it('carries the largest send the page makes, and closes a socket that sends more than any page does (1009)', async () => {
    const h = await start();
    const peer = await openPeer(h);
    const bystander = await openPeer(h);
    const listener = await peer.value<ListenerInfo>('startListener', { host: '127.0.0.1', port: 0 });
    const sink = net.connect({ host: '127.0.0.1', port: listener.port });
    rawSockets.push(sink);
    const received = createHash('sha256');
    let receivedBytes = 0;
    sink.on('data', (d: Buffer) => {
      received.update(d);
      receivedBytes += d.byteLength;
    });
    await new Promise<void>((resolve) => sink.once('connect', () => resolve()));
    await peer.waitFor((m) => m.kind === 'batch' && (m.batch as EventBatch).events.some((e) => e.type === 'connection-opened'), 'the accepted client');
    const conn = engine!.snapshot().connections.find((c) => c.origin === 'accepted')!;

    // The largest legitimate send, as the page encodes it, fits with room to spare.
    const largest = new Uint8Array(randomBytes(MAX_SEND_BYTES));
    const message = encodeFrame({ kind: 'command', id: 1, name: 'send', args: { connectionId: conn.id, data: largest } });
    expect(message.byteLength).toBeLessThan(MAX_CLIENT_MESSAGE_BYTES);
    peer.ws.send(message);
    expect((await peer.result(1)).result).toEqual({ ok: true, value: { bytes: MAX_SEND_BYTES } });
    expect(await waitUntil(() => receivedBytes === MAX_SEND_BYTES, 5000)).toBe(true);
    expect(received.digest('hex')).toBe(createHash('sha256').update(largest).digest('hex'));

    // One byte more than a send may carry: refused by the schema, and the socket stays open.
    const tooMuch = await peer.call('send', { connectionId: conn.id, data: new Uint8Array(MAX_SEND_BYTES + 1) });
    expect(tooMuch).toMatchObject({ ok: false, code: 'INVALID_INPUT', message: expect.stringMatching(/too large to send at once/) });
    expect(peer.ws.readyState).toBe(WebSocket.OPEN);

    // A message past the limit closes that socket with 1009, and only that socket.
    const closed = new Promise<number>((resolve) => peer.ws.once('close', (code) => resolve(code)));
    peer.ws.send(new Uint8Array(MAX_CLIENT_MESSAGE_BYTES + 1));
    expect(await closed).toBe(1009);
    expect((await bystander.call<Snapshot>('getSnapshot', {})).ok).toBe(true);
    expect(bystander.ws.readyState).toBe(WebSocket.OPEN);
    const again = await openPeer(h);
    const snap = await again.value<Snapshot>('getSnapshot', {});
    expect(snap.connections.find((c) => c.id === conn.id)?.bytesOut).toBe(MAX_SEND_BYTES);
  });

  it('stops delivering to a socket once it closes, without harming the engine', async () => {
    const h = await start();
    const peer = await openPeer(h);
    await peer.value<ListenerInfo>('startListener', { host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => {
      peer.ws.once('close', () => resolve());
      peer.ws.close();
    });
    const again = await openPeer(h);
    const snap = await again.value<Snapshot>('getSnapshot', {});
    expect(snap.listeners).toHaveLength(1);
    expect((await again.call('startListener', { host: '127.0.0.1', port: 0 })).ok).toBe(true);
  });
});
