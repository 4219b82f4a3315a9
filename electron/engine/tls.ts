import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { generate } from 'selfsigned';
import { formatHostPort } from '../../shared/format';
import { verificationSentence } from '../../shared/tls-verification';
import type { CertificateInfo, TlsDetails } from '../../shared/model';
import type { ErrorInfo } from '../../shared/result';
import { explainError } from './errors';
import { readableDetail, reasonInWords, tlsFailure, type TlsFailure } from './tls-reasons';

// The shapes the UI shows live in the shared contract.
export type { CertificateInfo, TlsDetails };

/** A PEM certificate and key. */
export interface PemPair {
  cert: string;
  key: string;
}

const DAY_MS = 86_400_000;
const DEFAULT_NAMES = ['localhost', '127.0.0.1', '::1'];
/** A real chain is 2 to 4 certificates; the cap only guards against a malformed structure. */
const MAX_CHAIN = 16;
/** Certificates and keys are a few KiB; a bigger file is the wrong file, and not worth reading. */
const MAX_PEM_FILE_BYTES = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Certificate generation

/** IPv6 in its shortest form (0:0:0:0:0:0:0:1 → ::1), so names compare and read the same. */
function canonicalIp(ip: string): string {
  if (net.isIPv6(ip)) {
    try {
      return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
    } catch {
      return ip.toLowerCase();
    }
  }
  return ip;
}

const DNS_NAME = /^(\*\.)?[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;

interface AltName {
  type: 2 | 7;
  value?: string;
  ip?: string;
}

function altNameFor(raw: string): { key: string; alt: AltName } {
  const name = raw.trim().replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(name)) {
    const ip = canonicalIp(name);
    return { key: `ip:${ip}`, alt: { type: 7, ip } };
  }
  const dns = name.toLowerCase().replace(/\.$/, '');
  if (dns.length === 0 || dns.length > 253 || !DNS_NAME.test(dns)) {
    throw new RangeError(`"${raw}" is neither a host name nor an IP address, so it cannot go in a certificate.`);
  }
  return { key: `dns:${dns}`, alt: { type: 2, value: dns } };
}

/** A self-signed certificate for localhost, 127.0.0.1 and ::1 (plus extra names), valid for `days`. */
export async function generateSelfSigned(extraNames: string[] = [], days = 365): Promise<PemPair> {
  if (!Number.isFinite(days) || days <= 0 || days > 36_500) {
    throw new RangeError(`A certificate must be valid for between 1 and 36500 days (got ${days}).`);
  }
  const altNames: AltName[] = [];
  const seen = new Set<string>();
  for (const raw of [...DEFAULT_NAMES, ...extraNames]) {
    const { key, alt } = altNameFor(raw);
    if (seen.has(key)) continue;
    seen.add(key);
    altNames.push(alt);
  }
  // A minute of slack: a peer whose clock runs a little behind would otherwise see a certificate
  // that is "not yet valid" for the first seconds of its life.
  const now = Date.now();
  const pems = await generate(
    [
      { name: 'commonName', value: 'localhost' },
      { name: 'organizationName', value: 'Socket Inspector self-signed' },
    ],
    {
      keyType: 'rsa',
      keySize: 2048,
      // selfsigned still defaults to SHA-1, which OpenSSL 3 rejects at its default security level.
      algorithm: 'sha256',
      notBeforeDate: new Date(now - 60_000),
      notAfterDate: new Date(now + days * DAY_MS),
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
        { name: 'subjectAltName', altNames },
      ],
    },
  );
  // A final newline, so the certificate can be written to a file or followed by a chain as is.
  const withNewline = (pem: string) => (pem.endsWith('\n') ? pem : `${pem}\n`);
  return { cert: withNewline(pems.cert), key: withNewline(pems.private) };
}

// ---------------------------------------------------------------------------------------------
// Describing certificates and connections

/**
 * Splits Node's subjectaltname text ("DNS:a, IP Address:1.2.3.4, DNS:\"odd, name\"") into
 * entries. Node quotes a value as a JSON string when it holds a comma or another special
 * character, so a plain split on ", " would cut such a name in two.
 */
