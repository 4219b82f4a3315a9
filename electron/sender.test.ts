import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isTrustedRendererUrl } from './sender';

const rendererDir = path.resolve('/opt/Socket Inspector/resources/app/dist/renderer');
const page = pathToFileURL(path.join(rendererDir, 'index.html')).href;

describe('isTrustedRendererUrl', () => {
  it('accepts the renderer page, with or without a hash or query', () => {
    expect(isTrustedRendererUrl(page, rendererDir)).toBe(true);
    expect(isTrustedRendererUrl(`${page}#/connections`, rendererDir)).toBe(true);
    expect(isTrustedRendererUrl(`${page}?x=1`, rendererDir)).toBe(true);
  });

  it('rejects other schemes, other directories and lookalike prefixes', () => {
    expect(isTrustedRendererUrl('https://example.com/index.html', rendererDir)).toBe(false);
    expect(isTrustedRendererUrl('http://127.0.0.1:5173/index.html', rendererDir)).toBe(false);
    expect(isTrustedRendererUrl('data:text/html,hi', rendererDir)).toBe(false);
    expect(isTrustedRendererUrl('about:blank', rendererDir)).toBe(false);
    expect(isTrustedRendererUrl(pathToFileURL('/tmp/evil.html').href, rendererDir)).toBe(false);
    expect(isTrustedRendererUrl(pathToFileURL(`${rendererDir}-evil/index.html`).href, rendererDir)).toBe(false);
    expect(isTrustedRendererUrl(`${pathToFileURL(rendererDir).href}/../../secret.html`, rendererDir)).toBe(false);
    expect(isTrustedRendererUrl(pathToFileURL(rendererDir).href, rendererDir)).toBe(false);
  });

  it('rejects missing and malformed URLs', () => {
    expect(isTrustedRendererUrl(undefined, rendererDir)).toBe(false);
    expect(isTrustedRendererUrl(null, rendererDir)).toBe(false);
    expect(isTrustedRendererUrl('', rendererDir)).toBe(false);
    expect(isTrustedRendererUrl('not a url', rendererDir)).toBe(false);
  });

  it.runIf(process.platform !== 'win32')('rejects file URLs naming a remote host', () => {
    expect(isTrustedRendererUrl(`file://attacker${path.join(rendererDir, 'index.html')}`, rendererDir)).toBe(false);
  });
});
