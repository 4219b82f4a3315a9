import { describe, expect, it } from 'vitest';
import { explainTlsError } from './tls';
import { normaliseReason, readableDetail, tlsFailure, type TlsFailure } from './tls-reasons';

// Errors shaped exactly as Node raises them under each TLS library, so the explanations can be
// checked for libraries this machine does not run (BoringSSL is Electron's).
//
// Node sets `reason` to the library's reason string, `code` to "ERR_SSL_" plus that reason in
// capitals with spaces turned into underscores, and `message` to the library's printed error
// queue:
// - OpenSSL 3: "<thread>:error:<LIB|REASON, %08lX>:<library>:<function>:<reason>:<file>:<line>:<data>\n"
//   (the reason strings are those in the OpenSSL 3.0.19 and 3.5.9 that Node 20 and Node 24
//   ship; the messages below are ones they printed);
// - BoringSSL: "<thread>:error:<LIB|REASON, %08x>:<library>:OPENSSL_internal:<REASON_NAME>:<file>:<line>:<data>\n",
//   where the reason is the symbol's name (crypto/err/ssl.errordata) and SSL's library number
//   is 16. File names and lines are where BoringSSL raises each reason; they play no part.

type Library = 'OpenSSL 3.0' | 'OpenSSL 3.5' | 'BoringSSL';

interface Spelling {
  library: Library;
  reason: string;
  message: string;
}

/** Node's transform of a reason into a code (src/crypto: ' ' → '_', everything else upper-cased). */
function nodeCode(reason: string): string {
  return `ERR_SSL_${reason.replace(/ /g, '_').toUpperCase()}`;
}

function nodeError({ reason, message }: Spelling): Error & { code: string; reason: string; library: string } {
  return Object.assign(new Error(message), { code: nodeCode(reason), reason, library: 'SSL routines' });
}

/** An OpenSSL 3.0 error line (Node 20). */
function openssl30(packed: string, fn: string, reason: string, where: string, data = ''): Spelling {
  return { library: 'OpenSSL 3.0', reason, message: `80BC46320D7F0000:error:${packed}:SSL routines:${fn}:${reason}:../deps/openssl/openssl/ssl/${where}:${data}\n` };
}

/** An OpenSSL 3.5 error line (Node 24). */
function openssl35(packed: string, fn: string, reason: string, where: string, data = ''): Spelling {
  return { library: 'OpenSSL 3.5', reason, message: `408D6206C07F0000:error:${packed}:SSL routines:${fn}:${reason}:../deps/openssl/openssl/ssl/${where}:${data}\n` };
}

/** A BoringSSL error line (Electron). */
function boringssl(reasonNumber: number, name: string, where: string, data = ''): Spelling {
  const packed = (0x10000000 | reasonNumber).toString(16).padStart(8, '0');
  return {
    library: 'BoringSSL',
    reason: name,
    message: `136339471081984:error:${packed}:SSL routines:OPENSSL_internal:${name}:../../third_party/boringssl/src/ssl/${where}:${data}\n`,
  };
}

const alert = (n: number) => `SSL alert number ${n}`;

interface Meaning {
  failure: TlsFailure;
  /** The explanation, for 203.0.113.7:443. */
  message: string;
  hint: RegExp;
  spellings: Spelling[];
}

const AT = { host: '203.0.113.7', port: 443 };