function parseAltNames(text: string | undefined): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = [];
  if (!text) return out;
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const type = text.slice(i, colon).trim();
    let j = colon + 1;
    let value: string;
    if (text[j] === '"') {
      let k = j + 1;
      while (k < text.length && text[k] !== '"') k += text[k] === '\\' ? 2 : 1;
      const quoted = text.slice(j, k + 1);
      try {
        value = JSON.parse(quoted) as string;
      } catch {
        value = quoted.slice(1, -1);
      }
      j = k + 1;
    } else {
      const comma = text.indexOf(', ', j);
      const end = comma < 0 ? text.length : comma;
      value = text.slice(j, end);
      j = end;
    }
    out.push({ type, value });
    // Skip the separator (and anything stray before it, which only a malformed text has).
    const next = text.indexOf(', ', j);
    i = next < 0 ? text.length : next + 2;
  }
  return out;
}

function altNameLabel({ type, value }: { type: string; value: string }): string {
  if (type === 'IP Address') return `IP:${canonicalIp(value)}`;
  return `${type}:${value}`;
}

/** The names a certificate is for, plain (localhost, ::1), for sentences. */
function certificateNames(cert: Partial<tls.PeerCertificate> | undefined): string[] {
  if (!cert) return [];
  const names = parseAltNames(cert.subjectaltname)
    .filter((n) => n.type === 'DNS' || n.type === 'IP Address')
    .map((n) => (n.type === 'IP Address' ? canonicalIp(n.value) : n.value));
  if (names.length > 0) return names;
  // Without a SAN extension, clients fall back to the subject's common name.
  const cn = cert.subject?.CN;
  return cn === undefined ? [] : ([] as string[]).concat(cn);
}

function isoDate(text: string | undefined): string {
  if (!text) return '';
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
}

function formatName(name: tls.Certificate | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .flatMap(([k, v]) => ([] as string[]).concat(v as string | string[]).map((x) => `${k}=${x}`))
    .join(', ');
}

function describeCertificate(cert: tls.PeerCertificate): CertificateInfo {
  let x509: X509Certificate | undefined;
  try {
    if (cert.raw) x509 = new X509Certificate(cert.raw);
  } catch {
    x509 = undefined;
  }
  let selfSigned = false;
  if (x509) {
    // Not checkIssued(): OpenSSL's version also wants keyCertSign, which a self-signed server
    // certificate (not a CA) rightly lacks.
    const selfIssued = x509.subject === x509.issuer;
    try {
      selfSigned = selfIssued && x509.verify(x509.publicKey);
    } catch {
      // An algorithm this OpenSSL cannot verify: "issued by itself" is the best we can say.
      selfSigned = selfIssued;
    }
  } else {
    selfSigned = formatName(cert.subject) === formatName(cert.issuer);
  }
  return {
    subject: x509 ? x509.subject.split('\n').join(', ') : formatName(cert.subject),
    issuer: x509 ? x509.issuer.split('\n').join(', ') : formatName(cert.issuer),
    validFrom: isoDate(x509?.validFrom ?? cert.valid_from),
    validTo: isoDate(x509?.validTo ?? cert.valid_to),
    fingerprint256: x509?.fingerprint256 ?? cert.fingerprint256 ?? '',
    serialNumber: (x509?.serialNumber ?? cert.serialNumber ?? '').toUpperCase(),
    subjectAltNames: parseAltNames(x509?.subjectAltName ?? cert.subjectaltname).map(altNameLabel),
    selfSigned,
  };
}

