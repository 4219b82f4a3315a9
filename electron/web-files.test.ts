/**
 * The browser host's file door over real HTTP: uploads in pieces, downloads of exports, and
 * everything refused that should be (no token, a foreign Origin, a piece at the wrong offset,
 * an id that was never given out).
 */
import fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_UPLOAD_PIECE_BYTES } from '../shared/channels';
import { Engine } from './engine/engine';
import { startWebHost, type WebHost } from './web-host';

let dir: string;
let engine: Engine;
let host: WebHost;
let base: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'socket-inspector-web-files-'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
  engine = new Engine({ filesDir: dir });
  host = await startWebHost({ engine, staticDir: dir });
  base = `http://127.0.0.1:${host.port}`;
});

afterEach(async () => {
  await host.close();
  await engine.shutdown();
  await rm(dir, { recursive: true, force: true });
});

const url = (rest: string, params: Record<string, string> = {}, token = host.token) => `${base}/files${rest}?${new URLSearchParams({ token, ...params })}`;

async function upload(bytes: Buffer, pieceBytes: number): Promise<string> {
  const created = await fetch(url('', { name: 'trace.pcapng' }), { method: 'POST' });
  expect(created.status).toBe(201);
  const { fileId } = (await created.json()) as { fileId: string };
  for (let at = 0; at < bytes.length; at += pieceBytes) {
    const res = await fetch(url(`/${fileId}`, { offset: String(at) }), { method: 'POST', body: bytes.subarray(at, at + pieceBytes) });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ size: Math.min(bytes.length, at + pieceBytes) });
  }
  return fileId;
}

describe('uploads', () => {
  it('assembles a file from pieces, private to this user, known only by its id', async () => {
    const bytes = Buffer.alloc(300_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    const fileId = await upload(bytes, 100_000);
    const stored = engine.fileStore.get(fileId)!;
    expect(stored).toMatchObject({ kind: 'upload', name: 'trace.pcapng' });
    expect(fs.readFileSync(stored.path).equals(bytes)).toBe(true);
    expect(fs.statSync(stored.path).mode & 0o777).toBe(0o600);
  });

  it('refuses a wrong token, a foreign Origin, a piece at the wrong offset or over the limit, and unknown ids', async () => {
    expect((await fetch(url('', {}, 'wrong'), { method: 'POST' })).status).toBe(401);
    expect((await fetch(url(''), { method: 'POST', headers: { origin: 'http://evil.example' } })).status).toBe(403);
    const fileId = await upload(Buffer.from('abc'), 3);
    const wrongOffset = await fetch(url(`/${fileId}`, { offset: '0' }), { method: 'POST', body: 'again' });
    expect(wrongOffset.status).toBe(409);
    expect(await wrongOffset.text()).toMatch(/next piece goes at offset 3/);
    const tooBig = await fetch(url(`/${fileId}`, { offset: '3' }), { method: 'POST', body: Buffer.alloc(MAX_UPLOAD_PIECE_BYTES + 1) });
    expect(tooBig.status).toBe(413);
    expect(fs.statSync(engine.fileStore.get(fileId)!.path).size).toBe(3);
    expect((await fetch(url('/F000000000000000000000000', { offset: '0' }), { method: 'POST', body: 'x' })).status).toBe(404);
    expect((await fetch(url('/../../etc/passwd'))).status).toBe(404);
    // An upload is not a download.
    expect((await fetch(url(`/${fileId}`))).status).toBe(405);
  });

  it('opens an uploaded file: a damaged one says so, and the upload is removed once read', async () => {
    const fileId = await upload(Buffer.from('not a capture file at all'), 1024);
    const started = await engine.execute('openCapture', { fileId, name: 'trace.pcapng' });
    expect(started.ok).toBe(true);
    const jobId = started.ok ? started.value.id : '';
    for (let i = 0; i < 400 && engine.snapshot().jobs.find((j) => j.id === jobId)?.state === 'running'; i++) await new Promise((r) => setTimeout(r, 10));
    const job = engine.snapshot().jobs.find((j) => j.id === jobId)!;
    expect(job.state).toBe('failed');
    expect(engine.fileStore.get(fileId)).toBeUndefined();
  });
});

describe('downloads', () => {
  it('serves an export as an attachment with its name, and only with the token', async () => {
    const file = engine.fileStore.create('export', 'socket-inspector-C1 «x».ndjson');
    fs.writeFileSync(file.path, '{"type":"chunk"}\n');
    const res = await fetch(url(`/${file.id}`));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="socket-inspector-C1 _x_.ndjson"; filename*=UTF-8''${encodeURIComponent('socket-inspector-C1 «x».ndjson')}`);
    expect(await res.text()).toBe('{"type":"chunk"}\n');
    expect((await fetch(url(`/${file.id}`, {}, 'nope'))).status).toBe(401);
    // An export cannot be written to through the upload door.
    expect((await fetch(url(`/${file.id}`, { offset: '17' }), { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('removes every kept file and its folder when the engine stops', async () => {
    const file = engine.fileStore.create('export', 'x.bin');
    const folder = path.dirname(file.path);
    expect(fs.existsSync(folder)).toBe(true);
    await engine.shutdown();
    expect(fs.existsSync(folder)).toBe(false);
  });
});
