/**
 * The desktop window's pages come from app://socket-inspector/, a scheme of our own, instead of
 * file:// (Electron's security checklist, item 18): a file:// page may read any file the user can
 * and shares its origin with every other local file, while this origin serves the files of the
 * renderer's build folder and nothing else. This module turns a request into a response with
 * plain Node (Fetch's Request and Response), so it is tested without Electron; main.ts registers
 * the scheme and hands requests here.
 */
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'socket-inspector';
/** The page the window loads. */
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** The renderer's policy, sent with every response of our scheme (and kept in index.html). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// Only what a Vite build of the renderer emits; anything else goes out as opaque bytes, which
// nosniff keeps the page from running.
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

/** The Content-Type our scheme sends for a file name. */
export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Where a request points: a regular file inside the renderer folder, or why it does not. */
export type RendererFile = { ok: true; file: string } | { ok: false; reason: string };

function refuse(reason: string): RendererFile {
  return { ok: false, reason };
}

/**
 * Maps a URL of our scheme to a regular file inside `rendererDir`. Each path segment is decoded
 * on its own and refused when it decodes to a separator, a dot segment, NUL, a colon (drive
 * letters, alternate data streams) or a hidden name; the result must then lie inside the folder
 * both as written and after following symbolic links, and be a regular file. Directories are not
 * listed and have no index page: only exact file names are served.
 */
export async function resolveRendererFile(url: string, rendererDir: string): Promise<RendererFile> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse('not a URL');
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.hostname.toLowerCase() !== APP_HOST) return refuse('not our origin');
  if (parsed.port !== '' || parsed.username !== '' || parsed.password !== '') return refuse('not our origin');
  // Chromium reads a backslash as a slash in standard schemes, Node's URL keeps it: refuse it
  // rather than depend on which parser ran first.
  if (parsed.pathname.includes('\\')) return refuse('backslash in the path');

  const segments = parsed.pathname.split('/').slice(1);
  const names: string[] = [];
  for (const segment of segments) {
    let name: string;
    try {
      name = decodeURIComponent(segment);
    } catch {
      return refuse('malformed percent-encoding');
    }
    if (name === '') return refuse('empty path segment (a folder, or a doubled slash)');
    if (/[/\\:\0]/.test(name)) return refuse('encoded separator, colon or NUL in the path');
    if (name.startsWith('.')) return refuse('dot segment or hidden file');
    names.push(name);
  }
  if (names.length === 0) return refuse('no file named');

  const root = path.resolve(rendererDir);
  const candidate = path.resolve(root, ...names);
  if (!isInside(root, candidate)) return refuse('outside the renderer folder');

  let realRoot: string;
  let realFile: string;
  try {
    realRoot = await realpath(root);
    realFile = await realpath(candidate);
  } catch {
    return refuse('no such file');
  }
  if (!isInside(realRoot, realFile)) return refuse('a link that leads outside the renderer folder');
  try {
    if (!(await stat(realFile)).isFile()) return refuse('not a regular file');
  } catch {
    return refuse('no such file');
  }
  return { ok: true, file: realFile };
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function securityHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  };
}

function notFound(): Response {
  return new Response('Not found', { status: 404, headers: securityHeaders('text/plain; charset=utf-8') });
}

/**
 * Answers one request of our scheme: the file's bytes with its Content-Type and the CSP, 404 for
 * anything that is not a regular file inside `rendererDir`, 405 for methods other than GET and
 * HEAD.
 */
export async function serveRendererRequest(request: Request, rendererDir: string): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response('Method not allowed', {
      status: 405,
      headers: { ...securityHeaders('text/plain; charset=utf-8'), Allow: 'GET, HEAD' },
    });
  }
  const target = await resolveRendererFile(request.url, rendererDir);
  if (!target.ok) return notFound();

  // Opened without following links and checked again through the handle, so what is read is
  // the regular file that was checked.
  let handle;
  try {
    handle = await open(target.file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return notFound();
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return notFound();
    const body = request.method === 'HEAD' ? null : await handle.readFile();
    const headers = securityHeaders(contentTypeFor(target.file));
    headers['Content-Length'] = String(body ? body.length : stat.size);
    return new Response(body, { status: 200, headers });
  } catch {
    return notFound();
  } finally {
    await handle.close();
  }
}