/** Walks getPeerCertificate(true) into a chain, leaf first, stopping at a self-issued certificate or a loop. */
export function describeChain(socket: tls.TLSSocket): CertificateInfo[] {
  let cert: tls.DetailedPeerCertificate | undefined;
  try {
    // Null once the socket is destroyed, {} when the peer sent no certificate.
    cert = socket.getPeerCertificate(true) ?? undefined;
  } catch {
    return [];
  }
  const chain: CertificateInfo[] = [];
  const seen = new Set<unknown>();
  while (cert && cert.raw && chain.length < MAX_CHAIN) {
    const id = cert.fingerprint256 || cert;
    if (seen.has(id)) break;
    seen.add(id);
    const info = describeCertificate(cert);
    chain.push(info);
    const next: tls.DetailedPeerCertificate | undefined = cert.issuerCertificate;
    if (info.selfSigned || !next || next === cert) break;
    cert = next;
  }
  return chain;
}

function verificationCode(err: unknown): string | undefined {
  if (err === null || err === undefined) return undefined;
  // Node sets authorizationError to the code string, although its types say Error.
  if (typeof err === 'string') return err;
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string') return e.code;
  return typeof e.message === 'string' ? e.message : String(err);
}

/** Protocol, cipher, ALPN, authorization and the chain of a connected TLS socket. */
export function tlsDetails(socket: tls.TLSSocket): TlsDetails {
  const cipher = socket.getCipher() as tls.CipherNameAndProtocol | undefined;
  const details: TlsDetails = {
    protocol: socket.getProtocol() ?? null,
    cipher: cipher ? cipher.standardName || cipher.name || null : null,
    alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
    authorized: socket.authorized === true,
    chain: describeChain(socket),
  };
  if (typeof socket.servername === 'string' && socket.servername !== '') details.servername = socket.servername;
  const authError = verificationCode(socket.authorizationError);
  if (authError !== undefined) details.authorizationError = authError;
  return details;
}

// ---------------------------------------------------------------------------------------------
// Explaining failures

const TURN_OFF = 'turn verification off to connect anyway (only for testing)';

