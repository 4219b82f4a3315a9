/**
 * Exports, opened capture files and cleared captures, end to end: a real Engine, real loopback
 * peers, files checked by tshark (Wireshark's command line) and read back by the engine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommand, type CommandInput, type CommandName, type CommandResults } from '../../shared/contract';
import type { FileJob } from '../../shared/model';
import type { Result } from '../../shared/result';
import type { Engine } from './engine';
import { pcapngHeader, TcpFlowWriter } from './pcap/pcapng-writer';
import { client, conn, makeEngine, onCleanup, until, value } from './testing/helpers';

async function cmd<K extends CommandName>(engine: Engine, name: K, input: CommandInput<K>): Promise<Result<CommandResults[K]>> {
  const parsed = parseCommand(name, input);
  if (!parsed.ok) throw new Error(`${name} was refused by its schema: ${parsed.message}`);
  return engine.execute(name, parsed.args);
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-files-test-'));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Waits for a job to end and returns it. */
async function ended(engine: Engine, jobId: string, ms = 20_000): Promise<FileJob> {
  let job: FileJob | undefined;
  await until(() => {
    job = engine.snapshot().jobs.find((j) => j.id === jobId);
    return job !== undefined && job.state !== 'running';
  }, `job ${jobId} to end`, ms);
  return job!;
}

async function exportFile(engine: Engine, input: Omit<CommandInput<'exportCapture'>, 'filePath'>, file: string): Promise<FileJob> {
  const job = await ended(engine, value(await cmd(engine, 'exportCapture', { ...input, filePath: file })).id);
  expect(job.state, job.message).toBe('done');
  return job;
}

const TSHARK = spawnSync('tshark', ['--version']).status === 0;
const noTshark = 'tshark is not installed (Debian package tshark): the pcapng exports cannot be checked';

/** tshark's Follow TCP Stream, raw: the bytes each side sent, in order. */
function follow(file: string, stream: number): { node0: string; node1: string; from0: Buffer; from1: Buffer } {
  const out = execFileSync('tshark', ['-r', file, '-qz', `follow,tcp,raw,${stream}`], { encoding: 'utf8' });
  const node0 = /Node 0: (.*)/.exec(out)?.[1] ?? '';
  const node1 = /Node 1: (.*)/.exec(out)?.[1] ?? '';
  const body = out.split('\n').slice(out.split('\n').findIndex((l) => l.startsWith('Node 1:')) + 1);
  const from0: Buffer[] = [];
  const from1: Buffer[] = [];
  for (const line of body) {
    if (line.startsWith('=')) break;
    if (!line.trim()) continue;
    (line.startsWith('\t') ? from1 : from0).push(Buffer.from(line.trim(), 'hex'));
  }
  return { node0, node1, from0: Buffer.concat(from0), from1: Buffer.concat(from1) };
}

/** A listener on the engine and a plain client; the client's and the engine's writes each arrive whole. */
async function conversation(engine: Engine, host = '127.0.0.1') {
  const listener = value(await engine.startListener({ host, port: 0 }));
  const socket = await client(listener.port, host);
  onCleanup(() => socket.destroy());
  await until(() => engine.snapshot().connections.some((c) => c.listenerId === listener.id), 'the accepted connection');
  const id = engine.snapshot().connections.find((c) => c.listenerId === listener.id)!.id;
  const got: Buffer[] = [];
  socket.on('data', (d) => got.push(d));
  const fromClient = async (s: string | Buffer) => {
    const before = conn(engine, id).bytesIn;
    const data = Buffer.from(s);
    socket.write(data);
    await until(() => conn(engine, id).bytesIn === before + data.byteLength, 'the client bytes');
  };
  const fromServer = async (s: string | Buffer) => {
    const data = Buffer.from(s);
    const before = Buffer.concat(got).byteLength;
    value(await engine.send({ connectionId: id, data: new Uint8Array(data) }));
    await until(() => Buffer.concat(got).byteLength === before + data.byteLength, 'the server bytes');
  };
  return { id, listener, socket, fromClient, fromServer };
}

