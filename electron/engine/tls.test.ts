import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { generate } from 'selfsigned';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeChain, explainTlsError, generateSelfSigned, loadPemFiles, tlsDetails, type PemPair } from './tls';

const HOST = '127.0.0.1';
const DAY = 86_400_000;

// Everything a test opens is closed here, in reverse order, whether the test passed or not.
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  const errors: unknown[] = [];
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
});

async function listen<S extends net.Server>(server: S, host = HOST): Promise<{ server: S; port: number }> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** A TLS server that greets each client and leaves the connection open. */
function tlsServer(options: tls.TlsOptions, host = HOST) {
  const server = tls.createServer(options, (s) => {
    s.on('error', () => {});
    s.write('hello\n');
  });
  server.on('tlsClientError', () => {});
  return listen(server, host);
}

type Outcome = { ok: true; socket: tls.TLSSocket } | { ok: false; error: NodeJS.ErrnoException & Record<string, unknown>; socket: tls.TLSSocket };

/** Connects and settles on the handshake's outcome instead of throwing, so tests can look at either. */
function connect(port: number, options: tls.ConnectionOptions = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: HOST, port, ...options });
    cleanups.push(() => socket.destroy());
    socket.once('secureConnect', () => resolve({ ok: true, socket }));
    socket.once('error', (error) => resolve({ ok: false, error: error as Outcome extends { error: infer E } ? E : never, socket }));
  });
}

async function connectOk(port: number, options: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  const out = await connect(port, options);
  if (!out.ok) throw new Error(`expected a connection, got ${out.error.code}: ${out.error.message}`);
  return out.socket;
}

async function connectFail(port: number, options: tls.ConnectionOptions = {}) {
  const out = await connect(port, options);
  if (out.ok) throw new Error('expected the handshake to fail, but it succeeded');
  return out.error;
}

/** The first handshake error the server reports ('tlsClientError'), for the server's side of a failure. */
function serverError(server: tls.Server): Promise<NodeJS.ErrnoException & Record<string, unknown>> {
  return new Promise((resolve) => server.once('tlsClientError', (err) => resolve(err as NodeJS.ErrnoException & Record<string, unknown>)));
}

/** Connects and waits for the connection's error, even if the client's side of the handshake finished first. */
function failureAfterHandshake(port: number, options: tls.ConnectionOptions = {}): Promise<NodeJS.ErrnoException & Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: HOST, port, ...options });
    cleanups.push(() => socket.destroy());
    socket.on('data', () => {});
    socket.once('error', (err) => resolve(err as NodeJS.ErrnoException & Record<string, unknown>));
    socket.once('close', () => reject(new Error('the connection closed without an error')));
  });
}

/**
 * A TCP relay to a TLS server that flips one bit in the last byte of the first encrypted
 * record the server sends (record type 23): under TLS 1.3 a handshake message, under TLS 1.2
 * the server's first application data. Everything else passes untouched.
 */
async function alteringMiddle(targetPort: number): Promise<number> {
  const relay = net.createServer((client) => {
    client.on('error', () => {});
    const upstream = net.connect(targetPort, HOST);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    let pending = Buffer.alloc(0);
    let altered = false;
    upstream.on('data', (chunk: Buffer) => {
      if (altered) return void client.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      let end = 0;
      while (pending.length - end >= 5) {
        const length = pending.readUInt16BE(end + 3);
        if (pending.length - end < 5 + length) break;
        if (pending[end] === 23 && !altered) {
          const last = end + 5 + length - 1;
          pending[last] = pending[last]! ^ 0x01;
          altered = true;
        }
        end += 5 + length;
      }
      const whole = altered ? pending : pending.subarray(0, end);
      client.write(whole);
      pending = pending.subarray(whole.length);
    });
  });
  return (await listen(relay)).port;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'si-tls-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A certificate with chosen dates, for the expiry tests. */
async function datedPair(notBefore: Date, notAfter: Date): Promise<PemPair> {
  const p = await generate([{ name: 'commonName', value: 'localhost' }], {
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: HOST }] }],
  });
  return { cert: `${p.cert.trim()}\n`, key: p.private };
}

let pair: PemPair;
beforeAll(async () => {
  pair = await generateSelfSigned();
});

