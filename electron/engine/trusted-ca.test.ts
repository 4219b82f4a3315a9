// A TLS client that trusts a CA file besides the system's: a real TLS server with a self-signed
// certificate, refused without the file and verified with it; and every way the file can be wrong.
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { generate } from 'selfsigned';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCommand } from '../../shared/contract';
import { describeTlsVerification } from '../../shared/tls-verification';
import { dispatchCommand } from './dispatch';
import { makeEngine, onCleanup, value } from './testing/helpers';
import { defaultCaCertificates, generateSelfSigned, loadCaFile, type PemPair } from './tls';

let pair: PemPair;
/** Someone else's certificate, with a name of its own. */
let other: PemPair;
beforeAll(async () => {
  pair = await generateSelfSigned();
  const o = await generate([{ name: 'commonName', value: 'Another test CA' }], { keyType: 'rsa', keySize: 2048, algorithm: 'sha256' });
  other = { cert: o.cert, key: o.private };
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'si-ca-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A TLS server on loopback with this certificate, greeting each client. */
async function tlsServer(p: PemPair): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ cert: p.cert, key: p.key }, (s) => {
    s.on('error', () => {});
    s.write('hello\n');
  });
  server.on('tlsClientError', () => {});
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

describe('connect with a trusted CA file', () => {
  it('a self-signed server: refused without the file, verified with it, and the host name is still checked', async () => {
    const { engine } = makeEngine();
    const port = await tlsServer(pair);
    const dir = await tempDir();
    const caPath = path.join(dir, 'server.pem');
    await writeFile(caPath, pair.cert);

    const refused = await engine.connect({ host: '127.0.0.1', port, timeoutMs: 3000, tls: { verify: true, servername: 'localhost', alpn: [] } });
    expect(refused).toMatchObject({ ok: false, code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });

    const verified = value(await engine.connect({ host: '127.0.0.1', port, timeoutMs: 3000, tls: { verify: true, servername: 'localhost', alpn: [], caPath } }));
    expect(verified.state).toBe('open');
    expect(verified.tls).toMatchObject({ authorized: true });
    expect(verified.tls?.authorizationError).toBeUndefined();
    expect(verified.tls?.chain[0]?.fingerprint256).toBe(new X509Certificate(pair.cert).fingerprint256);

    // Trusting the certificate does not make it good for another name.
    const mismatch = await engine.connect({ host: '127.0.0.1', port, timeoutMs: 3000, tls: { verify: true, servername: 'other.example', alpn: [], caPath } });
    expect(mismatch).toMatchObject({ ok: false, code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('with verification off, the file still decides whether the connection says it is verified', async () => {
    const { engine } = makeEngine();
    const port = await tlsServer(pair);
    const dir = await tempDir();
    const caPath = path.join(dir, 'server.pem');
    await writeFile(caPath, pair.cert);
    const unverified = value(await engine.connect({ host: '127.0.0.1', port, timeoutMs: 3000, tls: { verify: false, servername: 'localhost', alpn: [] } }));
    expect(unverified.tls).toMatchObject({ authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(describeTlsVerification(unverified.tls!.authorizationError!)).toMatch(/self-signed/);
    const trusted = value(await engine.connect({ host: '127.0.0.1', port, timeoutMs: 3000, tls: { verify: false, servername: 'localhost', alpn: [], caPath } }));
    expect(trusted.tls).toMatchObject({ authorized: true });
  });

  // OpenSSL takes the first trusted certificate whose subject names the issuer; certificates
  // without key identifiers that share a subject cannot be told apart, as in any CA bundle.
  it('a file of several certificates: the one that matches is used, the others do no harm', async () => {
    const { engine } = makeEngine();
    const port = await tlsServer(pair);
    const dir = await tempDir();
    const bundle = path.join(dir, 'bundle.pem');
    await writeFile(bundle, `# our test CAs\n${other.cert}\n${pair.cert}`);
    expect(await loadCaFile(bundle)).toHaveLength(2);
    const c = value(await engine.connect({ host: '127.0.0.1', port, timeoutMs: 3000, tls: { verify: true, servername: 'localhost', alpn: [], caPath: bundle } }));
    expect(c.tls?.authorized).toBe(true);

    // A file that trusts someone else is no help.
    const wrong = path.join(dir, 'other.pem');
    await writeFile(wrong, other.cert);
    expect(await engine.connect({ host: '127.0.0.1', port, timeoutMs: 3000, tls: { verify: true, servername: 'localhost', alpn: [], caPath: wrong } })).toMatchObject({
      ok: false,
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });

  it('a server whose certificate comes from a private CA: verified once the CA (made with selfsigned) is trusted', async () => {
    const { engine } = makeEngine();
    const now = Date.now();
    const ca = await generate([{ name: 'commonName', value: 'Socket Inspector test CA' }], {
      keyType: 'rsa',
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate: new Date(now - 60_000),
      notAfterDate: new Date(now + 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'rsa',
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate: new Date(now - 60_000),
      notAfterDate: new Date(now + 86_400_000),
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
      ],
    });
    const port = await tlsServer({ cert: leaf.cert, key: leaf.private });
    const dir = await tempDir();
    const caPath = path.join(dir, 'ca.pem');
    await writeFile(caPath, ca.cert);
    expect(await engine.connect({ host: '127.0.0.1', port, timeoutMs: 3000, tls: { verify: true, servername: 'localhost', alpn: [] } })).toMatchObject({
      ok: false,
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    const c = value(await engine.connect({ host: '127.0.0.1', port, timeoutMs: 3000, tls: { verify: true, servername: 'localhost', alpn: [], caPath } }));
    expect(c.tls?.authorized).toBe(true);
    expect(c.tls?.chain[0]?.issuer).toContain('Socket Inspector test CA');
  });

  it('comes through the contract as every host sends it', async () => {
    const { engine } = makeEngine();
    const port = await tlsServer(pair);
    const dir = await tempDir();
    const caPath = path.join(dir, 'server.pem');
    await writeFile(caPath, pair.cert);
    expect(parseCommand('connect', { host: '127.0.0.1', port, tls: { servername: 'localhost', caPath: `  ${caPath}  ` }, timeoutMs: 3000 }).ok).toBe(true);
    const r = await dispatchCommand(engine, 'connect', { host: '127.0.0.1', port, timeoutMs: 3000, tls: { servername: 'localhost', caPath: ` ${caPath} ` } });
    expect(r).toMatchObject({ ok: true, value: { tls: { authorized: true } } });
  });

  it('adds to the CAs trusted anyway rather than replacing them', () => {
    const defaults = defaultCaCertificates();
    expect(defaults.length).toBeGreaterThan(50);
    expect(defaults).toEqual(expect.arrayContaining([...tls.rootCertificates]));
  });
});

describe('a trusted CA file that cannot be used', () => {
  /** Connects with this CA file: the error, and no connection record for it. */
  async function refusal(caPath: string) {
    const { engine } = makeEngine();
    const port = await tlsServer(pair);
    const r = await engine.connect({ host: '127.0.0.1', port, timeoutMs: 3000, tls: { verify: true, servername: 'localhost', alpn: [], caPath } });
    if (r.ok) throw new Error('expected the CA file to be refused');
    expect(engine.snapshot().connections).toEqual([]);
    return r;
  }

  it('a missing file', async () => {
    const dir = await tempDir();
    const missing = path.join(dir, 'nope.pem');
    expect(await refusal(missing)).toMatchObject({
      code: 'PEM_FILE_NOT_FOUND',
      message: `The trusted CA file ${missing} does not exist.`,
      hint: 'Check the path, or choose the file again.',
    });
  });

  it('a folder, and something that is not a regular file', async () => {
    const dir = await tempDir();
    const folder = path.join(dir, 'certs');
    await mkdir(folder);
    expect(await refusal(folder)).toMatchObject({ code: 'PEM_FILE_UNREADABLE', message: `The trusted CA file ${folder} is a folder, not a file.` });
    if (process.platform !== 'win32') {
      expect(await refusal('/dev/null')).toMatchObject({ code: 'PEM_FILE_UNREADABLE', message: 'The trusted CA file /dev/null is not a regular file (a device, pipe or socket).' });
    }
  });

  it('a file that is not PEM, a DER certificate, and a key instead of a certificate', async () => {
    const dir = await tempDir();
    const text = path.join(dir, 'notes.txt');
    await writeFile(text, 'not a certificate\n');
    expect(await refusal(text)).toMatchObject({
      code: 'PEM_NOT_PEM',
      message: `The trusted CA file ${text} is not PEM: it has no "-----BEGIN" line.`,
      hint: 'Choose a PEM trusted CA file: text that starts with -----BEGIN CERTIFICATE-----.',
    });
    const der = path.join(dir, 'ca.der');
    await writeFile(der, new X509Certificate(pair.cert).raw);
    expect(await refusal(der)).toMatchObject({
      code: 'PEM_NOT_PEM',
      message: `The trusted CA file ${der} is binary (DER or PKCS#12), not PEM text.`,
      hint: 'Convert it to PEM: openssl x509 -inform der -in FILE -out ca.pem.',
    });
    const key = path.join(dir, 'key.pem');
    await writeFile(key, pair.key);
    expect(await refusal(key)).toMatchObject({ code: 'PEM_NOT_PEM', message: `The trusted CA file ${key} holds no certificate (it holds a private key).` });
  });

  it('a certificate that cannot be parsed, named by its place in the file', async () => {
    const dir = await tempDir();
    const broken = path.join(dir, 'broken.pem');
    await writeFile(broken, `${pair.cert}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`);
    expect(await refusal(broken)).toMatchObject({
      code: 'PEM_INVALID_CERT',
      message: expect.stringMatching(new RegExp(`^Certificate 2 of 2 in ${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be parsed: `)),
    });
  });

  it('a file over 1 MiB', async () => {
    const dir = await tempDir();
    const big = path.join(dir, 'big.pem');
    await writeFile(big, pair.cert);
    await truncate(big, 1024 * 1024 + 1);
    expect(await refusal(big)).toMatchObject({
      code: 'PEM_FILE_TOO_LARGE',
      message: `The trusted CA file ${big} is 1048577 bytes: more than the 1 MiB a PEM certificate file can be here.`,
    });
    // 1 MiB itself is read.
    await truncate(big, 1024 * 1024);
    await expect(loadCaFile(big)).resolves.toHaveLength(1);
  });
});