describe('export', () => {
  it('writes NDJSON: the connection, then each chunk with direction, time, stream offset and base64 bytes', async () => {
    const { engine } = makeEngine();
    const c = await conversation(engine);
    await c.fromClient('hello\n');
    await c.fromServer('hi there\r\n');
    await c.fromClient(Buffer.from([0, 1, 2, 255]));
    const file = path.join(tempDir(), 'out.ndjson');
    const job = await exportFile(engine, { scope: { connectionId: c.id }, format: 'ndjson' }, file);
    expect(job).toMatchObject({ connections: 1, chunks: 3 });
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'connection', id: c.id, origin: 'accepted', transport: 'tcp', bytesIn: 10, bytesOut: 10 });
    const chunks = lines.slice(1);
    expect(chunks.map((l) => [l.direction, l.offset, Buffer.from(l.data, 'base64').toString('latin1')])).toEqual([
      ['in', 0, 'hello\n'],
      ['out', 0, 'hi there\r\n'],
      ['in', 6, '\x00\x01\x02\xff'],
    ]);
    expect(chunks[0].time).toBeGreaterThan(Date.now() - 60_000);
    expect(chunks[1].time).toBeGreaterThanOrEqual(chunks[0].time);
  });

  it('writes a transcript as escaped text or as a hex dump, with times, directions and offsets', async () => {
    const { engine } = makeEngine();
    const c = await conversation(engine);
    await c.fromClient('GET / HTTP/1.0\r\nHost: x\r\n\r\n');
    await c.fromServer(Buffer.from([0xff, 0xfe, 0x00, 0x07, 0x41]));
    const dir = tempDir();
    await exportFile(engine, { scope: { connectionId: c.id }, format: 'transcript', display: 'text' }, path.join(dir, 't.txt'));
    const text = fs.readFileSync(path.join(dir, 't.txt'), 'utf8');
    expect(text).toContain(`=== ${c.id} · tcp · accepted by listener ${c.listener.id}`);
    expect(text).toMatch(/\] ← in  #0 offset 0, 27 bytes\n {2}GET \/ HTTP\/1\.0\\r\\n\n {2}Host: x\\r\\n\n {2}\\r\\n\n/);
    expect(text).toMatch(/\] → out #1 offset 0, 5 bytes\n {2}\\xff\\xfe\\0\\x07A\n/);
    await exportFile(engine, { scope: { connectionId: c.id }, format: 'transcript', display: 'hex' }, path.join(dir, 'h.txt'));
    expect(fs.readFileSync(path.join(dir, 'h.txt'), 'utf8')).toContain('  00000000  ff fe 00 07 41');
  });

  it('writes raw bytes: one direction as a plain file, both directions of several connections as a tar archive', async () => {
    const { engine } = makeEngine();
    const a = await conversation(engine);
    await a.fromClient('one');
    await a.fromServer('two');
    await a.fromClient('three');
    const dir = tempDir();
    await exportFile(engine, { scope: { connectionId: a.id }, format: 'raw', direction: 'in' }, path.join(dir, 'in.bin'));
    expect(fs.readFileSync(path.join(dir, 'in.bin'), 'latin1')).toBe('onethree');
    const b = await conversation(engine);
    await b.fromClient('B-in');
    const job = await exportFile(engine, { scope: { all: true }, format: 'raw', direction: 'both' }, path.join(dir, 'all.tar'));
    expect(job.connections).toBe(2);
    const members = execFileSync('tar', ['-tf', path.join(dir, 'all.tar')], { encoding: 'utf8' }).trim().split('\n');
    expect(members).toEqual([`${a.id}-in.bin`, `${a.id}-out.bin`, `${b.id}-in.bin`, `${b.id}-out.bin`]);
    const member = (name: string) => execFileSync('tar', ['-xOf', path.join(dir, 'all.tar'), name], { encoding: 'latin1' });
    expect(member(`${a.id}-in.bin`)).toBe('onethree');
    expect(member(`${a.id}-out.bin`)).toBe('two');
    expect(member(`${b.id}-in.bin`)).toBe('B-in');
    expect(member(`${b.id}-out.bin`)).toBe('');
  });

  it.skipIf(!TSHARK)('writes pcapng whose Follow TCP Stream in tshark shows exactly the captured bytes, both directions (IPv4 and IPv6) ' + (TSHARK ? '' : noTshark), async () => {
    const { engine } = makeEngine();
    const v4 = await conversation(engine);
    const big = Buffer.alloc(200_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    await v4.fromClient('request 1\n');
    await v4.fromServer('reply 1\n');
    await v4.fromClient(big);
    await v4.fromServer(Buffer.from([0, 0xff, 0x0d, 0x0a]));
    v4.socket.end();
    await until(() => conn(engine, v4.id).state === 'closed', 'the close');
    const v6 = await conversation(engine, '::1');
    await v6.fromClient('six');
    await v6.fromServer('VI');
    const file = path.join(tempDir(), 'both.pcapng');
    const job = await exportFile(engine, { scope: { all: true }, format: 'pcapng' }, file);
    expect(job.connections).toBe(2);
    const first = follow(file, 0);
    expect(first.from0.toString('latin1')).toBe(Buffer.concat([Buffer.from('request 1\n'), big]).toString('latin1'));
    expect(first.from1.toString('latin1')).toBe('reply 1\n\x00\xff\r\n');
    expect(first.node0).toContain(`127.0.0.1:${conn(engine, v4.id).remote.port}`);
    expect(first.node1).toContain(`127.0.0.1:${v4.listener.port}`);
    const second = follow(file, 1);
    expect(second.from0.toString()).toBe('six');
    expect(second.from1.toString()).toBe('VI');
    expect(second.node1).toContain(`::1]:${v6.listener.port}`);
    // The handshake and both FINs are there, as the connection had them.
    const flags = execFileSync('tshark', ['-r', file, '-Y', 'tcp.stream eq 0', '-T', 'fields', '-e', 'tcp.flags.str'], { encoding: 'utf8' });
    expect(flags.split('\n')[0]).toMatch(/S/);
    expect((flags.match(/F/g) ?? []).length).toBe(2);
    expect(flags).not.toMatch(/R/);
  });

  it.skipIf(!TSHARK)('marks bytes the capture budget dropped in pcapng and NDJSON, and never makes them up ' + (TSHARK ? '' : noTshark), async () => {
    const { engine } = makeEngine({ captureBudgetBytes: 64 * 1024 });
    const c = await conversation(engine);
    const piece = (ch: string) => Buffer.alloc(30_000, ch);
    await c.fromClient(piece('a'));
    await c.fromClient(piece('b'));
    await c.fromClient(piece('c'));
    await c.fromServer('ok');
    expect(conn(engine, c.id).droppedBytes).toBeGreaterThan(0);
    const dir = tempDir();
    await exportFile(engine, { scope: { connectionId: c.id }, format: 'pcapng' }, path.join(dir, 'd.pcapng'));
    const f = follow(path.join(dir, 'd.pcapng'), 0);
    // tshark itself says where the hole is; the dropped bytes are not in the file.
    expect(f.from0.toString()).not.toContain('aaaa');
    expect(f.from0.toString()).toMatch(/^\[30000 bytes missing in capture file\]/);
    expect(f.from0.toString()).toContain('b'.repeat(30_000) + 'c'.repeat(30_000));
    const comments = execFileSync('tshark', ['-r', path.join(dir, 'd.pcapng'), '-T', 'fields', '-e', 'frame.comment'], { encoding: 'utf8' });
    expect(comments).toMatch(/30000 bytes from the client before this packet were not kept/);
    await exportFile(engine, { scope: { connectionId: c.id }, format: 'ndjson' }, path.join(dir, 'd.ndjson'));
    const missing = fs.readFileSync(path.join(dir, 'd.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'missing');
    expect(missing[0]).toMatchObject({ direction: 'in', offset: 0 });
    expect(missing[0].bytes % 30_000).toBe(0);
  });

  it.skipIf(!TSHARK)('exports a UDP socket datagram for datagram ' + (TSHARK ? '' : noTshark), async () => {
    const { engine } = makeEngine();
    const udp = value(await engine.bindUdp({ host: '127.0.0.1', port: 0, broadcast: false }));
    const peer = dgram.createSocket('udp4');
    onCleanup(() => peer.close());
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    for (const d of ['first', 'second datagram', '3']) {
      const before = conn(engine, udp.id).chunksIn;
      peer.send(d, udp.local!.port, '127.0.0.1');
      await until(() => conn(engine, udp.id).chunksIn === before + 1, 'the datagram');
    }
    value(await engine.sendUdp({ connectionId: udp.id, host: '127.0.0.1', port: peer.address().port, data: new Uint8Array(Buffer.from('back')) }));
    const file = path.join(tempDir(), 'u.pcapng');
    await exportFile(engine, { scope: { connectionId: udp.id }, format: 'pcapng' }, file);
    const rows = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'udp.payload'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    const p = String(peer.address().port);
    const u = String(udp.local!.port);
    const hexOf = (s: string) => Buffer.from(s).toString('hex');
    expect(rows).toEqual([
      [p, u, hexOf('first')],
      [p, u, hexOf('second datagram')],
      [p, u, hexOf('3')],
      [u, p, hexOf('back')],
    ]);
  });

  it('refuses an unknown connection and a path that is a folder, and removes its partial file when cancelled', async () => {
    const { engine } = makeEngine();
    const dir = tempDir();
    const unknown = await cmd(engine, 'exportCapture', { scope: { connectionId: 'C999' }, format: 'ndjson', filePath: path.join(dir, 'x') });
    expect(unknown).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    const c = await conversation(engine);
    await c.fromClient('x');
    const folder = await cmd(engine, 'exportCapture', { scope: { connectionId: c.id }, format: 'ndjson', filePath: dir });
    expect(folder).toMatchObject({ ok: false, code: 'NOT_A_FILE' });
    expect((folder as { message: string }).message).toMatch(/is a folder/);
    const started = value(await cmd(engine, 'exportCapture', { scope: { connectionId: c.id }, format: 'ndjson', filePath: path.join(dir, 'c.ndjson') }));
    value(await cmd(engine, 'cancelFileJob', { jobId: started.id }));
    const job = await ended(engine, started.id);
    expect(job.state).toBe('cancelled');
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('clear', () => {
  it('forgets a connection’s captured bytes, keeps the connection and its counters, and records what comes next', async () => {
    const { engine } = makeEngine();
    const c = await conversation(engine);
    await c.fromClient('before');
    const cleared = value(await cmd(engine, 'clearCapture', { scope: { connectionId: c.id } }));
    expect(cleared).toEqual({ connections: 1, bytes: 6 });
    expect(value(engine.getChunks({ connectionId: c.id, fromSeq: 0, limit: 10 })).chunks).toEqual([]);
    expect(conn(engine, c.id)).toMatchObject({ bytesIn: 6, droppedBytes: 6, state: 'open' });
    await c.fromClient('after');
    const chunks = value(engine.getChunks({ connectionId: c.id, fromSeq: 0, limit: 10 })).chunks;
    expect(chunks.map((k) => [k.offset, Buffer.from(k.data).toString()])).toEqual([[6, 'after']]);
    expect(value(await cmd(engine, 'clearCapture', { scope: { all: true } }))).toEqual({ connections: 1, bytes: 5 });
  });
});

describe('open', () => {
  it.skipIf(!TSHARK)('reads its own pcapng export back: the same streams, directions and bytes, as read-only connections ' + (TSHARK ? '' : noTshark), async () => {
    const { engine } = makeEngine();
    const c = await conversation(engine);
    await c.fromClient('1+2\n');
    await c.fromServer('3\n');
    await c.fromClient('10*10\n');
    await c.fromServer('100\n');
    c.socket.end();
    await until(() => conn(engine, c.id).state === 'closed', 'the close');
    const file = path.join(tempDir(), 'calc.pcapng');
    await exportFile(engine, { scope: { connectionId: c.id }, format: 'pcapng' }, file);
    const job = await ended(engine, value(await cmd(engine, 'openCapture', { filePath: file })).id);
    expect(job).toMatchObject({ state: 'done', kind: 'open', name: 'calc.pcapng', connections: 1, chunks: 4 });
    const opened = engine.snapshot().connections.find((x) => x.source?.jobId === job.id)!;
    // Seen from the client: out is what the client sent.
    expect(opened).toMatchObject({ origin: 'opened', transport: 'tcp', state: 'closed', bytesOut: 10, bytesIn: 6, source: { fileName: 'calc.pcapng', stream: 0, missingBytes: 0 } });
    expect(opened.local!.port).toBe(conn(engine, c.id).remote.port);
    expect(opened.remote.port).toBe(c.listener.port);
    const chunks = value(engine.getChunks({ connectionId: opened.id, fromSeq: 0, limit: 10 })).chunks;
    expect(chunks.map((k) => [k.direction, Buffer.from(k.data).toString()])).toEqual([
      ['out', '1+2\n'],
      ['in', '3\n'],
      ['out', '10*10\n'],
      ['in', '100\n'],
    ]);
    const send = await engine.send({ connectionId: opened.id, data: new Uint8Array([1]) });
    expect(send.ok).toBe(false);
    // Removing the file's streams.
    expect(value(await cmd(engine, 'removeClosed', { jobId: job.id })).removed).toBe(1);
  });

  it('holds a file of many short streams to the closed-record limit, and says how many it let go', async () => {
    const { engine } = makeEngine({ maxClosedRecords: 50 });
    const file = path.join(tempDir(), 'many.pcapng');
    const pieces: Uint8Array[] = [pcapngHeader({ application: 'test' })];
    for (let i = 0; i < 120; i++) {
      const flow = new TcpFlowWriter({ transport: 'tcp', family: 'IPv4', client: { address: '127.0.0.1', port: 20000 + i }, server: { address: '127.0.0.1', port: 80 } });
      const t = 1_700_000_000_000 + i * 10;
      pieces.push(...flow.handshake(t), ...flow.data(true, t + 1, 0, Buffer.from(`GET /${i}\n`)), ...flow.data(false, t + 2, 0, Buffer.from(`ok ${i}\n`)), ...flow.fin(true, t + 3), ...flow.fin(false, t + 4));
    }
    fs.writeFileSync(file, Buffer.concat(pieces));
    const job = await ended(engine, value(await cmd(engine, 'openCapture', { filePath: file })).id);
    expect(job).toMatchObject({ state: 'done', connections: 120, chunks: 240 });
    const listed = engine.snapshot().connections.filter((c) => c.source?.jobId === job.id);
    expect(listed).toHaveLength(50);
    // The newest are kept, each whole.
    expect(listed.at(-1)).toMatchObject({ state: 'closed', bytesOut: 'GET /119\n'.length, bytesIn: 'ok 119\n'.length, closeReason: 'closed (FIN from the client first)' });
    expect(job.problems.join(' ')).toMatch(/70 of its 120 streams are no longer listed/);
  });

  it('stops an open when cancelled: what was read is kept, and it is not called damage', async () => {
    const { engine } = makeEngine();
    const file = path.join(tempDir(), 'long.pcapng');
    const flow = new TcpFlowWriter({ transport: 'tcp', family: 'IPv4', client: { address: '127.0.0.1', port: 40000 }, server: { address: '127.0.0.1', port: 80 } });
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, pcapngHeader({ application: 'test' }));
    for (const p of flow.handshake(1_700_000_000_000)) fs.writeSync(fd, p);
    const piece = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 512; i++) for (const p of flow.data(true, 1_700_000_000_001 + i, i * piece.length, piece)) fs.writeSync(fd, p);
    fs.closeSync(fd);
    const started = value(await cmd(engine, 'openCapture', { filePath: file }));
    value(await cmd(engine, 'cancelFileJob', { jobId: started.id }));
    const job = await ended(engine, started.id);
    expect(job.state).toBe('cancelled');
    expect(job.problems).toContain('Cancelled: the streams read so far are kept.');
    expect(job.problems.join(' ')).not.toMatch(/damaged/);
    const kept = engine.snapshot().connections.filter((c) => c.source?.jobId === job.id);
    expect(kept.length).toBeLessThanOrEqual(1);
    if (kept[0]) expect(kept[0].bytesOut).toBeLessThan(512 * piece.length);
  });

  it('says what is wrong with a file that is not a capture, and reads a damaged one up to the damage', async () => {
    const { engine } = makeEngine();
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'notes.pcap'), 'these are not packets at all, just some text\n'.repeat(10));
    const bad = await ended(engine, value(await cmd(engine, 'openCapture', { filePath: path.join(dir, 'notes.pcap') })).id);
    expect(bad.state).toBe('failed');
    expect(bad.message).toMatch(/not a pcap or pcapng|capture file/i);
    const missing = await cmd(engine, 'openCapture', { filePath: path.join(dir, 'absent.pcapng') });
    expect(missing).toMatchObject({ ok: false, code: 'ENOENT' });
    const folder = await cmd(engine, 'openCapture', { filePath: dir });
    expect(folder).toMatchObject({ ok: false });
  });
});

describe('browser host files', () => {
  it('keeps an export for download and an upload for opening, each by an id', async () => {
    const { engine } = makeEngine();
    const c = await conversation(engine);
    await c.fromClient('kept for download');
    const job = await ended(engine, value(await cmd(engine, 'exportCapture', { scope: { connectionId: c.id }, format: 'raw', direction: 'in' })).id);
    expect(job.state).toBe('done');
    expect(job.fileId).toMatch(/^F[0-9a-f]{24}$/);
    expect(job.name).toMatch(new RegExp(`^socket-inspector-${c.id}-in-.*\\.bin$`));
    const stored = engine.fileStore.get(job.fileId!)!;
    expect(fs.readFileSync(stored.path, 'utf8')).toBe('kept for download');
    expect(fs.statSync(stored.path).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(stored.path)).mode & 0o777).toBe(0o700);
    const unknown = await cmd(engine, 'openCapture', { fileId: 'F000000000000000000000000' });
    expect(unknown).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });
});

