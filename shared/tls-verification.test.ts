import { describe, expect, it } from 'vitest';
import { describeTlsAuthorization, describeTlsVerification, verificationSentence } from './tls-verification';

describe('describeTlsVerification', () => {
  it('says what the common verification codes mean', () => {
    expect(describeTlsVerification('DEPTH_ZERO_SELF_SIGNED_CERT')).toBe("The server's certificate is self-signed: it vouches for itself and no trusted CA signed it.");
    expect(describeTlsVerification('SELF_SIGNED_CERT_IN_CHAIN')).toMatch(/^The chain of the server's certificate ends in a self-signed root CA that is not trusted here/);
    expect(describeTlsVerification('UNABLE_TO_VERIFY_LEAF_SIGNATURE')).toMatch(/^The server's certificate was issued by a CA that is not known here.*incomplete chain/);
    expect(describeTlsVerification('UNABLE_TO_GET_ISSUER_CERT_LOCALLY')).toMatch(/^The server's certificate comes from an issuer that is not trusted here/);
    expect(describeTlsVerification('CERT_HAS_EXPIRED')).toBe("The server's certificate has expired (or this computer's clock is wrong).");
    expect(describeTlsVerification('CERT_NOT_YET_VALID')).toMatch(/^The server's certificate is not valid yet/);
    expect(describeTlsVerification('ERR_TLS_CERT_ALTNAME_INVALID')).toBe("The server's certificate is for other names than the one asked for (host name mismatch).");
    expect(describeTlsVerification('HOSTNAME_MISMATCH')).toBe(describeTlsVerification('ERR_TLS_CERT_ALTNAME_INVALID'));
    expect(describeTlsVerification('CERT_REVOKED')).toBe("The server's certificate has been revoked by the CA that issued it.");
    expect(describeTlsVerification('CERT_SIGNATURE_FAILURE')).toMatch(/^The signature on the server's certificate does not check out/);
  });

  it('every known code gives one full sentence, capitalised, naming the certificate', () => {
    for (const code of [
      'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH',
      'IP_ADDRESS_MISMATCH', 'CERT_REVOKED', 'CERT_SIGNATURE_FAILURE', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
      'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD', 'CERT_CHAIN_TOO_LONG', 'PATH_LENGTH_EXCEEDED', 'INVALID_CA',
      'INVALID_PURPOSE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'UNABLE_TO_GET_CRL', 'CRL_HAS_EXPIRED', 'OUT_OF_MEM', 'UNSPECIFIED',
    ]) {
      const sentence = verificationSentence(code, "the server's certificate");
      expect(sentence, code).toMatch(/^[A-Z].*the server's certificate|^The server's certificate/);
      expect(sentence, code).toMatch(/\.$/);
      expect(sentence, code).not.toContain(code);
    }
  });

  it('speaks of the client when our listener checked a client certificate', () => {
    expect(describeTlsVerification('DEPTH_ZERO_SELF_SIGNED_CERT', 'client')).toBe("The client's certificate is self-signed: it vouches for itself and no trusted CA signed it.");
    expect(describeTlsVerification('INVALID_PURPOSE', 'client')).toBe("The client's certificate is not meant for this use (client authentication).");
    expect(describeTlsVerification('INVALID_PURPOSE')).toBe("The server's certificate is not meant for this use (server authentication).");
  });

  it('still names a code it does not know, and reads nothing from the prototype', () => {
    expect(describeTlsVerification('SOMETHING_NEW')).toBe("The server's certificate could not be verified (SOMETHING_NEW).");
    expect(describeTlsVerification('constructor')).toBe("The server's certificate could not be verified (constructor).");
    expect(verificationSentence('toString', 'x')).toBeUndefined();
  });
});

describe('describeTlsAuthorization', () => {
  it('says when a certificate verified, and why not when it did not', () => {
    expect(describeTlsAuthorization({ authorized: true })).toBe("The server's certificate is verified: a trusted CA vouches for it, and it is for the name asked for.");
    expect(describeTlsAuthorization({ authorized: true }, 'client')).toBe("The client's certificate is verified: a trusted CA vouches for it.");
    expect(describeTlsAuthorization({ authorized: false, authorizationError: 'CERT_HAS_EXPIRED' })).toBe(describeTlsVerification('CERT_HAS_EXPIRED'));
    expect(describeTlsAuthorization({ authorized: false })).toBe("The server's certificate is not verified.");
  });
});