function listNames(names: string[]): string {
  const shown = names.slice(0, 6);
  const more = names.length - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more`;
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

function shortDate(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

interface ExplainContext {
  code: string;
  /** The canonical reason (tls-reasons.ts) for library failures; the code otherwise. */
  reason: string;
  at: string;
  err: Record<string, unknown>;
  cert: Partial<tls.PeerCertificate> | undefined;
}

type Explainer = (c: ExplainContext) => Omit<ErrorInfo, 'code'>;

const selfSignedExplain: Explainer = ({ at }) => ({
  message: `${at} presented a self-signed certificate, which no trusted authority vouches for.`,
  hint: `If you trust this server, add its certificate as a trusted CA; or ${TURN_OFF}.`,
});

/**
 * Failures named by Node itself, the same under every TLS library: certificate verification
 * (Node names each X509_V_ERR_* result, and OpenSSL and BoringSSL number them alike; only their
 * message texts differ, "self-signed certificate" against "self signed certificate"), host name
 * checks, timeouts and connections ended during the handshake.
 */
const BY_CODE: Record<string, Explainer> = {
  CERT_HAS_EXPIRED: ({ at, cert }) => {
    const until = shortDate(cert?.valid_to);
    return {
      message: `The certificate of ${at} has expired${until ? ` (it was valid until ${until})` : ''}.`,
      hint: `Renew the server's certificate, check that this computer's clock is right, or ${TURN_OFF}.`,
    };
  },
  CERT_NOT_YET_VALID: ({ at, cert }) => {
    const from = shortDate(cert?.valid_from);
    return {
      message: `The certificate of ${at} is not valid yet${from ? ` (it starts on ${from})` : ''}.`,
      hint: `Check the clocks of this computer and of the server, or ${TURN_OFF}.`,
    };
  },
  DEPTH_ZERO_SELF_SIGNED_CERT: selfSignedExplain,
  SELF_SIGNED_CERT_IN_CHAIN: ({ at }) => ({
    message: `The certificate chain of ${at} ends in a self-signed root that is not trusted here (a private or corporate CA, or a proxy that intercepts TLS).`,
    hint: `Add that root certificate as a trusted CA, or ${TURN_OFF}.`,
  }),
  ERR_TLS_CERT_ALTNAME_INVALID: ({ at, err, cert }) => {
    const reason = typeof err.reason === 'string' ? err.reason : '';
    const asked =
      (typeof err.host === 'string' && err.host) ||
      /(?:Host|IP): (.+?)\.? is not/.exec(reason)?.[1] ||
      undefined;
    let names = certificateNames(cert);
    if (names.length === 0) {
      // No certificate object: recover the names from Node's reason text.
      const listed = /altnames: (.*)$/.exec(reason)?.[1] ?? /list: (.*)$/.exec(reason)?.[1];
      if (listed) names = certificateNames({ subjectaltname: listed });
      else {
        const cn = /cert's CN: (.*)$/.exec(reason)?.[1];
        if (cn) names = [cn];
      }
    }
    const forWhat = names.length > 0 ? `is for ${listNames(names)}` : 'does not list that name';
    return {
      message: `Host name mismatch: the certificate of ${at} ${forWhat}, not ${asked ?? 'the name asked for'}.`,
      hint: `Connect using a name the certificate lists (set the server name, SNI, to it), or ${TURN_OFF}.`,
    };
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: ({ at }) => ({
    message: `The certificate of ${at} could not be verified: its issuer is unknown here, usually because the server does not send its intermediate certificate (an incomplete chain).`,
    hint: `Configure the server to send its full chain (certificate plus intermediates), add the issuing CA as trusted, or ${TURN_OFF}.`,
  }),
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: ({ at }) => ({
    message: `The certificate of ${at} comes from an issuer that is not trusted here (an unknown CA, or a chain the server sent incomplete).`,
    hint: `Add the issuing CA's certificate as trusted, have the server send its intermediate certificates, or ${TURN_OFF}.`,
  }),
  UNABLE_TO_GET_ISSUER_CERT: ({ at }) => ({
    message: `The certificate chain of ${at} is missing an issuer certificate (an incomplete chain).`,
    hint: `Configure the server to send its full chain, add the missing CA as trusted, or ${TURN_OFF}.`,
  }),
  ERR_TLS_HANDSHAKE_TIMEOUT: ({ at }) => ({
    message: `The TLS handshake with ${at} did not finish in time.`,
    hint: 'The peer may not speak TLS, or may be waiting for data that never comes.',
  }),
  ECONNRESET: ({ at, err }) => {
    // An RST seen by the operating system carries the system call that met it ('read',
    // 'write'); the end of the connection before the handshake finished is Node's own
    // ECONNRESET, raised without one, whatever the platform.
    const closed = typeof err.syscall !== 'string';
    return {
      message: closed
        ? `${at} closed the connection during the TLS handshake, before a secure connection was established.`
        : `${at} reset the connection during the TLS handshake.`,
      hint: 'The server may not speak TLS on this port, or it rejected the TLS version, server name (SNI) or client certificate offered.',
    };
  },
};

const VERSIONS_HINT =
  'Check the minimum and maximum TLS versions on both sides: old servers may speak only TLS 1.0 or 1.1, which are off by default; new ones may require TLS 1.3.';
const CIPHERS_HINT = 'Compare the cipher suites and TLS versions both sides allow, check the server name (SNI) sent, and whether the server requires a client certificate.';
const ALTERED_HINT =
  'Look for something between the two sides that rewrites traffic (a proxy, a load balancer, faulty network hardware); connecting by another path tells which.';

/** What the certificate alerts say, in words. */
const CERTIFICATE_ALERTS: Record<string, { message: (at: string) => string; hint: string }> = {
  ALERT_UNKNOWN_CA: {
    message: (at) => `${at} does not trust the authority that issued the certificate this side presented (unknown CA).`,
    hint: 'Present a certificate issued by a CA the peer trusts, or have the peer trust the CA that issued it.',
  },
  ALERT_CERTIFICATE_EXPIRED: {
    message: (at) => `${at} rejected the certificate this side presented: it has expired, or is not valid yet (certificate expired).`,
    hint: 'Renew the certificate, and check the clocks on both sides.',
  },
  ALERT_CERTIFICATE_REVOKED: {
    message: (at) => `${at} rejected the certificate this side presented: its issuer has revoked it (certificate revoked).`,
    hint: 'Present a certificate that has not been revoked.',
  },
};

