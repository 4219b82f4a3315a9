// The app:// scheme's file server against real files: a renderer folder with a secret beside
// it, links that lead in and out, and every way a URL might try to climb out of the folder.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_INDEX_URL, contentTypeFor, CONTENT_SECURITY_POLICY, resolveRendererFile, serveRendererRequest } from './app-protocol';

let base: string;
let rendererDir: string;
const INDEX = '<!doctype html><title>Socket Inspector</title>';
const SECRET = 'the user’s private key';
const posix = process.platform !== 'win32';

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'si-app-protocol-'));
  rendererDir = path.join(base, 'renderer');
  await mkdir(path.join(rendererDir, 'assets', 'deep'), { recursive: true });
  await writeFile(path.join(rendererDir, 'index.html'), INDEX);
  await writeFile(path.join(rendererDir, 'assets', 'index-abc123.js'), 'console.log(1)');
  await writeFile(path.join(rendererDir, 'assets', 'index-abc123.css'), 'body{}');
  await writeFile(path.join(rendererDir, 'assets', 'icon.svg'), '<svg/>');
  await writeFile(path.join(rendererDir, 'assets', 'font.woff2'), Buffer.from([0x77, 0x4f, 0x46, 0x32]));
  await writeFile(path.join(rendererDir, 'assets', 'deep', 'a b.txt'), 'spaced');
  await writeFile(path.join(rendererDir, 'assets', 'blob.bin'), Buffer.from([0, 1, 2]));
  await writeFile(path.join(rendererDir, '.env'), 'HIDDEN=1');
  await writeFile(path.join(base, 'secret.txt'), SECRET);
  await mkdir(path.join(base, 'renderer-evil'));
  await writeFile(path.join(base, 'renderer-evil', 'index.html'), 'evil');
  await mkdir(path.join(base, 'outside'));
  await writeFile(path.join(base, 'outside', 'secret.txt'), SECRET);
  if (posix) {
    await symlink('index.html', path.join(rendererDir, 'alias.html'));
    await symlink(path.join(base, 'secret.txt'), path.join(rendererDir, 'leak.txt'));
    await symlink('../secret.txt', path.join(rendererDir, 'assets', 'relative-leak.txt'));
    await symlink(path.join(base, 'outside'), path.join(rendererDir, 'linked-dir'));
    await symlink(rendererDir, path.join(base, 'renderer-link'));
  }
});

afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

const get = (url: string, init?: RequestInit) => serveRendererRequest(new Request(url, init), rendererDir);

async function expectNotFound(url: string): Promise<void> {
  const response = await get(url);
  expect(response.status, url).toBe(404);
  const body = await response.text();
  expect(body, url).not.toContain(SECRET);
  expect(body, url).not.toContain('evil');
  expect(response.headers.get('content-security-policy'), url).toBe(CONTENT_SECURITY_POLICY);
}

