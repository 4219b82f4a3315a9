/**
 * Why a TLS peer's certificate did or did not verify, in words. Node reports the outcome of
 * certificate verification as a code (`authorizationError`: OpenSSL's X509_V_ERR_* names without
 * the prefix, the same under BoringSSL, plus its own ERR_TLS_CERT_ALTNAME_INVALID for a host
 * name check); this says what each means. Handshake failures, which have no certificate to
 * speak of, are explained elsewhere (electron/engine/tls-reasons.ts).
 */

/** Whose certificate it is: the server's (we connected) or the client's (our listener asked for one). */
export type TlsPeer = 'server' | 'client';

/** One sentence per code, about `cert` ("the server's certificate"), lower-case at its start. */
const SENTENCES: Record<string, (cert: string, peer: TlsPeer) => string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: (c) => `${c} is self-signed: it vouches for itself and no trusted CA signed it.`,
  SELF_SIGNED_CERT_IN_CHAIN: (c) =>
    `the chain of ${c} ends in a self-signed root CA that is not trusted here (a private or corporate CA, or a proxy that intercepts TLS).`,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: (c) =>
    `${c} was issued by a CA that is not known here, usually because its intermediate certificate was not sent (an incomplete chain).`,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: (c) => `${c} comes from an issuer that is not trusted here (an unknown CA, or an incomplete chain).`,
  UNABLE_TO_GET_ISSUER_CERT: (c) => `the chain of ${c} is missing an issuer's certificate (an incomplete chain).`,
  CERT_HAS_EXPIRED: (c) => `${c} has expired (or this computer's clock is wrong).`,
  CERT_NOT_YET_VALID: (c) => `${c} is not valid yet: its start date is still to come (or a clock is wrong).`,
  ERR_TLS_CERT_ALTNAME_INVALID: (c) => `${c} is for other names than the one asked for (host name mismatch).`,
  HOSTNAME_MISMATCH: (c) => `${c} is for other names than the one asked for (host name mismatch).`,
  IP_ADDRESS_MISMATCH: (c) => `${c} is for other addresses than the one asked for (IP address mismatch).`,
  ERR_TLS_CERT_ALTNAME_FORMAT: (c) => `${c} lists its names in a form that cannot be checked safely.`,
  CERT_REVOKED: (c) => `${c} has been revoked by the CA that issued it.`,
  CERT_SIGNATURE_FAILURE: (c) => `the signature on ${c} does not check out: it was altered, or not signed by the issuer it names.`,
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: (c) => `the signature on ${c} cannot be read.`,
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: (c) => `the public key of the CA that issued ${c} cannot be read.`,
  ERROR_IN_CERT_NOT_BEFORE_FIELD: (c) => `${c} has a malformed start date.`,
  ERROR_IN_CERT_NOT_AFTER_FIELD: (c) => `${c} has a malformed end date.`,
  CERT_CHAIN_TOO_LONG: (c) => `the chain of ${c} is longer than allowed.`,
  PATH_LENGTH_EXCEEDED: (c) => `a CA in the chain of ${c} issues deeper than its path length limit allows.`,
  INVALID_CA: (c) => `a certificate in the chain of ${c} acts as a CA but is not allowed to be one.`,
  INVALID_PURPOSE: (c, peer) => `${c} is not meant for this use (${peer === 'server' ? 'server' : 'client'} authentication).`,
  CERT_UNTRUSTED: (c) => `the root CA of ${c} is not trusted for this use.`,
  CERT_REJECTED: (c) => `the root CA of ${c} is marked to be rejected for this use.`,
  UNABLE_TO_GET_CRL: (c) => `the revocation list (CRL) for ${c} could not be found.`,
  UNABLE_TO_DECRYPT_CRL_SIGNATURE: (c) => `the signature on the revocation list (CRL) for ${c} cannot be read.`,
  CRL_SIGNATURE_FAILURE: (c) => `the signature on the revocation list (CRL) for ${c} does not check out.`,
  CRL_NOT_YET_VALID: (c) => `the revocation list (CRL) for ${c} is not valid yet.`,
  CRL_HAS_EXPIRED: (c) => `the revocation list (CRL) for ${c} has expired.`,
  ERROR_IN_CRL_LAST_UPDATE_FIELD: (c) => `the revocation list (CRL) for ${c} has a malformed date.`,
  ERROR_IN_CRL_NEXT_UPDATE_FIELD: (c) => `the revocation list (CRL) for ${c} has a malformed date.`,
  OUT_OF_MEM: (c) => `checking ${c} ran out of memory.`,
  UNSPECIFIED: (c) => `${c} could not be verified, for a reason the TLS library did not give.`,
};

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * The sentence for a verification code about a certificate named by `cert` (such as "the
 * certificate of example.com:443"), or undefined for a code not known here.
 */
export function verificationSentence(code: string, cert: string, peer: TlsPeer = 'server'): string | undefined {
  const sentence = Object.hasOwn(SENTENCES, code) ? SENTENCES[code] : undefined;
  return sentence ? capitalise(sentence(cert, peer)) : undefined;
}

/**
 * What a verification code (a TLS connection's `authorizationError`) means, as a sentence:
 * DEPTH_ZERO_SELF_SIGNED_CERT gives "The server's certificate is self-signed: it vouches for
 * itself and no trusted CA signed it." A code not known here is still named.
 */
export function describeTlsVerification(code: string, peer: TlsPeer = 'server'): string {
  const cert = `the ${peer}'s certificate`;
  return verificationSentence(code, cert, peer) ?? `${capitalise(cert)} could not be verified (${code}).`;
}

/** A TLS connection's verification result in words, whether it verified or not. */
export function describeTlsAuthorization(details: { authorized: boolean; authorizationError?: string }, peer: TlsPeer = 'server'): string {
  if (details.authorized) return `The ${peer}'s certificate is verified: a trusted CA vouches for it${peer === 'server' ? ', and it is for the name asked for' : ''}.`;
  if (!details.authorizationError) return `The ${peer}'s certificate is not verified.`;
  return describeTlsVerification(details.authorizationError, peer);
}
