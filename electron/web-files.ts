/**
 * The browser host's file door: a page uploads a capture file to open (in pieces, so no request
 * runs long and progress is exact) and downloads an export the engine kept for it. Every
 * request shows the access token; files are known only by the random ids the engine gave them.
 *
 *   POST /files?token=T&name=N             → {"fileId": "F…"}  a new, empty upload
 *   POST /files/F…?token=T&offset=O (body) → {"size": S}       appends a piece at offset O
 *   GET  /files/F…?token=T                 → the export's bytes, as an attachment
 */
import fs from 'node:fs';
import type http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { FILES_PATH, MAX_UPLOAD_PIECE_BYTES } from '../shared/channels';
import type { FileStore } from './engine/file-store';

export { FILES_PATH } from '../shared/channels';

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

/** "name.pcapng" as a Content-Disposition value that any browser reads, whatever the name holds. */
function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export async function serveFiles(req: http.IncomingMessage, res: http.ServerResponse, store: FileStore, tokenOk: (given: string | null) => boolean): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://x');
  } catch {
    return reply(res, 400, 'Bad URL');
  }
  if (!tokenOk(url.searchParams.get('token'))) {
    req.resume();
    return reply(res, 401, 'Unauthorized: missing or wrong access token');
  }
  const rest = url.pathname.slice(FILES_PATH.length);
  try {
    if (rest === '' && req.method === 'POST') {
      req.resume();
      const file = store.create('upload', url.searchParams.get('name') ?? 'capture');
      return reply(res, 201, { fileId: file.id });
    }
    const id = /^\/(F[0-9a-f]{24})$/.exec(rest)?.[1];
    const file = id ? store.get(id) : undefined;
    if (!file) {
      req.resume();
      return reply(res, 404, 'No such file: it was removed (exports are kept for an hour) or never made');
    }
    if (req.method === 'POST' && file.kind === 'upload') {
      const offset = Number(url.searchParams.get('offset'));
      const size = fs.statSync(file.path).size;
      const length = Number(req.headers['content-length']);
      if (!Number.isSafeInteger(length) || length < 0) {
        req.resume();
        return reply(res, 411, 'Each piece needs its Content-Length');
      }
      if (length > MAX_UPLOAD_PIECE_BYTES) {
        req.resume();
        return reply(res, 413, `A piece may hold at most ${MAX_UPLOAD_PIECE_BYTES} bytes`);
      }
      if (offset !== size) {
        req.resume();
        return reply(res, 409, `The file holds ${size} bytes: the next piece goes at offset ${size}`);
      }
      let received = 0;
      req.on('data', (piece: Buffer) => {
        received += piece.byteLength;
        if (received > length) req.destroy();
      });
      await pipeline(req, fs.createWriteStream(file.path, { flags: 'a' }));
      const now = fs.statSync(file.path).size;
      if (now !== size + length) {
        fs.truncateSync(file.path, size);
        return reply(res, 400, `The piece was cut short: ${now - size} of ${length} bytes arrived`);
      }
      return reply(res, 200, { size: now });
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && file.kind === 'export') {
      const size = fs.statSync(file.path).size;
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': size,
        'content-disposition': attachment(file.name),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      if (req.method === 'HEAD') return void res.end();
      await pipeline(fs.createReadStream(file.path), res);
      return;
    }
    req.resume();
    return reply(res, 405, 'Method not allowed for this file');
  } catch (err) {
    if (!res.headersSent) reply(res, 500, `File error: ${err instanceof Error ? err.message : String(err)}`);
    else res.destroy();
  }
}