const MEANINGS: Meaning[] = [
  {
    failure: 'handshake-failure',
    message:
      '203.0.113.7:443 rejected the TLS handshake (handshake failure): no cipher suite in common, or it wants something this side did not offer, such as a client certificate.',
    hint: /cipher suites.*client certificate/,
    spellings: [
      openssl30('0A000410', 'ssl3_read_bytes', 'sslv3 alert handshake failure', 'record/rec_layer_s3.c:1601', alert(40)),
      openssl35('0A000410', 'ssl3_read_bytes', 'ssl/tls alert handshake failure', 'record/rec_layer_s3.c:918', alert(40)),
      boringssl(1040, 'SSLV3_ALERT_HANDSHAKE_FAILURE', 'tls_record.cc:592', alert(40)),
    ],
  },
  {
    failure: 'no-shared-cipher',
    message: 'The TLS handshake with 203.0.113.7:443 failed: the two sides have no cipher suite in common (no shared cipher).',
    hint: /cipher suites/,
    spellings: [
      openssl30('0A0000C1', 'tls_post_process_client_hello', 'no shared cipher', 'statem/statem_srvr.c:2226'),
      openssl35('0A0000C1', 'tls_post_process_client_hello', 'no shared cipher', 'statem/statem_srvr.c:2361'),
      boringssl(184, 'NO_SHARED_CIPHER', 'handshake_server.cc:392'),
    ],
  },
  {
    failure: 'version-refused',
    message: '203.0.113.7:443 refused the TLS handshake: the two sides have no TLS version in common (protocol mismatch).',
    hint: /minimum and maximum TLS versions/,
    spellings: [
      openssl30('0A00042E', 'ssl3_read_bytes', 'tlsv1 alert protocol version', 'record/rec_layer_s3.c:1601', alert(70)),
      openssl35('0A00042E', 'ssl3_read_bytes', 'tlsv1 alert protocol version', 'record/rec_layer_s3.c:918', alert(70)),
      boringssl(1070, 'TLSV1_ALERT_PROTOCOL_VERSION', 'tls_record.cc:592', alert(70)),
    ],
  },
  {
    failure: 'version-unsupported',
    message: '203.0.113.7:443 insists on a TLS version this side does not allow, so the handshake stopped (protocol mismatch).',
    hint: /minimum and maximum TLS versions/,
    spellings: [
      openssl30('0A000102', 'tls_early_post_process_client_hello', 'unsupported protocol', 'statem/statem_srvr.c:1664'),
      openssl35('0A000102', 'tls_early_post_process_client_hello', 'unsupported protocol', 'statem/statem_srvr.c:1780'),
      boringssl(240, 'UNSUPPORTED_PROTOCOL', 'ssl_versions.cc:339'),
    ],
  },
  {
    failure: 'no-versions',
    message: 'No TLS version could be offered to 203.0.113.7:443: the minimum and maximum versions set here leave none this side allows.',
    hint: /Widen the TLS version range/,
    spellings: [
      openssl30('0A0000BF', 'tls_setup_handshake', 'no protocols available', 'statem/statem_lib.c:102'),
      openssl35('0A0000BF', 'tls_setup_handshake', 'no protocols available', 'statem/statem_lib.c:155'),
      boringssl(280, 'NO_SUPPORTED_VERSIONS_ENABLED', 'ssl_versions.cc:239'),
    ],
  },
  {
    failure: 'not-tls',
    message: '203.0.113.7:443 did not answer in TLS: it looks like a plain TCP server (or another protocol) on that port (wrong version number).',
    hint: /Turn TLS off/,
    spellings: [
      openssl30('0A00010B', 'ssl3_get_record', 'wrong version number', 'record/ssl3_record.c:350'),
      openssl35('0A00010B', 'tls_validate_record_header', 'wrong version number', 'record/methods/tlsany_meth.c:77'),
      boringssl(247, 'WRONG_VERSION_NUMBER', 'tls_record.cc:231'),
      // The same bytes read as a record header with a length no TLS peer sends.
      openssl30('0A0000C6', 'ssl3_get_record', 'packet length too long', 'record/ssl3_record.c:379'),
      openssl35('0A000092', 'tls_validate_record_header', 'data length too long', 'record/methods/tlsany_meth.c:121'),
      boringssl(146, 'ENCRYPTED_LENGTH_TOO_LONG', 'tls_record.cc:237'),
    ],
  },
  {
    failure: 'http-not-tls',
    message: '203.0.113.7:443 sent a plain HTTP request where a TLS handshake belongs: it speaks HTTP, not TLS, to this side.',
    hint: /https:\/\//,
    spellings: [
      openssl30('0A00009C', 'ssl3_get_record', 'http request', 'record/ssl3_record.c:341'),
      openssl35('0A00009C', 'tls_validate_record_header', 'http request', 'record/methods/tlsany_meth.c:68'),
      boringssl(156, 'HTTP_REQUEST', 's3_both.cc:312'),
    ],
  },
  {
    failure: 'http-not-tls',
    message: '203.0.113.7:443 sent an HTTP proxy request (CONNECT) where a TLS handshake belongs: it speaks HTTP, not TLS, to this side.',
    hint: /https:\/\//,
    spellings: [
      openssl30('0A00009B', 'ssl3_get_record', 'https proxy request', 'record/ssl3_record.c:345'),
      openssl35('0A00009B', 'tls_validate_record_header', 'https proxy request', 'record/methods/tlsany_meth.c:72'),
      boringssl(155, 'HTTPS_PROXY_REQUEST', 's3_both.cc:316'),
    ],
  },
  {
    failure: 'alpn-refused',
    message: '203.0.113.7:443 supports none of the application protocols offered by ALPN.',
    hint: /Offer a protocol the server speaks/,
    spellings: [
      openssl30('0A000460', 'ssl3_read_bytes', 'tlsv1 alert no application protocol', 'record/rec_layer_s3.c:1601', alert(120)),
      openssl35('0A000460', 'ssl3_read_bytes', 'tlsv1 alert no application protocol', 'record/rec_layer_s3.c:918', alert(120)),
      boringssl(1120, 'TLSV1_ALERT_NO_APPLICATION_PROTOCOL', 'tls_record.cc:592', alert(120)),
    ],
  },
  {
    failure: 'alpn-none-shared',
    message: '203.0.113.7:443 offered only application protocols (ALPN) that this side does not speak.',
    hint: /ALPN protocol in common/,
    spellings: [
      openssl30('0A0000EB', 'tls_handle_alpn', 'no application protocol', 'statem/statem_srvr.c:2172'),
      openssl35('0A0000EB', 'tls_handle_alpn', 'no application protocol', 'statem/statem_srvr.c:2303'),
      boringssl(307, 'NO_APPLICATION_PROTOCOL', 'extensions.cc:1560'),
    ],
  },
  {
    failure: 'certificate-required',
    message: '203.0.113.7:443 requires a client certificate, and none was sent.',
    hint: /client certificate and key/,
    spellings: [
      openssl30('0A00045C', 'ssl3_read_bytes', 'tlsv13 alert certificate required', 'record/rec_layer_s3.c:1601', alert(116)),
      openssl35('0A00045C', 'ssl3_read_bytes', 'tlsv13 alert certificate required', 'record/rec_layer_s3.c:918', alert(116)),
      boringssl(1116, 'TLSV1_ALERT_CERTIFICATE_REQUIRED', 'tls_record.cc:592', alert(116)),
    ],
  },
  {
    failure: 'no-peer-certificate',
    message: '203.0.113.7:443 sent no certificate, and this side requires one.',
    hint: /client a certificate/,
    spellings: [
      openssl30('0A0000C7', 'tls_process_client_certificate', 'peer did not return a certificate', 'statem/statem_srvr.c:3517'),
      openssl35('0A0000C7', 'tls_process_client_certificate', 'peer did not return a certificate', 'statem/statem_srvr.c:3764'),
      boringssl(192, 'PEER_DID_NOT_RETURN_A_CERTIFICATE', 'tls13_server.cc:1030'),
    ],
  },
  {
    failure: 'certificate-rejected',
    message: '203.0.113.7:443 rejected the certificate this side presented (bad certificate).',
    hint: /matches its key.*CA the peer trusts/,
    spellings: [
      openssl30('0A000412', 'ssl3_read_bytes', 'sslv3 alert bad certificate', 'record/rec_layer_s3.c:1601', alert(42)),
      openssl35('0A000412', 'ssl3_read_bytes', 'ssl/tls alert bad certificate', 'record/rec_layer_s3.c:918', alert(42)),
      boringssl(1042, 'SSLV3_ALERT_BAD_CERTIFICATE', 'tls_record.cc:592', alert(42)),
    ],
  },
  {
    failure: 'certificate-rejected',
    message: '203.0.113.7:443 rejected the certificate this side presented (certificate unknown).',
    hint: /matches its key.*CA the peer trusts/,
    spellings: [
      openssl30('0A000416', 'ssl3_read_bytes', 'sslv3 alert certificate unknown', 'record/rec_layer_s3.c:1601', alert(46)),
      openssl35('0A000416', 'ssl3_read_bytes', 'ssl/tls alert certificate unknown', 'record/rec_layer_s3.c:918', alert(46)),
      boringssl(1046, 'SSLV3_ALERT_CERTIFICATE_UNKNOWN', 'tls_record.cc:592', alert(46)),
    ],
  },
  {
    failure: 'certificate-rejected',
    message: '203.0.113.7:443 rejected the certificate this side presented (unsupported certificate).',
    hint: /meant for this use/,
    spellings: [
      openssl30('0A000413', 'ssl3_read_bytes', 'sslv3 alert unsupported certificate', 'record/rec_layer_s3.c:1601', alert(43)),
      openssl35('0A000413', 'ssl3_read_bytes', 'ssl/tls alert unsupported certificate', 'record/rec_layer_s3.c:918', alert(43)),
      boringssl(1043, 'SSLV3_ALERT_UNSUPPORTED_CERTIFICATE', 'tls_record.cc:592', alert(43)),
    ],
  },
  {
    failure: 'certificate-rejected',
    message: '203.0.113.7:443 does not trust the authority that issued the certificate this side presented (unknown CA).',
    hint: /CA the peer trusts/,
    spellings: [
      openssl30('0A000418', 'ssl3_read_bytes', 'tlsv1 alert unknown ca', 'record/rec_layer_s3.c:1601', alert(48)),
      openssl35('0A000418', 'ssl3_read_bytes', 'tlsv1 alert unknown ca', 'record/rec_layer_s3.c:918', alert(48)),
      boringssl(1048, 'TLSV1_ALERT_UNKNOWN_CA', 'tls_record.cc:592', alert(48)),
    ],
  },
  {
    failure: 'certificate-rejected',
    message: '203.0.113.7:443 rejected the certificate this side presented: it has expired, or is not valid yet (certificate expired).',
    hint: /Renew the certificate/,
    spellings: [
      openssl30('0A000415', 'ssl3_read_bytes', 'sslv3 alert certificate expired', 'record/rec_layer_s3.c:1601', alert(45)),
      openssl35('0A000415', 'ssl3_read_bytes', 'ssl/tls alert certificate expired', 'record/rec_layer_s3.c:918', alert(45)),
      boringssl(1045, 'SSLV3_ALERT_CERTIFICATE_EXPIRED', 'tls_record.cc:592', alert(45)),
    ],
  },
  {
    failure: 'certificate-rejected',
    message: '203.0.113.7:443 rejected the certificate this side presented: its issuer has revoked it (certificate revoked).',
    hint: /not been revoked/,
    spellings: [
      openssl30('0A000414', 'ssl3_read_bytes', 'sslv3 alert certificate revoked', 'record/rec_layer_s3.c:1601', alert(44)),
      openssl35('0A000414', 'ssl3_read_bytes', 'ssl/tls alert certificate revoked', 'record/rec_layer_s3.c:918', alert(44)),
      boringssl(1044, 'SSLV3_ALERT_CERTIFICATE_REVOKED', 'tls_record.cc:592', alert(44)),
    ],
  },
  {
    failure: 'record-rejected',
    message:
      '203.0.113.7:443 could not decrypt or authenticate a TLS record this side sent (bad record mac): the data was altered on the way, or a TLS implementation on the path is faulty.',
    hint: /rewrites traffic/,
    spellings: [
      openssl30('0A0003FC', 'ssl3_read_bytes', 'sslv3 alert bad record mac', 'record/rec_layer_s3.c:1601', alert(20)),
      openssl35('0A0003FC', 'ssl3_read_bytes', 'ssl/tls alert bad record mac', 'record/rec_layer_s3.c:918', alert(20)),
      boringssl(1020, 'SSLV3_ALERT_BAD_RECORD_MAC', 'tls_record.cc:592', alert(20)),
      openssl30('0A0003FD', 'ssl3_read_bytes', 'tlsv1 alert decryption failed', 'record/rec_layer_s3.c:1601', alert(21)),
      openssl35('0A0003FD', 'ssl3_read_bytes', 'tlsv1 alert decryption failed', 'record/rec_layer_s3.c:918', alert(21)),
      boringssl(1021, 'TLSV1_ALERT_DECRYPTION_FAILED', 'tls_record.cc:592', alert(21)),
    ],
  },
  {
    failure: 'record-corrupt',
    message:
      'A TLS record from 203.0.113.7:443 failed decryption or its integrity check (bad record mac): the data was altered on the way, or a TLS implementation on the path is faulty.',
    hint: /rewrites traffic/,
    spellings: [
      openssl30('0A000119', 'ssl3_get_record', 'decryption failed or bad record mac', 'record/ssl3_record.c:616'),
      openssl35('0A000119', 'tls_get_more_records', 'decryption failed or bad record mac', 'record/methods/tls_common.c:873'),
      boringssl(139, 'DECRYPTION_FAILED_OR_BAD_RECORD_MAC', 'tls_record.cc:289'),
      boringssl(138, 'DECRYPTION_FAILED', 'tls_record.cc:281'),
      // A TLS 1.2 AES-GCM record that fails authentication, as OpenSSL 3's cipher provider reports it.
      {
        library: 'OpenSSL 3.0',
        reason: 'cipher operation failed',
        message:
          '80CCC111DA7F0000:error:1C800066:Provider routines:ossl_gcm_stream_update:cipher operation failed:../deps/openssl/openssl/providers/implementations/ciphers/ciphercommon_gcm.c:323:\n',
      },
      {
        library: 'OpenSSL 3.5',
        reason: 'cipher operation failed',
        message:
          '409D8617FF7E0000:error:1C800066:Provider routines:ossl_gcm_stream_update:cipher operation failed:../deps/openssl/openssl/providers/implementations/ciphers/ciphercommon_gcm.c:359:\n',
      },
    ],
  },
];