describe('generateSelfSigned', () => {
  it('makes a certificate a TLS server accepts and a client trusting it verifies for localhost', async () => {
    let serverSide: tls.TLSSocket | undefined;
    const server = tls.createServer({ cert: pair.cert, key: pair.key }, (s) => {
      serverSide = s;
      s.write('hello\n');
    });
    const { port } = await listen(server);
    const socket = await connectOk(port, { servername: 'localhost', ca: pair.cert });

    const details = tlsDetails(socket);
    expect(details.authorized).toBe(true);
    expect(details.authorizationError).toBeUndefined();
    expect(details.servername).toBe('localhost');
    expect(details.protocol).toBe('TLSv1.3');
    expect(details.cipher).toMatch(/^TLS_/);

    const chain = describeChain(socket);
    expect(chain).toHaveLength(1);
    const leaf = chain[0]!;
    const x509 = new X509Certificate(pair.cert);
    expect(leaf.fingerprint256).toBe(x509.fingerprint256);
    expect(leaf.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(leaf.subject).toContain('CN=localhost');
    expect(leaf.issuer).toBe(leaf.subject);
    expect(leaf.serialNumber).toBe(x509.serialNumber.toUpperCase());
    expect(leaf.subjectAltNames).toEqual(['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']);
    expect(leaf.selfSigned).toBe(true);
    const lifetime = Date.parse(leaf.validTo) - Date.now();
    expect(lifetime).toBeGreaterThan(364 * DAY);
    expect(lifetime).toBeLessThan(366 * DAY);
    expect(Date.parse(leaf.validFrom)).toBeLessThanOrEqual(Date.now());
    expect(leaf.validTo).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);

    // The accepting side sees the SNI name and no client certificate.
    await new Promise((r) => socket.once('data', r));
    const accepted = tlsDetails(serverSide!);
    expect(accepted.servername).toBe('localhost');
    expect(accepted.chain).toEqual([]);
    expect(accepted.protocol).toBe('TLSv1.3');
  });

  it('verifies by IP address too, on 127.0.0.1 and on ::1', async () => {
    const v4 = await tlsServer({ cert: pair.cert, key: pair.key });
    const s4 = await connectOk(v4.port, { ca: pair.cert });
    expect(tlsDetails(s4).authorized).toBe(true);

    let v6: { port: number };
    try {
      v6 = await tlsServer({ cert: pair.cert, key: pair.key }, '::1');
    } catch (err) {
      // Some containers have no IPv6 loopback; the IPv4 half above still ran.
      expect((err as NodeJS.ErrnoException).code).toMatch(/EADDRNOTAVAIL|EAFNOSUPPORT/);
      return;
    }
    const s6 = await connectOk(v6.port, { host: '::1', ca: pair.cert });
    expect(tlsDetails(s6).authorized).toBe(true);
  });

  it('adds extra names without repeating the defaults, and honours the number of days', async () => {
    const p = await generateSelfSigned(['My.Test', '10.0.0.7', '[::1]', '0:0:0:0:0:0:0:1', 'localhost'], 2);
    const x509 = new X509Certificate(p.cert);
    expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:my.test, IP Address:10.0.0.7');
    const lifetime = Date.parse(x509.validTo) - Date.now();
    expect(lifetime).toBeGreaterThan(1.9 * DAY);
    expect(lifetime).toBeLessThan(2.1 * DAY);
    expect(x509.checkPrivateKey((await import('node:crypto')).createPrivateKey(p.key))).toBe(true);
  });

  it('rejects a name that is neither a host name nor an IP, and a non-positive lifetime', async () => {
    await expect(generateSelfSigned(['not a host'])).rejects.toThrow(/neither a host name nor an IP/);
    await expect(generateSelfSigned(['a,b'])).rejects.toThrow(RangeError);
    await expect(generateSelfSigned([], 0)).rejects.toThrow(/between 1 and 36500 days/);
    await expect(generateSelfSigned([], Number.NaN)).rejects.toThrow(RangeError);
  });
});