/** Library failures (tls-reasons.ts), whichever library reported them. */
const BY_FAILURE: Record<TlsFailure, Explainer> = {
  'handshake-failure': ({ at }) => ({
    message: `${at} rejected the TLS handshake (handshake failure): no cipher suite in common, or it wants something this side did not offer, such as a client certificate.`,
    hint: CIPHERS_HINT,
  }),
  'no-shared-cipher': ({ at }) => ({
    message: `The TLS handshake with ${at} failed: the two sides have no cipher suite in common (no shared cipher).`,
    hint: CIPHERS_HINT,
  }),
  'version-refused': ({ at }) => ({
    message: `${at} refused the TLS handshake: the two sides have no TLS version in common (protocol mismatch).`,
    hint: VERSIONS_HINT,
  }),
  'version-unsupported': ({ at }) => ({
    message: `${at} insists on a TLS version this side does not allow, so the handshake stopped (protocol mismatch).`,
    hint: VERSIONS_HINT,
  }),
  'no-versions': ({ at }) => ({
    message: `No TLS version could be offered to ${at}: the minimum and maximum versions set here leave none this side allows.`,
    hint: 'Widen the TLS version range (for example minimum TLS 1.2, maximum TLS 1.3).',
  }),
  'not-tls': ({ at }) => ({
    message: `${at} did not answer in TLS: it looks like a plain TCP server (or another protocol) on that port (wrong version number).`,
    hint: 'Turn TLS off to talk plain TCP to it, or use the port where the server speaks TLS (HTTPS is usually 443, HTTP 80).',
  }),
  'http-not-tls': ({ at, reason }) => ({
    message: `${at} sent ${reason === 'HTTPS_PROXY_REQUEST' ? 'an HTTP proxy request (CONNECT)' : 'a plain HTTP request'} where a TLS handshake belongs: it speaks HTTP, not TLS, to this side.`,
    hint: 'Have the client use TLS (https:// rather than http://), or turn TLS off here to talk plain TCP.',
  }),
  'alpn-refused': ({ at }) => ({
    message: `${at} supports none of the application protocols offered by ALPN.`,
    hint: 'Offer a protocol the server speaks (such as h2 or http/1.1), or offer none.',
  }),
  'alpn-none-shared': ({ at }) => ({
    message: `${at} offered only application protocols (ALPN) that this side does not speak.`,
    hint: 'Give the two sides an ALPN protocol in common, or leave ALPN off on one of them.',
  }),
  'certificate-required': ({ at }) => ({
    message: `${at} requires a client certificate, and none was sent.`,
    hint: 'Provide a client certificate and key that the server trusts.',
  }),
  'no-peer-certificate': ({ at }) => ({
    message: `${at} sent no certificate, and this side requires one.`,
    hint: 'Give the client a certificate and key, or stop requiring client certificates here.',
  }),
  'certificate-rejected': ({ at, reason }) => {
    const known = Object.hasOwn(CERTIFICATE_ALERTS, reason) ? CERTIFICATE_ALERTS[reason] : undefined;
    if (known) return { message: known.message(at), hint: known.hint };
    return {
      message: `${at} rejected the certificate this side presented (${reasonInWords(reason.replace(/^ALERT_/, ''))}).`,
      hint: 'Check that the certificate matches its key, is meant for this use (client or server authentication), and comes from a CA the peer trusts.',
    };
  },
  'record-rejected': ({ at }) => ({
    message: `${at} could not decrypt or authenticate a TLS record this side sent (bad record mac): the data was altered on the way, or a TLS implementation on the path is faulty.`,
    hint: ALTERED_HINT,
  }),
  'record-corrupt': ({ at }) => ({
    message: `A TLS record from ${at} failed decryption or its integrity check (bad record mac): the data was altered on the way, or a TLS implementation on the path is faulty.`,
    hint: ALTERED_HINT,
  }),
};

