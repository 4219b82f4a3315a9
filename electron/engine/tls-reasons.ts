/**
 * What a TLS library's error means, whichever library spelled it.
 *
 * Node names a TLS failure after the library's reason string: "ERR_SSL_" plus the reason in
 * capitals with spaces turned into underscores (every other character kept). The libraries
 * spell the same failure differently:
 *
 * - OpenSSL 3.0 (Node 20): reason "sslv3 alert handshake failure",
 *   code ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE, message
 *   "…:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:…".
 * - OpenSSL 3.5 (Node 24) renamed the alerts TLS inherited from SSLv3: reason
 *   "ssl/tls alert handshake failure", code ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE.
 * - BoringSSL (Electron's Node) gives the reason's symbol instead of a phrase: reason
 *   "SSLV3_ALERT_HANDSHAKE_FAILURE", message
 *   "…:error:10000410:SSL routines:OPENSSL_internal:SSLV3_ALERT_HANDSHAKE_FAILURE:…", and
 *   names some failures its own way (NO_SUPPORTED_VERSIONS_ENABLED where OpenSSL says "no
 *   protocols available", TLSV1_ALERT_CERTIFICATE_REQUIRED for "tlsv13 alert certificate
 *   required").
 *
 * So the reason is read from the code, Node's `reason` or the message, brought to one form
 * (capitals, underscores, any "SSLV3_", "SSL/TLS_", "TLSV1_" or "TLSV13_" before "ALERT_"
 * dropped, since the alert's name is what it means), and looked up in one table.
 */

/** The TLS failures explained in words. */
export type TlsFailure =
  /** The peer sent a handshake_failure alert: nothing acceptable in what this side offered. */
  | 'handshake-failure'
  /** This side found no cipher suite it shares with the peer. */
  | 'no-shared-cipher'
  /** The peer sent a protocol_version alert: no TLS version in common. */
  | 'version-refused'
  /** The peer chose or insists on a TLS version this side does not allow. */
  | 'version-unsupported'
  /** This side's minimum and maximum TLS versions leave none to offer. */
  | 'no-versions'
  /** What came back is not TLS at all (a plain TCP server, another protocol). */
  | 'not-tls'
  /** The peer sent an HTTP request (or an HTTPS proxy's CONNECT) where a TLS handshake belongs. */
  | 'http-not-tls'
  /** The peer sent a no_application_protocol alert: none of the ALPN protocols offered. */
  | 'alpn-refused'
  /** The peer offered only ALPN protocols this side does not speak. */
  | 'alpn-none-shared'
  /** The peer sent a certificate_required alert: it wants a client certificate. */
  | 'certificate-required'
  /** This side asked the peer for a certificate and got none. */
  | 'no-peer-certificate'
  /** The peer rejected the certificate this side presented (bad, unknown CA, expired …). */
  | 'certificate-rejected'
  /** The peer could not decrypt or authenticate a record this side sent (bad_record_mac alert). */
  | 'record-rejected'
  /** A record from the peer failed decryption or its integrity check. */
  | 'record-corrupt';