describe('TLS failures are explained by meaning, whichever library spelled them', () => {
  for (const meaning of MEANINGS) {
    describe(`${meaning.failure}: ${meaning.message.replace('203.0.113.7:443 ', '').slice(0, 60)}…`, () => {
      for (const spelling of meaning.spellings) {
        it(`${spelling.library}: ${spelling.reason} (${nodeCode(spelling.reason)})`, () => {
          const err = nodeError(spelling);
          expect(tlsFailure(err)?.failure).toBe(meaning.failure);
          const info = explainTlsError(err, AT);
          // The code stays the one Node gave; the words are the meaning's.
          expect(info.code).toBe(err.code);
          expect(info.message).toBe(meaning.message);
          expect(info.hint).toMatch(meaning.hint);
        });
      }
    });
  }

  it('every library is spelled for every meaning', () => {
    for (const meaning of MEANINGS) {
      const libraries = new Set(meaning.spellings.map((s) => s.library));
      expect([...libraries].sort(), meaning.message).toEqual(['BoringSSL', 'OpenSSL 3.0', 'OpenSSL 3.5']);
    }
  });
});

describe('the reason is found in the code, in Node\'s reason, or in the message alone', () => {
  const boring = boringssl(1040, 'SSLV3_ALERT_HANDSHAKE_FAILURE', 'tls_record.cc:592', alert(40));
  const modern = openssl35('0A000410', 'ssl3_read_bytes', 'ssl/tls alert handshake failure', 'record/rec_layer_s3.c:918', alert(40));
  const expected = MEANINGS[0]!.message;

  it('from the message of an EPROTO error (BoringSSL)', () => {
    const info = explainTlsError(Object.assign(new Error(`write EPROTO ${boring.message}`), { code: 'EPROTO' }), AT);
    expect(info).toMatchObject({ code: 'EPROTO', message: expected });
  });

  it('from the message of an EPROTO error (OpenSSL 3.5)', () => {
    const info = explainTlsError(Object.assign(new Error(`write EPROTO ${modern.message}`), { code: 'EPROTO' }), AT);
    expect(info).toMatchObject({ code: 'EPROTO', message: expected });
  });

  it('from the reason alone, with no code', () => {
    expect(explainTlsError({ reason: 'SSLV3_ALERT_HANDSHAKE_FAILURE' }, AT).message).toBe(expected);
    expect(explainTlsError({ reason: 'ssl/tls alert handshake failure' }, AT).message).toBe(expected);
  });

  it('from the code alone, given as a string', () => {
    expect(explainTlsError('ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE', AT).message).toBe(expected);
    expect(explainTlsError('ERR_SSL_TLSV1_ALERT_CERTIFICATE_REQUIRED', AT).message).toBe('203.0.113.7:443 requires a client certificate, and none was sent.');
  });

  it('brings the alert spellings to one form', () => {
    for (const r of ['sslv3 alert handshake failure', 'ssl/tls alert handshake failure', 'SSLV3_ALERT_HANDSHAKE_FAILURE', 'SSL/TLS_ALERT_HANDSHAKE_FAILURE']) {
      expect(normaliseReason(r)).toBe('ALERT_HANDSHAKE_FAILURE');
    }
    expect(normaliseReason('tlsv13 alert certificate required')).toBe(normaliseReason('TLSV1_ALERT_CERTIFICATE_REQUIRED'));
  });
});