const FILE_CODES = /^PEM_/;

/**
 * A TLS failure explained for a person, by what it means rather than how the TLS library spelled
 * it (OpenSSL 3.0, OpenSSL 3.5 and BoringSSL name the same failure differently; see
 * tls-reasons.ts): certificate expired, not yet valid, self-signed, host name mismatch, unknown
 * issuer (incomplete chain); handshake failure or no shared cipher, no TLS version in common,
 * no version to offer, wrong version number (talking TLS to a plain TCP server), HTTP sent to
 * TLS, no ALPN protocol in common, client certificate required or rejected (bad certificate,
 * unknown CA), records that fail decryption (bad record mac); the connection reset or closed
 * during the handshake. The code stays the one Node gave; unknown failures keep the library's
 * reason in words.
 */
export function explainTlsError(err: unknown, ctx: { host?: string; port?: number }): ErrorInfo {
  const e: Record<string, unknown> =
    typeof err === 'string' ? { code: err, message: err } : err !== null && typeof err === 'object' ? (err as Record<string, unknown>) : {};
  const code = typeof e.code === 'string' && e.code !== '' ? e.code : 'UNKNOWN';
  const at =
    ctx.host !== undefined && ctx.port !== undefined
      ? formatHostPort(ctx.host, ctx.port)
      : ctx.host !== undefined
        ? ctx.host
        : 'The server';
  const cert = e.cert !== null && typeof e.cert === 'object' ? (e.cert as Partial<tls.PeerCertificate>) : undefined;

  // loadPemFiles already wrote its sentence and hint.
  if (FILE_CODES.test(code) && typeof e.message === 'string') {
    return { code, message: e.message, ...(typeof e.hint === 'string' ? { hint: e.hint } : {}) };
  }

  const explain = Object.hasOwn(BY_CODE, code) ? BY_CODE[code] : undefined;
  if (explain) return { code, ...capitalised(explain({ code, reason: code, at, err: e, cert })) };

  // The rarer verification results (revoked, bad signature, not meant for this use …).
  const verification = verificationSentence(code, ctx.host === undefined ? "the server's certificate" : `the certificate of ${at}`);
  if (verification) return { code, message: verification, hint: `Check the server's certificate and its chain, or ${TURN_OFF}.` };

  if (code === 'EPROTO' || code === 'UNKNOWN' || code.startsWith('ERR_SSL_')) {
    const known = tlsFailure(e);
    if (known) return { code, ...capitalised(BY_FAILURE[known.failure]({ code, reason: known.reason, at, err: e, cert })) };
    const detail = readableDetail(e) || (code.startsWith('ERR_SSL_') ? reasonInWords(code.slice('ERR_SSL_'.length)) : String(err));
    return { code, message: capitalise(`TLS error with ${at}: ${detail}`) };
  }

  // Plain socket failures (refused, unreachable, unknown host …) read the same with or without TLS.
  if (/^E[A-Z0-9]+$/.test(code) && !code.startsWith('ERR')) {
    return explainError(err, { op: 'connect', host: ctx.host, port: ctx.port });
  }

  const detail = readableDetail(e) || String(err);
  return { code, message: capitalise(`TLS error with ${at}: ${detail}`) };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function capitalised(x: Omit<ErrorInfo, 'code'>): Omit<ErrorInfo, 'code'> {
  return { ...x, message: capitalise(x.message) };
}

// ---------------------------------------------------------------------------------------------
// Loading a certificate and key from files

function pemError(code: string, message: string, hint: string, path?: string): Error {
  return Object.assign(new Error(message), { code, hint, ...(path ? { path } : {}) });
}

/** The kinds of PEM file read here, and how each is spoken of. */
const PEM_FILES = {
  certificate: { what: 'certificate', begins: 'CERTIFICATE', fromDer: 'openssl x509 -inform der -in FILE -out cert.pem (or, for a .p12/.pfx bundle, openssl pkcs12 -in FILE -nokeys -out cert.pem)' },
  key: { what: 'key', begins: 'PRIVATE KEY', fromDer: 'openssl pkey -inform der -in FILE -out key.pem (or, for a .p12/.pfx bundle, openssl pkcs12 -in FILE -nocerts -nodes -out key.pem)' },
  ca: { what: 'trusted CA', begins: 'CERTIFICATE', fromDer: 'openssl x509 -inform der -in FILE -out ca.pem' },
} as const;

type PemFileKind = keyof typeof PEM_FILES;

async function readPemFile(path: string, kind: PemFileKind): Promise<string> {
  const { what, begins, fromDer } = PEM_FILES[kind];
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      throw pemError('PEM_FILE_UNREADABLE', `The ${what} file ${path} is a folder, not a file.`, `Choose the ${what} file itself.`, path);
    }
    if (!info.isFile()) {
      // Reading a pipe or a device could wait forever, or never end.
      throw pemError('PEM_FILE_UNREADABLE', `The ${what} file ${path} is not a regular file (a device, pipe or socket).`, `Choose the ${what} file itself.`, path);
    }
    if (info.size > MAX_PEM_FILE_BYTES) {
      throw pemError(
        'PEM_FILE_TOO_LARGE',
        `The ${what} file ${path} is ${info.size} bytes: more than the 1 MiB a PEM ${what === 'key' ? 'key' : 'certificate'} file can be here.`,
        kind === 'ca'
          ? 'Choose a file with just the CA certificates this connection needs (each is a few kilobytes of text starting with -----BEGIN CERTIFICATE-----).'
          : `Choose the ${what} file (a PEM file is a few kilobytes of text starting with -----BEGIN).`,
        path,
      );
    }
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('PEM_')) throw err;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw pemError('PEM_FILE_NOT_FOUND', `The ${what} file ${path} does not exist.`, 'Check the path, or choose the file again.', path);
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw pemError('PEM_FILE_UNREADABLE', `The ${what} file ${path} cannot be read: permission denied.`, 'Check the file permissions, or copy the file somewhere this user can read.', path);
    }
    throw pemError('PEM_FILE_UNREADABLE', `The ${what} file ${path} cannot be read: ${(err as Error).message}.`, 'Check the path and the file.', path);
  }
  const text = bytes.toString('utf8');
  if (text.includes('-----BEGIN ')) return text;
  // 0x30 starts an ASN.1 SEQUENCE: a DER certificate or key, or a PKCS#12 bundle.
  const binary = bytes[0] === 0x30 || bytes.includes(0);
  throw pemError(
    'PEM_NOT_PEM',
    binary ? `The ${what} file ${path} is binary (DER or PKCS#12), not PEM text.` : `The ${what} file ${path} is not PEM: it has no "-----BEGIN" line.`,
    binary ? `Convert it to PEM: ${fromDer}.` : `Choose a PEM ${what} file: text that starts with -----BEGIN ${begins}-----.`,
    path,
  );
}