describe('serveRendererRequest', () => {
  it('serves the page with its content type, the CSP and nosniff', async () => {
    const response = await get(APP_INDEX_URL);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(INDEX);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(INDEX)));
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });

  it('gives each asset its content type, and unknown ones opaque bytes', async () => {
    const expected: [string, string][] = [
      ['assets/index-abc123.js', 'text/javascript; charset=utf-8'],
      ['assets/index-abc123.css', 'text/css; charset=utf-8'],
      ['assets/icon.svg', 'image/svg+xml'],
      ['assets/font.woff2', 'font/woff2'],
      ['assets/blob.bin', 'application/octet-stream'],
      ['assets/deep/a%20b.txt', 'text/plain; charset=utf-8'],
    ];
    for (const [file, type] of expected) {
      const response = await get(`app://socket-inspector/${file}?v=1#top`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get('content-type'), file).toBe(type);
    }
    const font = await get('app://socket-inspector/assets/font.woff2');
    expect(new Uint8Array(await font.arrayBuffer())).toEqual(new Uint8Array([0x77, 0x4f, 0x46, 0x32]));
    expect(await (await get('app://socket-inspector/assets/deep/a%20b.txt')).text()).toBe('spaced');
    expect(contentTypeFor('X.HTML')).toBe('text/html; charset=utf-8');
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await get(APP_INDEX_URL, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(INDEX)));
    expect(await head.text()).toBe('');
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const response = await get(APP_INDEX_URL, { method, body: method === 'DELETE' ? undefined : 'x' });
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('never climbs out of the folder, however the dots and slashes are written', async () => {
    // Each of these would reach secret.txt (or renderer-evil) if the path were joined naively.
    for (const url of [
      'app://socket-inspector/../secret.txt',
      'app://socket-inspector/assets/../../secret.txt',
      'app://socket-inspector/%2e%2e/secret.txt',
      'app://socket-inspector/%2E%2E/%2e%2E/secret.txt',
      'app://socket-inspector/..%2fsecret.txt',
      'app://socket-inspector/..%2Fsecret.txt',
      'app://socket-inspector/%2e%2e%2fsecret.txt',
      'app://socket-inspector/..%5csecret.txt',
      'app://socket-inspector/..\\secret.txt',
      'app://socket-inspector/assets%2f..%2f..%2fsecret.txt',
      'app://socket-inspector/%2e%2e%2frenderer-evil%2findex.html',
      `app://socket-inspector/${encodeURIComponent(path.join(base, 'secret.txt'))}`,
      'app://socket-inspector//etc/passwd',
      'app://socket-inspector/%252e%252e/secret.txt',
    ]) {
      await expectNotFound(url);
    }
  });

  it('refuses encoded separators even where the file is inside', async () => {
    await expectNotFound('app://socket-inspector/assets%2findex-abc123.js');
    await expectNotFound('app://socket-inspector/assets%5Cindex-abc123.js');
    await expectNotFound('app://socket-inspector/assets\\index-abc123.js');
    expect(await resolveRendererFile('app://socket-inspector/assets%2findex-abc123.js', rendererDir)).toEqual({
      ok: false,
      reason: 'encoded separator, colon or NUL in the path',
    });
  });

  it('refuses NUL, colons, bad escapes and hidden files', async () => {
    await expectNotFound('app://socket-inspector/index.html%00.js');
    await expectNotFound('app://socket-inspector/index.html:stream');
    await expectNotFound('app://socket-inspector/C:/secret.txt');
    await expectNotFound('app://socket-inspector/%E0%A4%A');
    await expectNotFound('app://socket-inspector/.env');
  });

  it('answers 404 for missing files and folders', async () => {
    await expectNotFound('app://socket-inspector/missing.html');
    await expectNotFound('app://socket-inspector/assets/missing.js');
    await expectNotFound('app://socket-inspector/assets');
    await expectNotFound('app://socket-inspector/assets/');
    await expectNotFound('app://socket-inspector/');
    await expectNotFound('app://socket-inspector');
    expect(await resolveRendererFile('app://socket-inspector/assets', rendererDir)).toEqual({ ok: false, reason: 'not a regular file' });
    expect(await resolveRendererFile('app://socket-inspector/missing.html', rendererDir)).toEqual({ ok: false, reason: 'no such file' });
  });

  it('serves only its own origin', async () => {
    await expectNotFound('app://other/index.html');
    await expectNotFound('app://socket-inspector:8080/index.html');
    // Fetch's Request refuses credentials itself; Chromium may not, so the resolver does too.
    expect(await resolveRendererFile('app://user:pw@socket-inspector/index.html', rendererDir)).toEqual({ ok: false, reason: 'not our origin' });
    expect(await resolveRendererFile('https://socket-inspector/index.html', rendererDir)).toEqual({ ok: false, reason: 'not our origin' });
    expect(await resolveRendererFile('file:///etc/passwd', rendererDir)).toEqual({ ok: false, reason: 'not our origin' });
    expect(await resolveRendererFile('not a url', rendererDir)).toEqual({ ok: false, reason: 'not a URL' });
  });

  it.runIf(posix)('follows links that stay inside and refuses links that lead out', async () => {
    const alias = await get('app://socket-inspector/alias.html');
    expect(alias.status).toBe(200);
    expect(await alias.text()).toBe(INDEX);
    await expectNotFound('app://socket-inspector/leak.txt');
    await expectNotFound('app://socket-inspector/assets/relative-leak.txt');
    await expectNotFound('app://socket-inspector/linked-dir/secret.txt');
    expect(await resolveRendererFile('app://socket-inspector/leak.txt', rendererDir)).toEqual({
      ok: false,
      reason: 'a link that leads outside the renderer folder',
    });
  });

  it.runIf(posix)('works when the renderer folder itself is reached through a link', async () => {
    const linked = path.join(base, 'renderer-link');
    const response = await serveRendererRequest(new Request(APP_INDEX_URL), linked);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(INDEX);
    const leak = await serveRendererRequest(new Request('app://socket-inspector/leak.txt'), linked);
    expect(leak.status).toBe(404);
  });
});