describe('failures not explained keep the library\'s reason, in words', () => {
  const spellings = [
    openssl30('0A00042F', 'ssl3_read_bytes', 'sslv3 alert illegal parameter', 'record/rec_layer_s3.c:1601', alert(47)),
    openssl35('0A00042F', 'ssl3_read_bytes', 'ssl/tls alert illegal parameter', 'record/rec_layer_s3.c:918', alert(47)),
    boringssl(1047, 'SSLV3_ALERT_ILLEGAL_PARAMETER', 'tls_record.cc:592', alert(47)),
  ];
  for (const spelling of spellings) {
    it(`${spelling.library}: ${spelling.reason}`, () => {
      const err = nodeError(spelling);
      expect(tlsFailure(err)).toBeUndefined();
      expect(explainTlsError(err, AT)).toEqual({ code: err.code, message: `TLS error with 203.0.113.7:443: ${spelling.reason.toLowerCase().replace(/_/g, ' ')}` });
    });
  }

  it('reads a BoringSSL reason found only in the message as words too', () => {
    expect(readableDetail({ message: spellings[2]!.message })).toBe('sslv3 alert illegal parameter');
    expect(readableDetail({ message: 'something else entirely' })).toBe('something else entirely');
  });
});

// Node names certificate verification results itself, from the X509_V_ERR_* numbers, which
// OpenSSL and BoringSSL share; only the libraries' texts differ (OpenSSL 3 writes
// "self-signed", BoringSSL "self signed"). The explanation follows the code.
describe('certificate verification results are explained by code, whatever the library wrote', () => {
  const RESULTS: { code: string; openssl: string; boringssl: string; says: RegExp }[] = [
    { code: 'DEPTH_ZERO_SELF_SIGNED_CERT', openssl: 'self-signed certificate', boringssl: 'self signed certificate', says: /presented a self-signed certificate/ },
    {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
      openssl: 'self-signed certificate in certificate chain',
      boringssl: 'self signed certificate in certificate chain',
      says: /ends in a self-signed root that is not trusted here/,
    },
    { code: 'CERT_HAS_EXPIRED', openssl: 'certificate has expired', boringssl: 'certificate has expired', says: /has expired/ },
    { code: 'CERT_NOT_YET_VALID', openssl: 'certificate is not yet valid', boringssl: 'certificate is not yet valid', says: /is not valid yet/ },
    {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      openssl: 'unable to verify the first certificate',
      boringssl: 'unable to verify the first certificate',
      says: /incomplete chain/,
    },
    {
      code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      openssl: 'unable to get local issuer certificate',
      boringssl: 'unable to get local issuer certificate',
      says: /issuer that is not trusted here/,
    },
    { code: 'UNABLE_TO_GET_ISSUER_CERT', openssl: 'unable to get issuer certificate', boringssl: 'unable to get issuer certificate', says: /missing an issuer certificate/ },
  ];
  for (const result of RESULTS) {
    for (const library of ['openssl', 'boringssl'] as const) {
      it(`${result.code}, as ${library === 'openssl' ? 'OpenSSL 3.0 and 3.5' : 'BoringSSL'} words it: "${result[library]}"`, () => {
        const info = explainTlsError(Object.assign(new Error(result[library]), { code: result.code }), AT);
        expect(info.code).toBe(result.code);
        expect(info.message).toMatch(result.says);
        expect(info.hint).toBeTruthy();
        // The same words whichever library wrote the result, and whatever it wrote.
        const other = library === 'openssl' ? result.boringssl : result.openssl;
        expect(explainTlsError(Object.assign(new Error(other), { code: result.code }), AT)).toEqual(info);
        expect(explainTlsError(Object.assign(new Error('some other wording'), { code: result.code }), AT)).toEqual(info);
      });
    }
  }
});

describe('a connection ended during the handshake is told apart by how Node raised it, not by its words', () => {
  it('an RST the operating system saw carries its system call: a reset', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });
    expect(explainTlsError(reset, AT).message).toBe('203.0.113.7:443 reset the connection during the TLS handshake.');
    // Windows numbers the same error differently, and may word it differently.
    const windows = Object.assign(new Error('read ECONNRESET (an existing connection was forcibly closed)'), { code: 'ECONNRESET', errno: -4077, syscall: 'read' });
    expect(explainTlsError(windows, AT).message).toBe('203.0.113.7:443 reset the connection during the TLS handshake.');
  });

  it("Node's own ECONNRESET for a connection that ended before the handshake finished has none: a close", () => {
    const closed = Object.assign(new Error('Client network socket disconnected before secure TLS connection was established'), { code: 'ECONNRESET', host: AT.host, port: AT.port });
    expect(explainTlsError(closed, AT).message).toBe(
      '203.0.113.7:443 closed the connection during the TLS handshake, before a secure connection was established.',
    );
    const reworded = Object.assign(new Error('socket disconnected'), { code: 'ECONNRESET' });
    expect(explainTlsError(reworded, AT).message).toContain('closed the connection during the TLS handshake');
  });
});