describe('tlsDetails', () => {
  it('reports the ALPN protocol agreed, the TLS version and the cipher', async () => {
    const { port } = await tlsServer({ cert: pair.cert, key: pair.key, ALPNProtocols: ['h2', 'http/1.1'] });
    const socket = await connectOk(port, { servername: 'localhost', ca: pair.cert, ALPNProtocols: ['http/1.1'] });
    const details = tlsDetails(socket);
    expect(details.alpn).toBe('http/1.1');
    expect(details.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(details.cipher).not.toBeNull();
  });

  it('reports no ALPN when none was offered, and a TLS 1.2 cipher by its IANA name', async () => {
    const { port } = await tlsServer({ cert: pair.cert, key: pair.key, ALPNProtocols: ['h2'] });
    const socket = await connectOk(port, { servername: 'localhost', ca: pair.cert, maxVersion: 'TLSv1.2' });
    const details = tlsDetails(socket);
    expect(details.alpn).toBeNull();
    expect(details.protocol).toBe('TLSv1.2');
    expect(details.cipher).toMatch(/^TLS_ECDHE_RSA_WITH_/);
  });

  it('with verification off, tells why the peer is not authorized', async () => {
    const { port } = await tlsServer({ cert: pair.cert, key: pair.key });
    const socket = await connectOk(port, { servername: 'localhost', rejectUnauthorized: false });
    const details = tlsDetails(socket);
    expect(details.authorized).toBe(false);
    expect(details.authorizationError).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(details.chain).toHaveLength(1);
    expect(explainTlsError(details.authorizationError, { host: HOST, port }).message).toContain('self-signed');
  });

  it('is empty rather than throwing once the socket is gone', async () => {
    const { port } = await tlsServer({ cert: pair.cert, key: pair.key });
    const socket = await connectOk(port, { servername: 'localhost', ca: pair.cert });
    socket.destroy();
    expect(describeChain(socket)).toEqual([]);
    expect(tlsDetails(socket).chain).toEqual([]);
  });
});

describe('certificate failures, explained', () => {
  it('self-signed: a client verifying with no CA gets DEPTH_ZERO_SELF_SIGNED_CERT', async () => {
    const { port } = await tlsServer({ cert: pair.cert, key: pair.key });
    const err = await connectFail(port, { servername: 'localhost' });
    expect(err.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    const info = explainTlsError(err, { host: HOST, port });
    expect(info.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(info.message).toBe(`127.0.0.1:${port} presented a self-signed certificate, which no trusted authority vouches for.`);
    expect(info.hint).toContain('turn verification off to connect anyway (only for testing)');
  });

  it('hostname mismatch: names the certificate is for, from the error Node raises', async () => {
    const { port } = await tlsServer({ cert: pair.cert, key: pair.key });
    const err = await connectFail(port, { servername: 'example.test', ca: pair.cert });
    expect(err.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const info = explainTlsError(err, { host: HOST, port });
    expect(info.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(info.message).toBe(
      `Host name mismatch: the certificate of 127.0.0.1:${port} is for localhost, 127.0.0.1 and ::1, not example.test.`,
    );
    expect(info.hint).toContain('turn verification off');

    // Only the reason text: the names still come through.
    const fromReason = explainTlsError({ code: err.code, reason: err.reason }, { host: HOST, port });
    expect(fromReason.message).toBe(info.message);
  });

  it('hostname mismatch with verification off: the code and the peer certificate give the same sentence', async () => {
    const { port } = await tlsServer({ cert: pair.cert, key: pair.key });
    const socket = await connectOk(port, { servername: 'example.test', ca: pair.cert, rejectUnauthorized: false });
    const details = tlsDetails(socket);
    expect(details.authorized).toBe(false);
    expect(details.authorizationError).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const info = explainTlsError({ code: details.authorizationError, cert: socket.getPeerCertificate() }, { host: HOST, port });
    expect(info.message).toContain('is for localhost, 127.0.0.1 and ::1');
  });

  it('expired: CERT_HAS_EXPIRED, with the end date when the certificate is at hand', async () => {
    const expired = await datedPair(new Date(Date.now() - 30 * DAY), new Date(Date.now() - 2 * DAY));
    const { port } = await tlsServer({ cert: expired.cert, key: expired.key });
    const err = await connectFail(port, { servername: 'localhost', ca: expired.cert });
    expect(err.code).toBe('CERT_HAS_EXPIRED');
    const info = explainTlsError(err, { host: HOST, port });
    expect(info.message).toBe(`The certificate of 127.0.0.1:${port} has expired.`);
    expect(info.hint).toMatch(/Renew.*clock.*turn verification off/);

    const socket = await connectOk(port, { servername: 'localhost', ca: expired.cert, rejectUnauthorized: false });
    expect(socket.authorizationError as unknown).toBe('CERT_HAS_EXPIRED');
    const withDate = explainTlsError({ code: 'CERT_HAS_EXPIRED', cert: socket.getPeerCertificate() }, { host: HOST, port });
    expect(withDate.message).toMatch(/has expired \(it was valid until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)\.$/);
  });

  it('not yet valid: CERT_NOT_YET_VALID', async () => {
    const future = await datedPair(new Date(Date.now() + 2 * DAY), new Date(Date.now() + 30 * DAY));
    const { port } = await tlsServer({ cert: future.cert, key: future.key });
    const err = await connectFail(port, { servername: 'localhost', ca: future.cert });
    expect(err.code).toBe('CERT_NOT_YET_VALID');
    const info = explainTlsError(err, { host: HOST, port });
    expect(info.message).toBe(`The certificate of 127.0.0.1:${port} is not valid yet.`);
    expect(info.hint).toContain('clocks');
  });

  describe('with a CA chain (root → intermediate → leaf)', () => {
    let root: PemPair;
    let intermediate: PemPair;
    let leaf: PemPair;
    beforeAll(async () => {
      const caExtensions = [
        { name: 'basicConstraints' as const, cA: true, critical: true },
        { name: 'keyUsage' as const, keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ];
      const r = await generate([{ name: 'commonName', value: 'Test Root CA' }], { algorithm: 'sha256', extensions: caExtensions });
      root = { cert: `${r.cert.trim()}\n`, key: r.private };
      const i = await generate([{ name: 'commonName', value: 'Test Intermediate CA' }], {
        algorithm: 'sha256',
        extensions: caExtensions,
        ca: root,
      });
      intermediate = { cert: `${i.cert.trim()}\n`, key: i.private };
      const l = await generate([{ name: 'commonName', value: 'localhost' }], {
        algorithm: 'sha256',
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
        ],
        ca: intermediate,
      });
      leaf = { cert: `${l.cert.trim()}\n`, key: l.private };
    });

    it('describes the whole chain leaf first, ending at the self-signed root', async () => {
      const { port } = await tlsServer({ cert: leaf.cert + intermediate.cert, key: leaf.key });
      const socket = await connectOk(port, { servername: 'localhost', ca: root.cert });
      const details = tlsDetails(socket);
      expect(details.authorized).toBe(true);
      expect(details.chain.map((c) => c.subject)).toEqual(['CN=localhost', 'CN=Test Intermediate CA', 'CN=Test Root CA']);
      expect(details.chain.map((c) => c.issuer)).toEqual(['CN=Test Intermediate CA', 'CN=Test Root CA', 'CN=Test Root CA']);
      expect(details.chain.map((c) => c.selfSigned)).toEqual([false, false, true]);
      expect(details.chain[2]!.fingerprint256).toBe(new X509Certificate(root.cert).fingerprint256);
    });

    it('incomplete chain (the server leaves out its intermediate): UNABLE_TO_VERIFY_LEAF_SIGNATURE', async () => {
      const { port } = await tlsServer({ cert: leaf.cert, key: leaf.key });
      const err = await connectFail(port, { servername: 'localhost', ca: root.cert });
      expect(err.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      const info = explainTlsError(err, { host: HOST, port });
      expect(info.message).toContain(`127.0.0.1:${port}`);
      expect(info.message).toContain('incomplete chain');
      expect(info.hint).toContain('full chain');
    });

    it('unknown issuer (the root is not trusted here): UNABLE_TO_GET_ISSUER_CERT_LOCALLY', async () => {
      const { port } = await tlsServer({ cert: leaf.cert + intermediate.cert, key: leaf.key });
      const err = await connectFail(port, { servername: 'localhost' });
      expect(err.code).toBe('UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
      const info = explainTlsError(err, { host: HOST, port });
      expect(info.message).toContain('not trusted here');
      expect(info.hint).toContain('turn verification off');
    });

    it('a private root sent along: SELF_SIGNED_CERT_IN_CHAIN', async () => {
      const { port } = await tlsServer({ cert: leaf.cert + intermediate.cert + root.cert, key: leaf.key });
      const err = await connectFail(port, { servername: 'localhost' });
      expect(err.code).toBe('SELF_SIGNED_CERT_IN_CHAIN');
      const info = explainTlsError(err, { host: HOST, port });
      expect(info.message).toContain('self-signed root');
      expect(info.hint).toContain('trusted CA');
    });
  });
});

describe('handshake failures, explained', () => {
  it('TLS to a plain TCP server: wrong version number', async () => {
    const plain = net.createServer((s) => {
      s.on('error', () => {});
      s.end('HTTP/1.1 400\r\n\r\n');
    });
    const { port } = await listen(plain);
    const err = await connectFail(port, { servername: 'localhost' });
    expect(err.code).toBe('ERR_SSL_WRONG_VERSION_NUMBER');
    const info = explainTlsError(err, { host: HOST, port });
    expect(info.message).toContain(`127.0.0.1:${port} did not answer in TLS`);
    expect(info.message).toContain('plain TCP');
    expect(info.hint).toContain('Turn TLS off');
  });

  it('no TLS version in common: protocol mismatch', async () => {
    const { port } = await tlsServer({ cert: pair.cert, key: pair.key, maxVersion: 'TLSv1.2' });
    const err = await connectFail(port, { servername: 'localhost', ca: pair.cert, minVersion: 'TLSv1.3' });
    expect(['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_UNSUPPORTED_PROTOCOL']).toContain(err.code);
    const info = explainTlsError(err, { host: HOST, port });
    expect(info.message).toContain('protocol mismatch');
    expect(info.hint).toContain('TLS versions');
  });

  it('a server that allows only TLS 1.3, a client that allows only TLS 1.2: a version mismatch on both sides', async () => {
    const { server, port } = await tlsServer({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.3' });
    const serverSide = serverError(server);
    const err = await connectFail(port, { servername: 'localhost', ca: pair.cert, maxVersion: 'TLSv1.2' });
    expect(explainTlsError(err, { host: HOST, port }).message).toContain('no TLS version in common (protocol mismatch)');
    const seen = await serverSide;
    expect(explainTlsError(seen, { host: HOST, port: 50000 }).message).toBe(
      '127.0.0.1:50000 insists on a TLS version this side does not allow, so the handshake stopped (protocol mismatch).',
    );
  });

  it('no cipher in common: handshake failure for the client, no shared cipher for the server', async () => {
    const { server, port } = await tlsServer({ cert: pair.cert, key: pair.key, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
    const serverSide = serverError(server);
    const err = await connectFail(port, { servername: 'localhost', ca: pair.cert, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' });
    // OpenSSL 3.0 says SSLV3_ALERT_HANDSHAKE_FAILURE, OpenSSL 3.5 SSL/TLS_ALERT_HANDSHAKE_FAILURE.
    expect(err.code).toMatch(/^ERR_SSL_.*ALERT_HANDSHAKE_FAILURE$/);
    const info = explainTlsError(err, { host: HOST, port });
    expect(info.code).toBe(err.code);
    expect(info.message).toBe(`127.0.0.1:${port} rejected the TLS handshake (handshake failure): no cipher suite in common, or it wants something this side did not offer, such as a client certificate.`);
    expect(info.hint).toContain('cipher suites');
    const seen = await serverSide;
    expect(seen.code).toBe('ERR_SSL_NO_SHARED_CIPHER');
    const fromServer = explainTlsError(seen, { host: HOST, port: 50000 });
    expect(fromServer.message).toBe('The TLS handshake with 127.0.0.1:50000 failed: the two sides have no cipher suite in common (no shared cipher).');
    expect(fromServer.hint).toContain('cipher suites');
  });

  it('a version range that leaves nothing to offer: no protocols available', async () => {
    const { port } = await tlsServer({ cert: pair.cert, key: pair.key });
    const err = await connectFail(port, { servername: 'localhost', maxVersion: 'TLSv1.1' });
    expect(err.code).toBe('ERR_SSL_NO_PROTOCOLS_AVAILABLE');
    expect(explainTlsError(err, { host: HOST, port }).hint).toContain('Widen the TLS version range');
  });

  it('ALPN with nothing in common', async () => {
    const { port } = await tlsServer({ cert: pair.cert, key: pair.key, ALPNProtocols: ['h2'] });
    const err = await connectFail(port, { servername: 'localhost', ca: pair.cert, ALPNProtocols: ['x-custom'] });
    expect(err.code).toBe('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
    expect(explainTlsError(err, { host: HOST, port }).message).toContain('application protocols offered by ALPN');
  });

  it('ALPN with nothing in common, seen by the server', async () => {
    const { server, port } = await tlsServer({ cert: pair.cert, key: pair.key, ALPNProtocols: ['h2'] });
    const serverSide = serverError(server);
    await connectFail(port, { servername: 'localhost', ca: pair.cert, ALPNProtocols: ['x-custom'] });
    const seen = await serverSide;
    expect(explainTlsError(seen, { host: HOST, port: 50000 }).message).toBe(
      '127.0.0.1:50000 offered only application protocols (ALPN) that this side does not speak.',
    );
  });

  it('a server that requires a client certificate, none sent (TLS 1.3): certificate required', async () => {
    const { server, port } = await tlsServer({ cert: pair.cert, key: pair.key, requestCert: true, rejectUnauthorized: true, ca: pair.cert });
    const serverSide = serverError(server);
    // In TLS 1.3 the client may finish its side of the handshake before the server's alert
    // arrives, so wait for the error either way.
    const err = await failureAfterHandshake(port, { servername: 'localhost', ca: pair.cert });
    const info = explainTlsError(err, { host: HOST, port });
    expect(info.message).toBe(`127.0.0.1:${port} requires a client certificate, and none was sent.`);
    expect(info.hint).toContain('client certificate');
    const seen = await serverSide;
    expect(explainTlsError(seen, { host: HOST, port: 50000 }).message).toBe('127.0.0.1:50000 sent no certificate, and this side requires one.');
  });

  it('a server that requires a client certificate, none sent (TLS 1.2): a handshake failure that names the client certificate', async () => {
    const { port } = await tlsServer({ cert: pair.cert, key: pair.key, requestCert: true, rejectUnauthorized: true, ca: pair.cert, maxVersion: 'TLSv1.2' });
    const err = await connectFail(port, { servername: 'localhost', ca: pair.cert });
    const info = explainTlsError(err, { host: HOST, port });
    expect(info.message).toContain('(handshake failure)');
    expect(info.message).toContain('client certificate');
  });

  it('plain HTTP sent to a TLS server: the server sees an HTTP request where the handshake belongs', async () => {
    const { server, port } = await tlsServer({ cert: pair.cert, key: pair.key });
    const serverSide = serverError(server);
    const plain = net.connect(port, HOST, () => plain.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    plain.on('error', () => {});
    cleanups.push(() => plain.destroy());
    const seen = await serverSide;
    expect(seen.code).toBe('ERR_SSL_HTTP_REQUEST');
    const info = explainTlsError(seen, { host: HOST, port: 50000 });
    expect(info.message).toBe('127.0.0.1:50000 sent a plain HTTP request where a TLS handshake belongs: it speaks HTTP, not TLS, to this side.');
    expect(info.hint).toContain('https://');
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`a record altered on the way (${version}): it fails decryption or its integrity check`, async () => {
      const { port } = await tlsServer({ cert: pair.cert, key: pair.key, maxVersion: version });
      const middle = await alteringMiddle(port);
      const err = await failureAfterHandshake(middle, { servername: 'localhost', ca: pair.cert, maxVersion: version });
      // TLS 1.3: DECRYPTION_FAILED_OR_BAD_RECORD_MAC; TLS 1.2 with AES-GCM under OpenSSL 3:
      // CIPHER_OPERATION_FAILED from its cipher provider.
      expect(err.code).toMatch(/^ERR_SSL_/);
      const info = explainTlsError(err, { host: HOST, port: middle });
      expect(info.message).toBe(
        `A TLS record from 127.0.0.1:${middle} failed decryption or its integrity check (bad record mac): the data was altered on the way, or a TLS implementation on the path is faulty.`,
      );
      expect(info.hint).toContain('rewrites traffic');
    });
  }

  it('the peer resets the connection during the handshake: ECONNRESET', async () => {
    const resetter = net.createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.resetAndDestroy());
    });
    const { port } = await listen(resetter);
    const err = await connectFail(port, { servername: 'localhost' });
    expect(err.code).toBe('ECONNRESET');
    const info = explainTlsError(err, { host: HOST, port });
    expect(info.message).toBe(`127.0.0.1:${port} reset the connection during the TLS handshake.`);
    expect(info.hint).toContain('may not speak TLS');
  });

  it('the peer closes the connection during the handshake: ECONNRESET, said as a close', async () => {
    const closer = net.createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.end());
    });
    const { port } = await listen(closer);
    const err = await connectFail(port, { servername: 'localhost' });
    expect(err.code).toBe('ECONNRESET');
    expect(explainTlsError(err, { host: HOST, port }).message).toBe(
      `127.0.0.1:${port} closed the connection during the TLS handshake, before a secure connection was established.`,
    );
  });
});

describe('explainTlsError without a socket', () => {
  it('brackets IPv6 hosts, and copes with no host at all', () => {
    expect(explainTlsError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, { host: '::1', port: 8443 }).message).toMatch(/^\[::1\]:8443 presented/);
    expect(explainTlsError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, {}).message).toMatch(/^The server presented/);
    expect(explainTlsError('CERT_HAS_EXPIRED', { host: 'example.test', port: 443 }).message).toBe('The certificate of example.test:443 has expired.');
  });

  it('EPROTO carrying an OpenSSL reason is explained by that reason', () => {
    const err = Object.assign(
      new Error('write EPROTO 80BC46320D7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/ssl/record/ssl3_record.c:350:'),
      { code: 'EPROTO' },
    );
    const info = explainTlsError(err, { host: HOST, port: 443 });
    expect(info.code).toBe('EPROTO');
    expect(info.message).toContain('127.0.0.1:443 did not answer in TLS');
    const handshake = explainTlsError(Object.assign(new Error('SSL routines:x:sslv3 alert handshake failure:'), { code: 'EPROTO' }), { host: HOST, port: 443 });
    expect(handshake.message).toContain('handshake failure');
  });

  it('unknown codes keep what Node said, without the OpenSSL error-stack prefix', () => {
    const raw = Object.assign(new Error('80BC:error:0A00042F:SSL routines:ssl3_read_bytes:sslv3 alert illegal parameter:rec_layer_s3.c:1601:SSL alert number 47'), {
      code: 'ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER',
      reason: 'sslv3 alert illegal parameter',
    });
    expect(explainTlsError(raw, { host: HOST, port: 443 })).toEqual({
      code: 'ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER',
      message: 'TLS error with 127.0.0.1:443: sslv3 alert illegal parameter',
    });
    const odd = explainTlsError(Object.assign(new Error('certificate has unsupported extension'), { code: 'SOMETHING_NEW' }), { host: HOST, port: 443 });
    expect(odd).toEqual({ code: 'SOMETHING_NEW', message: 'TLS error with 127.0.0.1:443: certificate has unsupported extension' });
  });

  it('the rarer verification results are said in words too (shared/tls-verification.ts)', () => {
    const revoked = explainTlsError(Object.assign(new Error('certificate revoked'), { code: 'CERT_REVOKED' }), { host: HOST, port: 443 });
    expect(revoked).toEqual({
      code: 'CERT_REVOKED',
      message: 'The certificate of 127.0.0.1:443 has been revoked by the CA that issued it.',
      hint: "Check the server's certificate and its chain, or turn verification off to connect anyway (only for testing).",
    });
    expect(explainTlsError('INVALID_PURPOSE', { host: 'example.test', port: 443 }).message).toBe(
      'The certificate of example.test:443 is not meant for this use (server authentication).',
    );
    expect(explainTlsError('CERT_SIGNATURE_FAILURE', {}).message).toBe(
      "The signature on the server's certificate does not check out: it was altered, or not signed by the issuer it names.",
    );
  });

  it('plain socket errors get the same explanation as without TLS', () => {
    const info = explainTlsError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), { host: HOST, port: 9 });
    expect(info.message).toBe('Connection refused: nothing is listening at 127.0.0.1:9.');
  });
});

describe('loadPemFiles', () => {
  it('loads a matching certificate and key', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'cert.pem'), pair.cert);
    await writeFile(path.join(dir, 'key.pem'), pair.key);
    const loaded = await loadPemFiles(path.join(dir, 'cert.pem'), path.join(dir, 'key.pem'));
    expect(loaded).toEqual(pair);
    // And the loaded pair serves.
    const { port } = await tlsServer(loaded);
    expect(tlsDetails(await connectOk(port, { servername: 'localhost', ca: loaded.cert })).authorized).toBe(true);
  });

  it('a missing file is named', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'key.pem'), pair.key);
    const missing = path.join(dir, 'nope.pem');
    const err = await loadPemFiles(missing, path.join(dir, 'key.pem')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PEM_FILE_NOT_FOUND', message: `The certificate file ${missing} does not exist.` });
    // explainTlsError passes the sentence and hint through, so the engine can treat both alike.
    expect(explainTlsError(err, {})).toEqual({ code: 'PEM_FILE_NOT_FOUND', message: `The certificate file ${missing} does not exist.`, hint: 'Check the path, or choose the file again.' });
  });

  it('a file that is not PEM says so; a DER file is recognised and the conversion suggested', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'key.pem'), pair.key);
    await writeFile(path.join(dir, 'notes.txt'), 'hello, this is not a certificate\n');
    await expect(loadPemFiles(path.join(dir, 'notes.txt'), path.join(dir, 'key.pem'))).rejects.toMatchObject({
      code: 'PEM_NOT_PEM',
      message: expect.stringContaining('is not PEM'),
    });
    await writeFile(path.join(dir, 'cert.der'), new X509Certificate(pair.cert).raw);
    await expect(loadPemFiles(path.join(dir, 'cert.der'), path.join(dir, 'key.pem'))).rejects.toMatchObject({
      code: 'PEM_NOT_PEM',
      message: expect.stringContaining('binary (DER or PKCS#12)'),
      hint: expect.stringContaining('openssl x509 -inform der'),
    });
  });

  it('swapped files, and a certificate where the key should be', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'cert.pem'), pair.cert);
    await writeFile(path.join(dir, 'key.pem'), pair.key);
    await expect(loadPemFiles(path.join(dir, 'key.pem'), path.join(dir, 'cert.pem'))).rejects.toMatchObject({
      message: expect.stringContaining('look swapped'),
    });
    await expect(loadPemFiles(path.join(dir, 'cert.pem'), path.join(dir, 'cert.pem'))).rejects.toMatchObject({
      code: 'PEM_NOT_PEM',
      message: expect.stringContaining('holds no private key (it holds a certificate)'),
    });
  });

  it('a key that belongs to another certificate is refused', async () => {
    const dir = await tempDir();
    const other = await generateSelfSigned();
    await writeFile(path.join(dir, 'cert.pem'), pair.cert);
    await writeFile(path.join(dir, 'other-key.pem'), other.key);
    await expect(loadPemFiles(path.join(dir, 'cert.pem'), path.join(dir, 'other-key.pem'))).rejects.toMatchObject({
      code: 'PEM_KEY_MISMATCH',
      message: expect.stringContaining('does not match the certificate'),
    });
  });

  it('a passphrase-protected key is named as such', async () => {
    const dir = await tempDir();
    const crypto = await import('node:crypto');
    const encrypted = crypto.createPrivateKey(pair.key).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' });
    await writeFile(path.join(dir, 'cert.pem'), pair.cert);
    await writeFile(path.join(dir, 'key.pem'), encrypted);
    await expect(loadPemFiles(path.join(dir, 'cert.pem'), path.join(dir, 'key.pem'))).rejects.toMatchObject({ code: 'PEM_KEY_ENCRYPTED' });
  });
});

