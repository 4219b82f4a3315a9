import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { APP_INDEX_URL } from './app-protocol';
import { isTrustedRendererUrl } from './sender';

describe('isTrustedRendererUrl', () => {
  it('accepts our page, with or without a fragment or query', () => {
    expect(APP_INDEX_URL).toBe('app://socket-inspector/index.html');
    expect(isTrustedRendererUrl(APP_INDEX_URL)).toBe(true);
    expect(isTrustedRendererUrl(`${APP_INDEX_URL}#/connections`)).toBe(true);
    expect(isTrustedRendererUrl(`${APP_INDEX_URL}?x=1`)).toBe(true);
  });

  it('no longer trusts file:// pages, not even the renderer build itself', () => {
    const rendererDir = path.resolve('/opt/Socket Inspector/resources/app/dist/renderer');
    expect(isTrustedRendererUrl(pathToFileURL(path.join(rendererDir, 'index.html')).href)).toBe(false);
    expect(isTrustedRendererUrl('file:///tmp/evil.html')).toBe(false);
  });

  it('rejects other schemes, hosts, ports, credentials and lookalikes', () => {
    for (const url of [
      'https://socket-inspector/index.html',
      'http://127.0.0.1:5173/index.html',
      'data:text/html,hi',
      'about:blank',
      'app://other/index.html',
      'app://socket-inspector.evil/index.html',
      'app://socket-inspector:8080/index.html',
      'app://user@socket-inspector/index.html',
      'app://socket-inspector@evil/index.html',
      'app:socket-inspector/index.html',
      'apps://socket-inspector/index.html',
      'vscode-file://socket-inspector/index.html',
    ]) {
      expect(isTrustedRendererUrl(url), url).toBe(false);
    }
  });

  it('trusts only the page, not other documents of the same origin', () => {
    expect(isTrustedRendererUrl('app://socket-inspector/')).toBe(false);
    expect(isTrustedRendererUrl('app://socket-inspector/assets/icon.svg')).toBe(false);
    expect(isTrustedRendererUrl('app://socket-inspector/index.html/x')).toBe(false);
  });

  it('rejects missing and malformed URLs', () => {
    expect(isTrustedRendererUrl(undefined)).toBe(false);
    expect(isTrustedRendererUrl(null)).toBe(false);
    expect(isTrustedRendererUrl('')).toBe(false);
    expect(isTrustedRendererUrl('not a url')).toBe(false);
  });
});
