import { APP_HOST, APP_SCHEME } from './app-protocol';

/**
 * Decides whether an IPC message comes from our own renderer: the page at
 * app://socket-inspector/index.html (a query or fragment aside). file:// pages, other hosts of
 * our scheme, ports and credentials are all someone else. The URL is parsed, not compared as a
 * prefix, so `app://socket-inspector.evil/…` or `app://socket-inspector@evil/…` cannot pass.
 * Plain Node, so it can be tested without Electron.
 */
export function isTrustedRendererUrl(url: string | null | undefined): boolean {
  if (typeof url !== 'string' || url.length === 0) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.hostname.toLowerCase() === APP_HOST &&
    parsed.port === '' &&
    parsed.username === '' &&
    parsed.password === '' &&
    parsed.pathname === '/index.html'
  );
}
