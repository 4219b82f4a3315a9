import { X509Certificate, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { WS_PATH } from '../shared/channels';
import { MAX_CLIENT_MESSAGE_BYTES } from '../shared/limits';
import type { Engine } from './engine/engine';
import { openSession } from './engine/session';
import { generateSelfSigned } from './engine/tls';
import { FILES_PATH, serveFiles } from './web-files';
import { certificateNames, hostLiteral, isLoopbackHost, isWildcardHost, reachableHosts } from './web-access';

/** Where and how to serve the browser host. */
export interface WebHostOptions {
  engine: Engine;
  /** Folder with the built renderer (index.html and assets). */
  staticDir: string;
  /** Address to bind; loopback unless the user asks otherwise. */
  host?: string;
  /** Port to bind; 0 picks a free one. */
  port?: number;
  /** Access token; a random one is made when absent. */
  token?: string;
  /**
   * HTTPS with a self-signed certificate made at start: 'auto' (the default) for any address
   * beyond loopback, 'on' always, 'off' never.
   */
  tls?: 'auto' | 'on' | 'off';
}

/** A running browser host. */
export interface WebHost {
  /** The URL to open on this machine, access token included. */
  url: string;
  /** Every URL the host is reached at (one per address of the machine for a wildcard bind). */
  urls: string[];
  port: number;
  token: string;
  /** Served over HTTPS. */
  secure: boolean;
  /** The served certificate (PEM) and its SHA-256 fingerprint, when secure. */
  certificate?: { pem: string; fingerprint256: string };
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";


/**
 * Limits on what a client may hold open without being let in. Until its WebSocket is accepted
 * a socket has not shown the token, so it gets seconds, not Node's minutes: a request's headers
 * within HEADERS_TIMEOUT_MS (a socket that sends nothing is closed then too), an idle
 * keep-alive socket for KEEP_ALIVE_TIMEOUT_MS, and a response nobody reads for IDLE_SOCKET_MS.
 */
export const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const IDLE_SOCKET_MS = 30_000;
/** How often Node looks for sockets past their header or request time-out. */
const TIMEOUT_CHECK_MS = 1_000;
/** A refused upgrade whose refusal cannot be written (the client reads nothing) is dropped after this. */
const REFUSAL_WRITE_MS = 2_000;

function sameToken(given: string | null, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Serves the built renderer over HTTP and bridges it to the engine over a WebSocket. The
 * WebSocket demands the access token, a Host header naming this server, and an Origin that is
 * this server's own, so other web pages and DNS-rebinding tricks cannot drive the engine.
 */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const { engine, staticDir } = options;
  const bindHost = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const root = path.resolve(staticDir);
  const secure = options.tls === 'on' || (options.tls !== 'off' && !isLoopbackHost(bindHost));
  const interfaces = networkInterfaces();
  let allowedHosts = new Set<string>();

  const timeouts = {
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
  };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    void serveStatic(req, res);
  };
  let certificate: WebHost['certificate'];
  let server: http.Server;
  if (secure) {
    const pems = await generateSelfSigned(certificateNames(bindHost, interfaces, hostname()));
    certificate = { pem: pems.cert, fingerprint256: new X509Certificate(pems.cert).fingerprint256 };
    server = https.createServer({ ...timeouts, key: pems.key, cert: pems.cert, handshakeTimeout: HEADERS_TIMEOUT_MS }, onRequest);
  } else {
    server = http.createServer(timeouts, onRequest);
  }
  server.setTimeout(IDLE_SOCKET_MS);
  // Upgraded sockets leave the HTTP server's own bookkeeping (closeAllConnections no longer
  // sees them), so every socket is tracked here for close(): the TCP socket, and over TLS the
  // TLS socket on it as well.
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  server.on('connection', track);
  server.on('secureConnection', track);
  // A client that opens a TLS socket and never finishes the handshake is dropped, not kept.
  server.on('tlsClientError', (_err: Error, socket: Socket) => socket.destroy());

  async function serveStatic(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(body);
    };
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) return send(421, 'Unknown Host header');
    if ((req.url ?? '').startsWith(FILES_PATH)) {
      const origin = req.headers.origin;
      // Only this server's own page sends files: a foreign page's request is refused before the token is read.
      if (origin !== undefined && !allowedHosts.has(originHost(origin, secure ? 'https:' : 'http:'))) return send(403, 'Forbidden: foreign Origin');
      return serveFiles(req, res, engine.fileStore, (given) => sameToken(given, token));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'Method not allowed');
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'Bad URL');
    }
    if (pathname === '/') pathname = '/index.html';
    const file = path.resolve(root, '.' + pathname);
    if (!file.startsWith(root + path.sep)) return send(403, 'Forbidden');
    try {
      const info = await stat(file);
      if (!info.isFile()) return send(404, 'Not found');
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-cache',
      });
      if (req.method === 'HEAD') return void res.end();
      // pipeline, not pipe: when the client goes away mid-download, the file is closed too.
      pipeline(createReadStream(file), res, () => {});
    } catch {
      send(404, 'Not found');
    }
  }

  // A message larger than any the page sends closes its socket (1009) before it is parsed.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });

  server.on('upgrade', (req, socket, head) => {
    // Written, then the socket is destroyed: a client must not keep a refused socket open.
    const refuse = (status: number, reason: string) => {
      const timer = setTimeout(() => socket.destroy(), REFUSAL_WRITE_MS);
      socket.once('close', () => clearTimeout(timer));
      socket.once('finish', () => socket.destroy());
      socket.on('error', () => socket.destroy());
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}\n`);
    };
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      return refuse(400, 'Bad Request');
    }
    if (url.pathname !== WS_PATH) return refuse(404, 'Not Found');
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(hostHeader)) return refuse(403, 'Forbidden: unknown Host header');
    const origin = req.headers.origin;
    if (origin === undefined || !allowedHosts.has(originHost(origin, secure ? 'https:' : 'http:'))) return refuse(403, 'Forbidden: foreign Origin');
    if (!sameToken(url.searchParams.get('token'), token)) return refuse(401, 'Unauthorized: missing or wrong access token');
    wss.handleUpgrade(req, socket, head, (ws) => bindClient(ws));
  });

  function bindClient(ws: WebSocket): void {
    const session = openSession(engine, (frame) => {
      if (ws.readyState === ws.OPEN) ws.send(frame);
    });
    ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[], isBinary) => {
      if (!isBinary) {
        // One wire: the page speaks binary frames, as the desktop app's engine process does.
        ws.close(1003, 'Socket Inspector speaks binary frames');
        return;
      }
      const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
      session.receive(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    });
    ws.on('close', () => session.close());
    ws.on('error', () => session.close());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: bindHost, port: options.port ?? 0 }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const scheme = secure ? 'https' : 'http';
  // A wildcard bind is reachable at every address this machine has, and only at those.
  const reachable = reachableHosts(bindHost, interfaces).map((h) => `${hostLiteral(h)}:${port}`.toLowerCase());
  allowedHosts = new Set([...reachable, `localhost:${port}`]);
  if (isLoopbackHost(bindHost) || isWildcardHost(bindHost)) {
    allowedHosts.add(`127.0.0.1:${port}`);
    allowedHosts.add(`[::1]:${port}`);
  }
  // The certificate names the machine, so a browser may come by that name too.
  if (secure) allowedHosts.add(`${hostname().toLowerCase()}:${port}`);
  // Browsers leave the scheme's default port out of Host and Origin.
  if (port === (secure ? 443 : 80)) for (const h of [...allowedHosts]) allowedHosts.add(h.slice(0, h.lastIndexOf(':')));
  const urls = (reachable.length > 0 ? reachable : [`${hostLiteral(bindHost)}:${port}`]).map((h) => `${scheme}://${h}/?token=${token}`);

  return {
    url: urls[0]!,
    urls,
    secure,
    ...(certificate ? { certificate } : {}),
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** The host:port of an Origin header, when it has the page's scheme; '' otherwise. */
function originHost(origin: string, protocol: 'http:' | 'https:'): string {
  try {
    const u = new URL(origin);
    return u.protocol === protocol ? u.host.toLowerCase() : '';
  } catch {
    return '';
  }
}