/** Canonical reason (see normaliseReason) → the failure it means. */
const FAILURES: Record<string, TlsFailure> = {
  ALERT_HANDSHAKE_FAILURE: 'handshake-failure',
  NO_SHARED_CIPHER: 'no-shared-cipher',
  ALERT_PROTOCOL_VERSION: 'version-refused',
  UNSUPPORTED_PROTOCOL: 'version-unsupported',
  NO_PROTOCOLS_AVAILABLE: 'no-versions',
  NO_SUPPORTED_VERSIONS_ENABLED: 'no-versions',
  WRONG_VERSION_NUMBER: 'not-tls',
  // A record length no TLS peer sends, read from bytes that are not a TLS record header:
  // OpenSSL 3.0 says "packet length too long", 3.5 "data length too long", BoringSSL
  // ENCRYPTED_LENGTH_TOO_LONG.
  PACKET_LENGTH_TOO_LONG: 'not-tls',
  DATA_LENGTH_TOO_LONG: 'not-tls',
  ENCRYPTED_LENGTH_TOO_LONG: 'not-tls',
  HTTP_REQUEST: 'http-not-tls',
  HTTPS_PROXY_REQUEST: 'http-not-tls',
  ALERT_NO_APPLICATION_PROTOCOL: 'alpn-refused',
  NO_APPLICATION_PROTOCOL: 'alpn-none-shared',
  ALERT_CERTIFICATE_REQUIRED: 'certificate-required',
  PEER_DID_NOT_RETURN_A_CERTIFICATE: 'no-peer-certificate',
  ALERT_BAD_CERTIFICATE: 'certificate-rejected',
  ALERT_UNSUPPORTED_CERTIFICATE: 'certificate-rejected',
  ALERT_CERTIFICATE_UNKNOWN: 'certificate-rejected',
  ALERT_CERTIFICATE_EXPIRED: 'certificate-rejected',
  ALERT_CERTIFICATE_REVOKED: 'certificate-rejected',
  ALERT_UNKNOWN_CA: 'certificate-rejected',
  ALERT_BAD_RECORD_MAC: 'record-rejected',
  ALERT_DECRYPTION_FAILED: 'record-rejected',
  DECRYPTION_FAILED_OR_BAD_RECORD_MAC: 'record-corrupt',
  DECRYPTION_FAILED: 'record-corrupt',
  // OpenSSL 3 reports a TLS 1.2 AES-GCM record that fails authentication from its cipher
  // provider ("Provider routines:…:cipher operation failed"), not as a bad record MAC.
  CIPHER_OPERATION_FAILED: 'record-corrupt',
};

/** One spelling of a reason: capitals and underscores, the alert's protocol prefix dropped. */
export function normaliseReason(text: string): string {
  return text
    .trim()
    .toUpperCase()
    .replace(/[\s-]+/g, '_')
    .replace(/^(?:SSLV3|SSL\/TLS|TLSV1|TLSV13)_ALERT_/, 'ALERT_');
}

/** The reason in an OpenSSL or BoringSSL error line: "…error:<hex>:<library>:<function>:<reason>:<file>:<line>:…". */
function reasonInMessage(message: string): string | undefined {
  return (
    /error:[0-9a-f]{8}:[^:\n]*:[^:\n]*:([^:\n]+)/i.exec(message)?.[1] ??
    /SSL routines:[^:\n]*:([^:\n]+):/.exec(message)?.[1]
  );
}

/** The library's reason for a TLS error, as it spelled it, or undefined when there is none. */
export function rawReason(e: { code?: unknown; reason?: unknown; message?: unknown }): string | undefined {
  if (typeof e.code === 'string' && e.code.startsWith('ERR_SSL_') && e.code.length > 'ERR_SSL_'.length) {
    return e.code.slice('ERR_SSL_'.length);
  }
  if (typeof e.reason === 'string' && e.reason.trim() !== '') return e.reason;
  return typeof e.message === 'string' ? reasonInMessage(e.message) : undefined;
}

/** Which failure a TLS error means, and its canonical reason; undefined when it is none of those explained. */
export function tlsFailure(e: { code?: unknown; reason?: unknown; message?: unknown }): { failure: TlsFailure; reason: string } | undefined {
  const raw = rawReason(e);
  if (raw === undefined) return undefined;
  const reason = normaliseReason(raw);
  const failure = Object.hasOwn(FAILURES, reason) ? FAILURES[reason] : undefined;
  return failure ? { failure, reason } : undefined;
}

/**
 * A reason as words, the same for every library: BoringSSL's symbols (SSLV3_ALERT_BAD_CERTIFICATE)
 * read like OpenSSL's phrases (sslv3 alert bad certificate).
 */
export function reasonInWords(reason: string): string {
  return /^[A-Z0-9_/]+$/.test(reason) && reason.includes('_') ? reason.toLowerCase().replace(/_/g, ' ') : reason;
}

/** The part of a TLS library's message worth reading: its reason in words, without the error-stack prefix. */
export function readableDetail(e: { message?: unknown; reason?: unknown }): string {
  if (typeof e.reason === 'string' && e.reason.trim() !== '') return reasonInWords(e.reason.trim());
  const message = typeof e.message === 'string' ? e.message : '';
  const reason = reasonInMessage(message);
  return reason === undefined ? message : reasonInWords(reason);
}