const CERT_BLOCK = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----/;
const KEY_BLOCK = /-----BEGIN (?:(?:RSA|EC|DSA|ENCRYPTED) )?PRIVATE KEY-----/;

/** Reads a PEM cert and key from files, with clear errors (file missing, not PEM, key does not match the certificate — check with tls.createSecureContext / crypto.X509Certificate.checkPrivateKey). */
export async function loadPemFiles(certPath: string, keyPath: string): Promise<PemPair> {
  const [cert, key] = await Promise.all([readPemFile(certPath, 'certificate'), readPemFile(keyPath, 'key')]);
  const swapped = KEY_BLOCK.test(cert) && CERT_BLOCK.test(key) && !CERT_BLOCK.test(cert);
  if (swapped) {
    throw pemError(
      'PEM_NOT_PEM',
      `The certificate and key files look swapped: ${certPath} holds a private key and ${keyPath} a certificate.`,
      'Swap the two paths.',
      certPath,
    );
  }
  if (!CERT_BLOCK.test(cert)) {
    throw pemError(
      'PEM_NOT_PEM',
      `The certificate file ${certPath} holds no certificate${KEY_BLOCK.test(cert) ? ' (it holds a private key)' : ''}.`,
      'Choose the file with -----BEGIN CERTIFICATE-----.',
      certPath,
    );
  }
  if (!KEY_BLOCK.test(key)) {
    throw pemError(
      'PEM_NOT_PEM',
      `The key file ${keyPath} holds no private key${CERT_BLOCK.test(key) ? ' (it holds a certificate)' : ''}.`,
      'Choose the file with -----BEGIN PRIVATE KEY----- (or RSA / EC PRIVATE KEY).',
      keyPath,
    );
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(key)) {
    throw pemError(
      'PEM_KEY_ENCRYPTED',
      `The key file ${keyPath} is protected by a passphrase.`,
      'Save an unencrypted copy: openssl pkey -in KEY -out key-plain.pem (keep it private).',
      keyPath,
    );
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw pemError('PEM_INVALID_CERT', `The certificate in ${certPath} cannot be parsed: ${(err as Error).message}.`, 'The file may be damaged or cut short; export it again.', certPath);
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key);
  } catch (err) {
    throw pemError('PEM_INVALID_KEY', `The private key in ${keyPath} cannot be parsed: ${(err as Error).message}.`, 'The file may be damaged or cut short; export it again.', keyPath);
  }
  if (!x509.checkPrivateKey(keyObject)) {
    throw pemError(
      'PEM_KEY_MISMATCH',
      `The key in ${keyPath} does not match the certificate in ${certPath} (the certificate is for ${x509.subject.split('\n').join(', ')}).`,
      'Choose the key that was generated together with this certificate.',
      keyPath,
    );
  }
  try {
    // The last word belongs to the TLS stack: it also rejects keys too weak for its security level.
    tls.createSecureContext({ cert, key });
  } catch (err) {
    throw pemError('PEM_REJECTED', `The TLS library refuses this certificate and key: ${readableDetail(err as Error)}.`, 'Use a certificate with a stronger key (RSA 2048 bits or more, or EC) signed with SHA-256.', certPath);
  }
  return { cert, key };
}