// ---------------------------------------------------------------------------------------------
// OpenSSL as an independent peer

function findOpenssl(): string | null {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return 'openssl';
  } catch {
    return null;
  }
}
const OPENSSL = findOpenssl();
if (!OPENSSL) console.warn('tls.test.ts: openssl is not installed, so the tests against OpenSSL peers are skipped.');

interface Child {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], stdinText?: string): Child {
  const proc = spawn(OPENSSL!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stdin!.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  proc.once('error', () => {});
  cleanups.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  if (stdinText !== undefined) proc.stdin!.end(stdinText);
  return { proc, output: () => out, exited };
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, HOST, resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts openssl s_server on a free port with these arguments and waits until it accepts. */
async function sServer(args: string[]): Promise<number> {
  // The free port can be taken between probing and binding; try another if so.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = run(['s_server', '-accept', `${HOST}:${port}`, ...args]);
    const ready = await Promise.race([
      new Promise<boolean>((resolve) => {
        const check = () => {
          if (child.output().includes('ACCEPT')) resolve(true);
        };
        child.proc.stdout!.on('data', check);
        check();
      }),
      child.exited.then(() => false),
    ]);
    if (ready) return port;
  }
  throw new Error('openssl s_server did not start');
}

async function writePair(p: PemPair): Promise<{ certFile: string; keyFile: string }> {
  const dir = await tempDir();
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  await writeFile(certFile, p.cert);
  await writeFile(keyFile, p.key);
  return { certFile, keyFile };
}

describe.skipIf(!OPENSSL)(`against OpenSSL peers${OPENSSL ? '' : ' (skipped: openssl is not installed)'}`, () => {
  it('a client trusting the generated certificate verifies an openssl s_server using it', async () => {
    const { certFile, keyFile } = await writePair(pair);
    const port = await sServer(['-cert', certFile, '-key', keyFile, '-www']);

    const socket = await connectOk(port, { servername: 'localhost', ca: pair.cert });
    const details = tlsDetails(socket);
    expect(details.authorized).toBe(true);
    expect(details.chain[0]!.fingerprint256).toBe(new X509Certificate(pair.cert).fingerprint256);
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString()));
    socket.write('GET / HTTP/1.0\r\n\r\n');
    await new Promise((resolve) => socket.once('end', resolve));
    expect(reply).toMatch(/^HTTP\/1\.0 200 ok/);
  });