describe('workspace files by path', () => {
  it('reads a small regular file for the page, and refuses a folder, a missing file and a large file', async () => {
    const { engine } = makeEngine();
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'lab.json'), '{"format":"socket-inspector-workspace"}');
    expect(value(await cmd(engine, 'readWorkspaceFile', { filePath: path.join(dir, 'lab.json') }))).toEqual({ name: 'lab.json', text: '{"format":"socket-inspector-workspace"}' });
    expect(await cmd(engine, 'readWorkspaceFile', { filePath: path.join(dir, 'none.json') })).toMatchObject({ ok: false, code: 'ENOENT' });
    expect(await cmd(engine, 'readWorkspaceFile', { filePath: dir })).toMatchObject({ ok: false, code: 'NOT_A_FILE' });
    fs.writeFileSync(path.join(dir, 'big.json'), Buffer.alloc(9 * 1024 * 1024, 0x20));
    expect(await cmd(engine, 'readWorkspaceFile', { filePath: path.join(dir, 'big.json') })).toMatchObject({ ok: false, code: 'TOO_LARGE' });
    fs.symlinkSync(path.join(dir, 'lab.json'), path.join(dir, 'link.json'));
    expect(await cmd(engine, 'readWorkspaceFile', { filePath: path.join(dir, 'link.json') })).toMatchObject({ ok: false, code: 'NOT_A_FILE' });
  });
});
