// The words for each way Electron's download fails, from the lines the probe writes. The probe
// itself, in the real installer against a closed port, is tested with start.mjs (start.test.ts).
import { describe, expect, it } from 'vitest';
import { describeDownloadFailure, FAILURE_MARK, lastFailure } from './download-failure.mjs';

const ZIP = 'https://github.com/electron/electron/releases/download/v45.4.1/electron-v45.4.1-linux-x64.zip';

function stderrWith(...failures: object[]): string {
  return [
    ...failures.map((f) => `${FAILURE_MARK}${JSON.stringify(f)}`),
    'TypeError: fetch failed',
    '    at node:internal/deps/undici/undici:14976:13',
  ].join('\n');
}

const says = (failure: object, env: Record<string, string | undefined> = {}) => describeDownloadFailure({ stderr: stderrWith(failure) }, env);

describe('describeDownloadFailure', () => {
  it('names what could not be reached and what that usually means', () => {
    expect(says({ url: ZIP, code: 'ENOTFOUND' })).toBe('github.com could not be found: no network, or no DNS server answers for it');
    expect(says({ url: ZIP, code: 'EAI_AGAIN' })).toBe('looking up github.com got no answer: no network, or the DNS server is unreachable');
    expect(says({ url: 'http://127.0.0.1:9/v45.4.1/e.zip', code: 'ECONNREFUSED' })).toBe('127.0.0.1:9 refused the connection');
    expect(says({ url: ZIP, code: 'UND_ERR_CONNECT_TIMEOUT' })).toBe('github.com did not answer: a firewall, or no way out of this network');
    expect(says({ url: ZIP, code: 'ENETUNREACH' })).toBe('no network route to github.com');
    expect(says({ url: ZIP, code: 'ECONNRESET' })).toBe('the connection to github.com was cut: a firewall or proxy in between');
    expect(says({ url: ZIP, code: 'SELF_SIGNED_CERT_IN_CHAIN' })).toBe("github.com's certificate is not trusted here: a proxy that inspects HTTPS");
    expect(says({ url: ZIP, code: 'EPROTO', message: 'write EPROTO' })).toBe('github.com: write EPROTO');
  });

  it('gives the HTTP status a server answered with', () => {
    expect(says({ url: 'https://mirror.example/v45.4.1/e.zip', status: 404, statusText: 'Not Found' })).toBe('mirror.example answered HTTP 404 Not Found');
    expect(says({ url: ZIP, status: 407, statusText: 'Proxy Authentication Required' })).toBe('the proxy asks for a user name and password: HTTP 407');
  });

  it('says when a proxy is set but the download does not use it', () => {
    expect(says({ url: ZIP, code: 'ENOTFOUND' }, { HTTPS_PROXY: 'http://proxy.corp:3128' })).toBe(
      'github.com could not be found: no network, or no DNS server answers for it; HTTPS_PROXY is set, but the download uses it only with ELECTRON_GET_USE_PROXY=1',
    );
    expect(says({ url: ZIP, code: 'ENOTFOUND' }, { npm_config_https_proxy: 'http://proxy.corp:3128' })).toMatch(
      /; npm's proxy setting does not apply to it: set HTTPS_PROXY and ELECTRON_GET_USE_PROXY=1$/,
    );
  });

  it('blames the proxy for connections when the download goes through it', () => {
    const env = { HTTPS_PROXY: 'http://user:secret@proxy.corp:3128', ELECTRON_GET_USE_PROXY: '1' };
    expect(says({ url: ZIP, code: 'ECONNREFUSED' }, env)).toBe('the proxy proxy.corp:3128 in HTTPS_PROXY refused the connection');
    expect(says({ url: ZIP, code: 'ENOTFOUND' }, env)).toBe(
      'the proxy proxy.corp in HTTPS_PROXY could not be found: no network, or no DNS server answers for it',
    );
    // The password never appears.
    expect(says({ url: ZIP, code: 'UND_ERR_CONNECT_TIMEOUT' }, env)).not.toContain('secret');
    // NO_PROXY sends github.com past the proxy: then github.com is what failed.
    expect(says({ url: ZIP, code: 'ECONNREFUSED' }, { ...env, NO_PROXY: 'localhost,.github.com' })).toBe('github.com refused the connection');
    // An http mirror goes through HTTP_PROXY only.
    expect(says({ url: 'http://mirror.lan/e.zip', code: 'ECONNREFUSED' }, env)).toBe('mirror.lan refused the connection');
  });

  it('takes the last failed request when there were several', () => {
    const stderr = stderrWith({ url: 'https://a.example/x', code: 'ECONNRESET' }, { url: ZIP, code: 'ENOTFOUND' });
    expect(lastFailure(stderr)).toEqual({ url: ZIP, code: 'ENOTFOUND' });
  });

  it('says when the download ran out of time', () => {
    expect(describeDownloadFailure({ stderr: '', timedOut: true, timeoutMs: 120_000 }, {})).toBe(
      'it did not finish within 120 s: a slow or stalled connection',
    );
  });

  it('falls back on the installer’s own first error line when no request failed', () => {
    const stderr = 'Error: Generated checksum for "electron-v45.4.1-linux-x64.zip" did not match expected checksum.\n    at validate (x.js:1:1)';
    expect(describeDownloadFailure({ stderr }, {})).toBe(
      'Error: Generated checksum for "electron-v45.4.1-linux-x64.zip" did not match expected checksum.',
    );
    expect(describeDownloadFailure({ stderr: '' }, {})).toBe('the installer stopped without saying why');
  });
});