const CERT_BLOCKS = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----[\s\S]*?-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g;

/**
 * Reads a PEM file of one or more CA certificates to trust (a private CA, or a self-signed
 * server's own certificate), with clear errors: missing, not a file, too large, not PEM, no
 * certificate in it (a key, say), or a certificate that cannot be parsed. Returns the
 * certificates, one PEM block each.
 */
export async function loadCaFile(caPath: string): Promise<string[]> {
  const text = await readPemFile(caPath, 'ca');
  const blocks = text.match(CERT_BLOCKS) ?? [];
  if (blocks.length === 0) {
    throw pemError(
      'PEM_NOT_PEM',
      `The trusted CA file ${caPath} holds no certificate${KEY_BLOCK.test(text) ? ' (it holds a private key)' : ''}.`,
      'Choose the file with the CA\'s certificate: -----BEGIN CERTIFICATE-----.',
      caPath,
    );
  }
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      const which = blocks.length > 1 ? `Certificate ${i + 1} of ${blocks.length} in ${caPath}` : `The certificate in ${caPath}`;
      throw pemError('PEM_INVALID_CERT', `${which} cannot be parsed: ${(err as Error).message}.`, 'The file may be damaged or cut short; export it again.', caPath);
    }
  });
  return blocks;
}

/**
 * The CA certificates a TLS client trusts when told nothing more: Node's bundled list, plus the
 * system's and NODE_EXTRA_CA_CERTS where this Node can say (tls.getCACertificates, Node 22.15+).
 * Passing `ca` to tls.connect replaces them, so a trusted CA file is added to these.
 */
export function defaultCaCertificates(): string[] {
  const get = (tls as { getCACertificates?: (type?: string) => string[] }).getCACertificates;
  return typeof get === 'function' ? get('default') : [...tls.rootCertificates];
}