  for (const version of ['-tls1_2', '-tls1_3']) {
    it(`an openssl s_server that does not trust the client certificate (${version}): unknown CA`, async () => {
      const { certFile, keyFile } = await writePair(pair);
      const port = await sServer(['-cert', certFile, '-key', keyFile, '-Verify', '1', '-verify_return_error', '-CAfile', certFile, version]);
      const client = await generateSelfSigned();
      const err = await failureAfterHandshake(port, { servername: 'localhost', ca: pair.cert, cert: client.cert, key: client.key });
      expect(err.code).toMatch(/^ERR_SSL_.*ALERT_UNKNOWN_CA$/);
      const info = explainTlsError(err, { host: HOST, port });
      expect(info.message).toBe(`127.0.0.1:${port} does not trust the authority that issued the certificate this side presented (unknown CA).`);
      expect(info.hint).toContain('CA');
    });
  }

  it('an openssl s_server given an expired client certificate: certificate expired', async () => {
    const { certFile, keyFile } = await writePair(pair);
    const now = Date.now();
    const expired = await datedPair(new Date(now - 30 * DAY), new Date(now - DAY));
    const { certFile: expiredFile } = await writePair(expired);
    const port = await sServer(['-cert', certFile, '-key', keyFile, '-Verify', '1', '-verify_return_error', '-CAfile', expiredFile, '-tls1_2']);
    const err = await failureAfterHandshake(port, { servername: 'localhost', ca: pair.cert, cert: expired.cert, key: expired.key });
    // OpenSSL 3.0 says SSLV3_ALERT_CERTIFICATE_EXPIRED, OpenSSL 3.5 SSL/TLS_ALERT_CERTIFICATE_EXPIRED.
    expect(err.code).toMatch(/^ERR_SSL_.*ALERT_CERTIFICATE_EXPIRED$/);
    const info = explainTlsError(err, { host: HOST, port });
    expect(info.message).toBe(`127.0.0.1:${port} rejected the certificate this side presented: it has expired, or is not valid yet (certificate expired).`);
    expect(info.hint).toContain('Renew');
  });

  it('openssl s_client verifies a Node TLS server using the generated pair only when given it as CA', async () => {
    const { certFile } = await writePair(pair);
    const server = tls.createServer({ cert: pair.cert, key: pair.key }, (s) => {
      s.on('error', () => {});
      s.end('hello from node\n');
    });
    server.on('tlsClientError', () => {});
    const { port } = await listen(server);
    // -ign_eof: wait for the server to close rather than quit when stdin ends, so its greeting arrives.
    const connectArgs = ['s_client', '-connect', `${HOST}:${port}`, '-servername', 'localhost', '-ign_eof'];

    const untrusted = run(connectArgs, '');
    await untrusted.exited;
    expect(untrusted.output()).toContain('Verify return code: 18 (self-signed certificate)');

    const trusted = run([...connectArgs, '-CAfile', certFile, '-verify_hostname', 'localhost'], '');
    await trusted.exited;
    expect(trusted.output()).toContain('Verify return code: 0 (ok)');
    expect(trusted.output()).toContain('hello from node');
  });
});
