import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { PREVIEW_BYTES, type ConnectionInfo } from '../../shared/model';
import type { Result } from '../../shared/result';
import { Engine } from './engine';
import { chunkEvents, client, conn, makeEngine, onCleanup, received, server, until, value } from './testing/helpers';

describe('listeners', () => {
  it('accepts many clients at once and counts them', async () => {
    const { engine, events } = makeEngine();
    const listener = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    expect(listener.port).toBeGreaterThan(0);
    expect(listener.address).toBe('127.0.0.1');
    const clients = await Promise.all(Array.from({ length: 25 }, () => client(listener.port)));
    await Promise.all(clients.map((c, i) => new Promise((r) => c.write(`client ${i}`, r))));
    await until(() => engine.snapshot().connections.filter((c) => c.bytesIn > 0).length === 25, 'all clients to write');
    const snap = engine.snapshot();
    expect(snap.listeners[0]!.clientCount).toBe(25);
    expect(snap.listeners[0]!.acceptedCount).toBe(25);
    const texts = snap.connections.map((c) => Buffer.from(value(engine.getChunks({ connectionId: c.id, fromSeq: 0, limit: 10 })).chunks[0]!.data).toString()).sort();
    expect(texts).toEqual(Array.from({ length: 25 }, (_, i) => `client ${i}`).sort());
    for (const c of snap.connections) {
      expect(c.origin).toBe('accepted');
      expect(c.listenerId).toBe(listener.id);
      expect(c.local).toEqual({ address: '127.0.0.1', port: listener.port, family: 'IPv4' });
      expect(c.remote.address).toBe('127.0.0.1');
      expect(c.state).toBe('open');
    }
    await until(() => events.some((e) => e.type === 'listener-updated' && e.listener.clientCount === 25), 'listener update event');
  });

  it('runs several listeners, including IPv6 and localhost', async () => {
    const { engine } = makeEngine();
    const a = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const b = value(await engine.startListener({ host: '::1', port: 0 }));
    const c = value(await engine.startListener({ host: 'localhost', port: 0 }));
    expect(b.family).toBe('IPv6');
    expect(b.address).toBe('::1');
    expect(c.requestedHost).toBe('localhost');
    expect(new Set([a.id, b.id, c.id]).size).toBe(3);
    const s = await client(b.port, '::1');
    s.write('six');
    await until(() => engine.snapshot().connections.some((x) => x.bytesIn === 3), 'IPv6 data');
    expect(engine.snapshot().connections[0]!.remote.family).toBe('IPv6');
  });

  it('stopping keeps open clients unless asked to close them', async () => {
    const { engine, events } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const kept = await client(l.port);
    const keptRx = received(kept);
    await until(() => engine.snapshot().connections.length === 1, 'accept');
    const keptId = engine.snapshot().connections[0]!.id;
    value(engine.stopListener({ listenerId: l.id, closeClients: false }));
    expect(engine.snapshot().listeners).toHaveLength(0);
    await until(() => events.some((e) => e.type === 'listener-stopped'), 'stopped event');
    // The port no longer accepts…
    await expect(client(l.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // …but the kept client still talks both ways.
    value(await engine.send({ connectionId: keptId, data: new TextEncoder().encode('still here') }));
    await until(() => keptRx.data().toString() === 'still here', 'data on kept client');
    expect(conn(engine, keptId).state).toBe('open');

    const l2 = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const closed = await client(l2.port);
    const closedRx = received(closed);
    await until(() => engine.snapshot().connections.length === 2, 'second accept');
    const closedId = engine.snapshot().connections[1]!.id;
    value(engine.stopListener({ listenerId: l2.id, closeClients: true }));
    await closedRx.ended;
    await until(() => conn(engine, closedId).state === 'closed', 'client closed');
    expect(conn(engine, closedId).closeReason).toBe('closed when its listener stopped');
    expect(conn(engine, keptId).state).toBe('open');
  });

  it('explains a port already in use, and keeps working', async () => {
    const { engine } = makeEngine();
    const { port } = await server();
    const r = await engine.startListener({ host: '127.0.0.1', port });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('EADDRINUSE');
    expect(r.message).toContain(`Port ${port} is already in use`);
    expect(r.hint).toMatch(/port 0/);
    expect(value(await engine.startListener({ host: '127.0.0.1', port: 0 })).port).toBeGreaterThan(0);
  });
});

describe('chunks', () => {
  it('records each read as one chunk, in order, with exact bytes and counters', async () => {
    const { engine, events } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const s = await client(l.port);
    const payloads = ['alpha', 'b', 'gamma\r\n', '\x00\xff'].map((t) => Buffer.from(t, 'latin1'));
    for (const p of payloads) {
      const before = chunkEvents(events, 'C1').length;
      s.write(p);
      await until(() => chunkEvents(events, 'C1').length === before + 1, 'chunk event');
    }
    const chunks = chunkEvents(events, 'C1');
    expect(chunks.map((c) => Buffer.from(c.data).toString('latin1'))).toEqual(payloads.map((p) => p.toString('latin1')));
    expect(chunks.map((c) => c.seq)).toEqual([0, 1, 2, 3]);
    expect(chunks.every((c) => c.direction === 'in')).toBe(true);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.time).toBeGreaterThanOrEqual(chunks[i - 1]!.time);
    const c = conn(engine, 'C1');
    expect(c.bytesIn).toBe(payloads.reduce((n, p) => n + p.length, 0));
    expect(c.chunksIn).toBe(4);
    expect(c.bytesOut).toBe(0);
    // The list shows what the conversation opened with: the first chunk, and only the first.
    expect(c.firstLine).toBe('alpha');
    const page = value(engine.getChunks({ connectionId: 'C1', fromSeq: 2, limit: 10 }));
    expect(page.chunks.map((x) => x.seq)).toEqual([2, 3]);
  });

  it('connects out, records sends as out chunks, and the reply as in', async () => {
    const { engine } = makeEngine();
    const { port } = await server((s) => s.on('data', (d) => s.write(Buffer.concat([Buffer.from('echo:'), d]))));
    const c = value(await engine.connect({ host: '127.0.0.1', port, timeoutMs: 2000 }));
    expect(c.state).toBe('open');
    expect(c.origin).toBe('outgoing');
    expect(c.remote).toEqual({ address: '127.0.0.1', port, family: 'IPv4' });
    expect(c.local?.address).toBe('127.0.0.1');
    expect(value(await engine.send({ connectionId: c.id, data: new TextEncoder().encode('ping') }))).toEqual({ bytes: 4 });
    await until(() => conn(engine, c.id).bytesIn === 9, 'echo');
    const chunks = value(engine.getChunks({ connectionId: c.id, fromSeq: 0, limit: 10 })).chunks;
    expect(chunks.map((x) => [x.direction, Buffer.from(x.data).toString()])).toEqual([
      ['out', 'ping'],
      ['in', 'echo:ping'],
    ]);
    expect(conn(engine, c.id)).toMatchObject({ bytesOut: 4, chunksOut: 1, bytesIn: 9, chunksIn: 1 });
  });

  it('sends a large chunk as a preview but keeps the full bytes and size', async () => {
    const { engine, events } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const s = await client(l.port);
    await until(() => engine.snapshot().connections.length === 1, 'accept');
    const big = Buffer.alloc(20_000, 0x41);
    value(await engine.send({ connectionId: 'C1', data: big }));
    const rx = received(s);
    await until(() => rx.data().length === 20_000, 'big payload at peer');
    await until(() => chunkEvents(events, 'C1').length === 1, 'chunk event');
    const ev = chunkEvents(events, 'C1')[0]!;
    expect(ev.size).toBe(20_000);
    expect(ev.data.byteLength).toBe(PREVIEW_BYTES);
  });
});

describe('closing', () => {
  it('a listener that keeps connections half-open shows when the peer half-closes, and can still send to it', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0, halfOpen: { idleSeconds: 60 } }));
    const s = await client(l.port);
    const rx = received(s);
    s.end('bye');
    await until(() => conn(engine, 'C1').state === 'half-closed', 'half-closed');
    expect(conn(engine, 'C1').halfClosedBy).toBe('peer');
    expect(conn(engine, 'C1').bytesIn).toBe(3);
    value(await engine.send({ connectionId: 'C1', data: new TextEncoder().encode('after your FIN') }));
    await until(() => rx.data().toString() === 'after your FIN', 'data after peer FIN');
    value(engine.closeConnection({ connectionId: 'C1', mode: 'end' }));
    await rx.ended;
    await until(() => conn(engine, 'C1').state === 'closed', 'closed');
    expect(conn(engine, 'C1').closeReason).toBe('closed (peer closed first)');
  });

  it('half-closes our side: the peer sees end of file and can still send', async () => {
    const { engine } = makeEngine();
    let peer!: net.Socket;
    const { port } = await server((s) => (peer = s));
    const c = value(await engine.connect({ host: '127.0.0.1', port, timeoutMs: 2000 }));
    await until(() => peer !== undefined, 'peer');
    const rx = received(peer);
    const after = value(engine.closeConnection({ connectionId: c.id, mode: 'end' }));
    expect(after).toMatchObject({ state: 'half-closed', halfClosedBy: 'local' });
    await rx.ended;
    const refused = await engine.send({ connectionId: c.id, data: new Uint8Array([1]) });
    expect(refused).toMatchObject({ ok: false, code: 'EPIPE' });
    peer.write('still talking');
    await until(() => conn(engine, c.id).bytesIn === 13, 'data after our FIN');
    peer.end();
    await until(() => conn(engine, c.id).state === 'closed', 'closed');
    expect(conn(engine, c.id).closeReason).toBe('closed by you');
    expect((await engine.send({ connectionId: c.id, data: new Uint8Array([1]) })).ok).toBe(false);
  });

  it('resets a connection: the peer sees ECONNRESET', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const s = await client(l.port);
    const peerError = new Promise<NodeJS.ErrnoException>((r) => s.once('error', r));
    await until(() => engine.snapshot().connections.length === 1, 'accept');
    value(engine.closeConnection({ connectionId: 'C1', mode: 'reset' }));
    expect((await peerError).code).toBe('ECONNRESET');
    await until(() => conn(engine, 'C1').state === 'closed', 'closed');
    expect(conn(engine, 'C1').closeReason).toBe('reset by you (RST sent)');
  });

  it('explains a reset from the peer, and other connections keep working', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const a = await client(l.port);
    const b = await client(l.port);
    const bRx = received(b);
    await until(() => engine.snapshot().connections.length === 2, 'accepts');
    const [first, second] = engine.snapshot().connections;
    const aPort = a.localPort;
    const aId = first!.remote.port === aPort ? first!.id : second!.id;
    const bId = aId === first!.id ? second!.id : first!.id;
    a.resetAndDestroy();
    await until(() => conn(engine, aId).state === 'closed', 'reset seen');
    expect(conn(engine, aId).error?.code).toBe('ECONNRESET');
    expect(conn(engine, aId).error?.message).toMatch(/reset by the peer/);
    value(await engine.send({ connectionId: bId, data: new TextEncoder().encode('ok') }));
    await until(() => bRx.data().toString() === 'ok', 'other connection');
  });
});

describe('connect errors', () => {
  it('explains a refused connection', async () => {
    const { engine } = makeEngine();
    const { srv, port } = await server();
    await new Promise<void>((r) => srv.close(() => r()));
    const r = await engine.connect({ host: '127.0.0.1', port, timeoutMs: 2000 });
    expect(r).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
    if (!r.ok) expect(r.message).toContain(`nothing is listening at 127.0.0.1:${port}`);
    const record = engine.snapshot().connections[0]!;
    expect(record.state).toBe('closed');
    expect(record.closeReason).toMatch(/could not connect/);
  });

  it('times out when the peer never answers the handshake', async () => {
    // A Python server with a full accept queue: further SYNs are dropped, so connects hang.
    const py = spawn(
      'python3',
      [
        '-c',
        `
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
port = s.getsockname()[1]
fill = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(('127.0.0.1', port))
    except BlockingIOError: pass
    fill.append(c)
print(port, flush=True)
time.sleep(30)
`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    onCleanup(() => killChild(py));
    const port = await new Promise<number>((r) => py.stdout!.once('data', (d) => r(Number(String(d).trim()))));
    await new Promise((r) => setTimeout(r, 200));
    const { engine } = makeEngine();
    const r = await engine.connect({ host: '127.0.0.1', port, timeoutMs: 700 });
    expect(r).toMatchObject({ ok: false, code: 'ETIMEDOUT' });
    if (!r.ok) expect(r.message).toContain('Timed out');
  });

  it('refuses to send on unknown or closed connections with a clear error', async () => {
    const { engine } = makeEngine();
    expect(await engine.send({ connectionId: 'C999', data: new Uint8Array([1]) })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(engine.closeConnection({ connectionId: 'C999', mode: 'end' })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(engine.stopListener({ listenerId: 'L999', closeClients: false })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });
});

describe('flow control and capture budget', () => {
  it('pauses sockets while a subscriber lags, then delivers every byte in order', async () => {
    const { engine, batches, sub } = makeEngine(
      { batcher: { highWatermark: 8 * 1024, lowWatermark: 2 * 1024, maxBatchBytes: 2 * 1024 } },
      false,
    );
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const s = await client(l.port);
    const total = 4 * 1024 * 1024;
    const payload = Buffer.alloc(total);
    for (let i = 0; i < total; i++) payload[i] = (i * 31 + (i >> 11)) & 0xff;
    s.write(payload);
    // Nothing is acknowledged: the engine must stop reading long before 4 MiB.
    await new Promise((r) => setTimeout(r, 400));
    const stalled = engine.snapshot().connections[0]!.bytesIn;
    expect(stalled).toBeLessThan(total);
    await new Promise((r) => setTimeout(r, 200));
    expect(engine.snapshot().connections[0]!.bytesIn).toBe(stalled);
    // Acknowledge as batches come: the rest flows.
    let acked = 0;
    await until(
      () => {
        while (acked < batches.length) sub.ack(batches[acked++]!.id);
        return engine.snapshot().connections[0]!.bytesIn === total;
      },
      'all bytes after acks resume',
      15000,
    );
    // What was captured, chunk by chunk in full, is exactly what was sent.
    const page = value(engine.getChunks({ connectionId: 'C1', fromSeq: 0, limit: 100_000 }));
    expect(page.chunks.reduce((n, c) => n + c.size, 0)).toBe(total);
    const hash = createHash('sha256');
    for (const c of page.chunks) hash.update(value(engine.getChunkData({ connectionId: 'C1', seq: c.seq })).data);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('evicts the oldest payloads past the budget but keeps counters exact', async () => {
    const { engine, events } = makeEngine({ captureBudgetBytes: 64 * 1024 });
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const s = await client(l.port);
    for (let i = 0; i < 40; i++) {
      const before = chunkEvents(events, 'C1').length;
      s.write(Buffer.alloc(4000, i));
      await until(() => chunkEvents(events, 'C1').length === before + 1, 'chunk');
    }
    const c = conn(engine, 'C1');
    expect(c.bytesIn).toBe(160_000);
    expect(c.chunksIn).toBe(40);
    expect(c.droppedChunks).toBeGreaterThan(0);
    expect(c.droppedBytes).toBe(c.droppedChunks * 4000);
    const page = value(engine.getChunks({ connectionId: 'C1', fromSeq: 0, limit: 1000 }));
    expect(page.firstKeptSeq).toBe(c.droppedChunks);
    expect(page.chunks[0]!.seq).toBe(c.droppedChunks);
    expect(page.chunks.length + c.droppedChunks).toBe(40);
    expect(page.chunks.at(-1)!.data[0]).toBe(39);
    expect(events.some((e) => e.type === 'chunks-evicted' && e.connectionId === 'C1')).toBe(true);
  });
});

function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });
}

describe('broadcast, repeat and saved messages', () => {
  it('broadcasts to every open client of a listener, recording an out chunk on each', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const peers = await Promise.all([client(l.port), client(l.port), client(l.port)]);
    const rx = peers.map(received);
    await until(() => engine.snapshot().listeners[0]!.clientCount === 3, 'accepts');
    expect(value(await engine.broadcast({ listenerId: l.id, data: new TextEncoder().encode('all') }))).toEqual({ connections: 3, bytes: 9 });
    await until(() => rx.every((r) => r.data().toString() === 'all'), 'every client got it');
    for (const c of engine.snapshot().connections) expect(c).toMatchObject({ bytesOut: 3, chunksOut: 1 });
    expect(await engine.broadcast({ listenerId: 'L99', data: new Uint8Array([1]) })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('repeats N times at an interval, then reports done', async () => {
    const { engine, events } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const s = await client(l.port);
    const rx = received(s);
    await until(() => engine.snapshot().connections.length === 1, 'accept');
    const task = value(engine.startRepeat({ target: { connectionId: 'C1' }, data: new TextEncoder().encode('tick;'), intervalMs: 20, count: 5 }));
    expect(task.state).toBe('running');
    await until(() => events.some((e) => e.type === 'task-updated' && e.task.id === task.id && e.task.state === 'done'), 'task done');
    await until(() => rx.data().toString() === 'tick;'.repeat(5), 'five ticks');
    expect(conn(engine, 'C1').chunksOut).toBe(5);
    expect(engine.snapshot().tasks[0]).toMatchObject({ id: task.id, sent: 5, state: 'done' });
  });

  it('repeats until stopped, and Stop takes effect during a long interval', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const s = await client(l.port);
    const rx = received(s);
    await until(() => engine.snapshot().connections.length === 1, 'accept');
    const task = value(engine.startRepeat({ target: { listenerId: l.id }, data: new Uint8Array([0x41]), intervalMs: 60_000 }));
    await until(() => rx.data().length === 1, 'first send');
    const stopped = value(engine.stopTask({ taskId: task.id }));
    expect(stopped).toMatchObject({ state: 'stopped', sent: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.data().length).toBe(1);
    expect(engine.stopTask({ taskId: 'T999' })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('fails a repeat whose connection closes, with the reason', async () => {
    const { engine, events } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const s = await client(l.port);
    await until(() => engine.snapshot().connections.length === 1, 'accept');
    const task = value(engine.startRepeat({ target: { connectionId: 'C1' }, data: new Uint8Array([1]), intervalMs: 10 }));
    s.destroy();
    await until(() => events.some((e) => e.type === 'task-updated' && e.task.id === task.id && e.task.state === 'failed'), 'task failed');
    const last = [...events].reverse().find((e) => e.type === 'task-updated' && e.task.id === task.id);
    expect(last?.type === 'task-updated' && last.task.error).toMatch(/closed|reset|peer/i);
  });

  it('keeps saved messages and history across engines sharing a data folder', async () => {
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp(`${(process.env.TMPDIR ?? '/tmp').replace(/\/$/, '')}/si-saved-`));
    onCleanup(() => import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true, force: true })));
    const first = new Engine({ dataDir: dir });
    onCleanup(() => first.shutdown());
    const state = { snippets: [{ name: 'greet', text: 'hello\\r\\n', hex: false, lineEnding: 'none' as const }], history: ['a', 'b'] };
    expect(value(first.setSaved(state))).toEqual(state);
    const second = new Engine({ dataDir: dir });
    onCleanup(() => second.shutdown());
    expect(value(second.getSaved())).toEqual(state);
  });
});

describe('who holds a port', () => {
  it('names the process holding a port, and ending it frees the port', async () => {
    const py = spawn('python3', ['-c', "import socket, time\ns = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\nprint(s.getsockname()[1], flush=True)\ntime.sleep(60)"], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    onCleanup(() => killChild(py));
    const port = await new Promise<number>((r) => py.stdout!.once('data', (d) => r(Number(String(d).trim()))));
    const { engine } = makeEngine();
    const r = await engine.startListener({ host: '127.0.0.1', port });
    expect(r).toMatchObject({ ok: false, code: 'EADDRINUSE', holder: { pid: py.pid } });
    if (r.ok) return;
    expect(r.holder!.name).toMatch(/^python/);
    expect(r.message).toContain(`Port ${port} is already in use: it is held by ${r.holder!.name}, pid ${py.pid}`);
    const ports = value(await engine.listPorts());
    expect(ports.some((p) => p.port === port && p.pid === py.pid && p.protocol === 'tcp')).toBe(true);
    expect(value(await engine.endProcess({ pid: py.pid!, signal: 'SIGTERM' })).exited).toBe(true);
    expect(value(await engine.startListener({ host: '127.0.0.1', port })).port).toBe(port);
  });

  it('says when the port is held by one of its own listeners', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const r = await engine.startListener({ host: '127.0.0.1', port: l.port });
    expect(r).toMatchObject({ ok: false, code: 'EADDRINUSE' });
    if (!r.ok) expect(r.message).toContain("this app's own listener");
  });

  it('explains a process that cannot be signalled', async () => {
    const { engine } = makeEngine();
    expect(await engine.endProcess({ pid: 2 ** 22 + 12345, signal: 'SIGTERM' })).toMatchObject({ ok: false, code: 'ESRCH' });
  });
});

/** Runs a Python client against 127.0.0.1:port; resolves with what it printed. */
function pythonClient(port: number, code: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('python3', ['-c', `import socket, sys, time\ns = socket.create_connection(('127.0.0.1', ${port}))\ns.settimeout(10)\n${code}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onCleanup(() => killChild(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('exit', (c) => resolve({ code: c, stdout, stderr })));
}

const READ_ALL = `
buf = b''
while True:
    d = s.recv(4096)
    if not d: break
    buf += d
print(repr(buf))
`;

describe('auto-responders with real clients', () => {
  it('echo: a Python client gets its message back', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    value(engine.setResponder({ target: { listenerId: l.id }, responder: { kind: 'echo' } }));
    const r = await pythonClient(l.port, "s.sendall(b'hello echo')\nprint(repr(s.recv(100)))");
    expect(r.stdout.trim()).toBe("b'hello echo'");
    const chunks = value(engine.getChunks({ connectionId: 'C1', fromSeq: 0, limit: 10 })).chunks;
    expect(chunks.map((c) => [c.direction, c.auto ?? false])).toEqual([
      ['in', false],
      ['out', true],
    ]);
  });

  it('ACK and close: the client gets ACK! and then end of file', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    value(engine.setResponder({ target: { listenerId: l.id }, responder: { kind: 'fixed', reply: 'ACK!', hex: false, close: true } }));
    const r = await pythonClient(l.port, `s.sendall(b'hi')\n${READ_ALL}`);
    expect(r.stdout.trim()).toBe("b'ACK!'");
  });

  it('program responder: a calculator answers 2+3 with 5, and its exit is shown', async () => {
    const { engine, events } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const calc = 'import sys\nfor line in sys.stdin:\n    print(eval(line), flush=True)\nsys.stderr.write("bye\\n")';
    value(engine.setResponder({ target: { listenerId: l.id }, responder: { kind: 'program', command: 'python3', args: ['-u', '-c', calc], shell: false } }));
    const r = await pythonClient(
      l.port,
      `s.sendall(b'2+3\\n')\nline = b''\nwhile not line.endswith(b'\\n'):\n    d = s.recv(100)\n    if not d: break\n    line += d\nprint(repr(line))\ns.shutdown(socket.SHUT_WR)\n${READ_ALL}`,
    );
    expect(r.stdout.trim().split('\n')).toEqual(["b'5\\n'", "b''"]);
    await until(() => conn(engine, 'C1').program?.state === 'exited', 'program exit');
    expect(conn(engine, 'C1').program).toMatchObject({ command: expect.stringMatching(/^python3 -u -c /), exitCode: 0, stderr: 'bye\n' });
    expect(events.some((e) => e.type === 'connection-updated' && e.connection.program?.state === 'running')).toBe(true);
  });

  it('rules: a regex group in the reply, the default reply, and a delay that keeps order', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    value(
      engine.setResponder({
        target: { listenerId: l.id },
        responder: {
          kind: 'rules',
          lineFraming: true,
          defaultReply: 'ERR unknown: {{hex}}\\n',
          rules: [
            { match: 'regex', pattern: '^HELLO (\\w+)$', reply: 'Hi {{1}} #{{counter}}\\n', delayMs: 0, close: false },
            { match: 'exact', pattern: 'SLOW', reply: 'slow\\n', delayMs: 300, close: false },
            { match: 'startsWith', pattern: 'QUIT', reply: 'bye\\n', delayMs: 0, close: true },
          ],
        },
      }),
    );
    const started = Date.now();
    const r = await pythonClient(l.port, `s.sendall(b'HELLO bob\\nSLOW\\nNOPE\\r\\nQUIT now\\n')\n${READ_ALL}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(r.stdout.trim()).toBe("b'Hi bob #1\\nslow\\nERR unknown: 4e 4f 50 45\\nbye\\n'");
  });

  it("a connection's own setting overrides its listener's, and Off silences it", async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    value(engine.setResponder({ target: { listenerId: l.id }, responder: { kind: 'echo' } }));
    const s = await client(l.port);
    const rx = received(s);
    await until(() => engine.snapshot().connections.length === 1, 'accept');
    value(engine.setResponder({ target: { connectionId: 'C1' }, responder: { kind: 'off' } }));
    s.write('quiet');
    await until(() => conn(engine, 'C1').bytesIn === 5, 'data in');
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.data().length).toBe(0);
    expect(engine.snapshot().listeners[0]!.responder).toEqual({ kind: 'echo' });
  });
});

describe('Unix domain sockets', () => {
  async function tempSocketPath(): Promise<string> {
    const fs = await import('node:fs/promises');
    const dir = await fs.mkdtemp('/tmp/si-unix-');
    onCleanup(() => fs.rm(dir, { recursive: true, force: true }));
    return `${dir}/app.sock`;
  }

  it('listens on a path; a Python client connects, talks both ways, and the listener shows the path', async () => {
    const { engine } = makeEngine();
    const socketPath = await tempSocketPath();
    const l = value(await engine.listenUnix({ path: socketPath, removeStale: false }));
    expect(l).toMatchObject({ transport: 'unix', address: socketPath, family: 'unix', port: 0 });
    value(engine.setResponder({ target: { listenerId: l.id }, responder: { kind: 'echo' } }));
    const py = spawn('python3', ['-c', `import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\ns.sendall(b'over unix')\nprint(repr(s.recv(100)))`, socketPath], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    onCleanup(() => killChild(py));
    let out = '';
    py.stdout!.on('data', (d) => (out += d));
    await new Promise((r) => py.once('exit', r));
    expect(out.trim()).toBe("b'over unix'");
    const c = engine.snapshot().connections[0]!;
    expect(c).toMatchObject({ transport: 'unix', origin: 'accepted', bytesIn: 9, bytesOut: 9 });
    expect(c.local).toEqual({ address: socketPath, port: 0, family: 'unix' });
  });

  it('connects to a path, and explains a missing socket', async () => {
    const { engine } = makeEngine();
    const socketPath = await tempSocketPath();
    const missing = await engine.connectUnix({ path: socketPath, timeoutMs: 2000 });
    expect(missing).toMatchObject({ ok: false, code: 'ENOENT' });
    if (!missing.ok) expect(missing.message).toContain(`No socket at ${socketPath}`);
    const peers: net.Socket[] = [];
    const srv = net.createServer((s) => {
      peers.push(s);
      s.end('hello from unix');
    });
    await new Promise<void>((r) => srv.listen(socketPath, () => r()));
    onCleanup(
      () =>
        new Promise<void>((r) => {
          for (const p of peers) p.destroy();
          srv.close(() => r());
        }),
    );
    const c = value(await engine.connectUnix({ path: socketPath, timeoutMs: 2000 }));
    expect(c).toMatchObject({ transport: 'unix', state: 'open', remote: { address: socketPath, family: 'unix' } });
    await until(() => conn(engine, c.id).bytesIn === 15, 'data over unix');
  });

  it('explains a stale socket file and removes it when asked', async () => {
    const socketPath = await tempSocketPath();
    // A server that dies without cleaning up leaves its socket file behind.
    const py = spawn('python3', ['-c', 'import socket, sys, os\ns = socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen()\nos._exit(0)', socketPath]);
    await new Promise((r) => py.once('exit', r));
    const { engine } = makeEngine();
    const stale = await engine.listenUnix({ path: socketPath, removeStale: false });
    expect(stale).toMatchObject({ ok: false, code: 'STALE_SOCKET' });
    if (!stale.ok) expect(stale.message).toContain('no longer running');
    const l = value(await engine.listenUnix({ path: socketPath, removeStale: true }));
    expect(l.address).toBe(socketPath);
    // A live server's socket is never removed.
    const other = makeEngine().engine;
    const live = await other.listenUnix({ path: socketPath, removeStale: true });
    expect(live).toMatchObject({ ok: false, code: 'EADDRINUSE' });
  });

  it('a regular file, a folder or a link at the path is named and never touched, even when asked to remove a stale file', async () => {
    const fs = await import('node:fs/promises');
    const { engine } = makeEngine();
    const file = await tempSocketPath();
    await fs.writeFile(file, 'precious data');
    const folder = await tempSocketPath();
    await fs.mkdir(folder);
    // A link to a stale socket is still a link: removing it is not ours to decide.
    const staleTarget = await tempSocketPath();
    const py = spawn('python3', ['-c', 'import socket, sys, os\ns = socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen()\nos._exit(0)', staleTarget]);
    await new Promise((r) => py.once('exit', r));
    const link = await tempSocketPath();
    await fs.symlink(staleTarget, link);
    const cases: Array<[string, RegExp]> = [
      [file, /is a regular file \(13 bytes\), not a socket/],
      [folder, /is a folder, not a socket/],
      [link, new RegExp(`is a symbolic link \\(to ${staleTarget.replace(/[.]/g, '\\.')}\\), not a socket`)],
    ];
    for (const [where, message] of cases) {
      for (const removeStale of [false, true]) {
        const r = await engine.listenUnix({ path: where, removeStale });
        expect(r).toMatchObject({ ok: false, code: 'NOT_A_SOCKET' });
        if (!r.ok) expect(r.message).toMatch(message);
      }
    }
    expect(await fs.readFile(file, 'utf8')).toBe('precious data');
    expect((await fs.lstat(folder)).isDirectory()).toBe(true);
    expect((await fs.lstat(link)).isSymbolicLink()).toBe(true);
    expect((await fs.lstat(staleTarget)).isSocket()).toBe(true);
  });
});

describe('IPv6', () => {
  it('a listener on :: takes IPv6 and IPv4 clients (dual stack), showing each as it is', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '::', port: 0 }));
    expect(l).toMatchObject({ address: '::', family: 'IPv6' });
    const v6 = await client(l.port, '::1');
    const v4 = await client(l.port, '127.0.0.1');
    v6.write('six');
    v4.write('four');
    await until(() => engine.snapshot().connections.filter((c) => c.bytesIn > 0).length === 2, 'both clients');
    const byData = new Map(engine.snapshot().connections.map((c) => [c.bytesIn, c]));
    expect(byData.get(3)!.remote).toMatchObject({ address: '::1', family: 'IPv6' });
    // Dual-stack IPv4 peers arrive as ::ffff:127.0.0.1; they are shown as the IPv4 address they are.
    expect(byData.get(4)!.remote).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
  });

  it('connects to ::1 given with brackets, and a link-local address keeps its scope', async () => {
    const { engine } = makeEngine();
    const { port } = await server(() => undefined, '::1');
    // Through the contract, as every host does: it takes [::1] and hands the engine ::1.
    const { dispatchCommand } = await import('./dispatch');
    const c = value((await dispatchCommand(engine, 'connect', { host: '[::1]', port, timeoutMs: 2000 })) as Result<ConnectionInfo>);
    expect(c.remote).toEqual({ address: '::1', port, family: 'IPv6' });
    // fe80::1%lo has no listener; the point is that the scope id survives parsing and display.
    const parsed = await import('../../shared/contract').then((m) => m.parseCommand('connect', { host: 'fe80::1%lo', port: 9 }));
    expect(parsed.ok && parsed.args.host).toBe('fe80::1%lo');
    const { formatHostPort } = await import('../../shared/format');
    expect(formatHostPort('fe80::1%lo', 9)).toBe('[fe80::1%lo]:9');
  });
});

describe('TLS', () => {
  it('a self-signed TLS listener and a TLS client: refused with the reason and chain when verifying, accepted without', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0, tls: { certificate: 'self-signed', requestClientCert: false } }));
    expect(l).toMatchObject({ transport: 'tls', tls: { selfSigned: true } });
    value(engine.setResponder({ target: { listenerId: l.id }, responder: { kind: 'echo' } }));

    const refused = await engine.connect({ host: '127.0.0.1', port: l.port, timeoutMs: 3000, tls: { verify: true, servername: 'localhost', alpn: [] } });
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.message).toMatch(/self-signed/i);
    const record = conn(engine, refused.connectionId!);
    expect(record.state).toBe('closed');
    expect(record.tls?.chain[0]?.fingerprint256).toBe(l.tls!.fingerprint256);

    const c = value(await engine.connect({ host: '127.0.0.1', port: l.port, timeoutMs: 3000, tls: { verify: false, servername: 'localhost', alpn: ['http/1.1'] } }));
    expect(c).toMatchObject({ transport: 'tls', tls: { authorized: false, protocol: expect.stringMatching(/^TLSv1\.[23]$/) } });
    expect(c.tls!.cipher).toBeTruthy();
    value(await engine.send({ connectionId: c.id, data: new TextEncoder().encode('secret') }));
    // The traffic view shows the decrypted bytes.
    await until(() => conn(engine, c.id).bytesIn === 6, 'echo over TLS');
    const chunks = value(engine.getChunks({ connectionId: c.id, fromSeq: 0, limit: 10 })).chunks;
    expect(chunks.map((x) => Buffer.from(x.data).toString())).toEqual(['secret', 'secret']);
    const accepted = engine.snapshot().connections.find((x) => x.origin === 'accepted' && x.transport === 'tls');
    expect(accepted?.tls?.protocol).toMatch(/^TLSv1/);
  });

  it('explains TLS spoken to a plain TCP server', async () => {
    const { engine } = makeEngine();
    const { port } = await server((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const r = await engine.connect({ host: '127.0.0.1', port, timeoutMs: 3000, tls: { verify: true, alpn: [] } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toMatch(/WRONG_VERSION|EPROTO|ECONNRESET/);
  });

  it('a peer that ends the connection during the TLS handshake: closed (FIN) and reset (RST) told apart', async () => {
    const { engine } = makeEngine();
    const closer = await server((s) => s.once('data', () => s.end()));
    const closed = await engine.connect({ host: '127.0.0.1', port: closer.port, timeoutMs: 3000, tls: { verify: true, alpn: [] } });
    expect(closed).toMatchObject({
      ok: false,
      code: 'ECONNRESET',
      message: `127.0.0.1:${closer.port} closed the connection during the TLS handshake, before a secure connection was established.`,
    });
    const resetter = await server((s) => s.once('data', () => s.resetAndDestroy()));
    const reset = await engine.connect({ host: '127.0.0.1', port: resetter.port, timeoutMs: 3000, tls: { verify: true, alpn: [] } });
    expect(reset).toMatchObject({ ok: false, code: 'ECONNRESET', message: `127.0.0.1:${resetter.port} reset the connection during the TLS handshake.` });
  });
});

describe('UDP', () => {
  it('one chunk per datagram with its sender; sends to a Python receiver; pages keep the peers', async () => {
    const { engine, events } = makeEngine();
    const u = value(await engine.bindUdp({ host: '127.0.0.1', port: 0, broadcast: false }));
    expect(u).toMatchObject({ transport: 'udp', origin: 'bound', state: 'open', local: { address: '127.0.0.1' } });
    const sender = spawn(
      'python3',
      ['-c', `import socket, sys\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('127.0.0.1', 0))\nprint(s.getsockname()[1], flush=True)\nfor n in (1, 1000, 60000):\n    s.sendto(b'x' * n, ('127.0.0.1', ${u.local!.port}))\nd, a = s.recvfrom(65535)\nprint(repr(d), flush=True)`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    onCleanup(() => killChild(sender));
    let out = '';
    sender.stdout!.on('data', (d) => (out += d));
    await until(() => out.includes('\n'), 'sender port');
    const senderPort = Number(out.split('\n')[0]);
    await until(() => chunkEvents(events, u.id).length === 3, 'three datagrams');
    const got = chunkEvents(events, u.id);
    expect(got.map((c) => c.size)).toEqual([1, 1000, 60000]);
    expect(got.every((c) => c.peer?.address === '127.0.0.1' && c.peer.port === senderPort)).toBe(true);
    expect(value(await engine.sendUdp({ connectionId: u.id, host: '127.0.0.1', port: senderPort, data: new TextEncoder().encode('reply') }))).toEqual({ bytes: 5 });
    await until(() => out.includes("b'reply'"), 'reply at the sender');
    const page = value(engine.getChunks({ connectionId: u.id, fromSeq: 0, limit: 10 })).chunks;
    expect(page.map((c) => [c.direction, c.peer?.port])).toEqual([
      ['in', senderPort],
      ['in', senderPort],
      ['in', senderPort],
      ['out', senderPort],
    ]);
    expect(await engine.send({ connectionId: u.id, data: new Uint8Array([1]) })).toMatchObject({ ok: false, code: 'NEEDS_DESTINATION' });
    const tooBig = await engine.sendUdp({ connectionId: u.id, host: '127.0.0.1', port: senderPort, data: new Uint8Array(70_000) });
    expect(tooBig).toMatchObject({ ok: false, code: 'EMSGSIZE' });
    value(engine.closeConnection({ connectionId: u.id, mode: 'end' }));
    await until(() => conn(engine, u.id).state === 'closed', 'closed');
  });

  it('joins a multicast group on loopback and receives what is sent to it', async () => {
    const { engine, events } = makeEngine();
    const u = value(await engine.bindUdp({ host: '0.0.0.0', port: 0, broadcast: false }));
    const joined = value(engine.udpMembership({ connectionId: u.id, group: '239.255.0.7', iface: '127.0.0.1', join: true }));
    expect(joined.udp?.groups).toEqual([{ group: '239.255.0.7', iface: '127.0.0.1' }]);
    value(await engine.sendUdp({ connectionId: u.id, host: '239.255.0.7', port: u.local!.port, data: new TextEncoder().encode('to the group') }));
    await until(() => chunkEvents(events, u.id).some((c) => c.direction === 'in'), 'multicast datagram', 3000);
    value(engine.udpMembership({ connectionId: u.id, group: '239.255.0.7', iface: '127.0.0.1', join: false }));
    expect(conn(engine, u.id).udp?.groups).toEqual([]);
  });
});

describe('relay', () => {
  /** A Python server on 127.0.0.1:0; prints its port. */
  async function pythonServer(body: string): Promise<number> {
    const py = spawn('python3', ['-c', `import socket, sys, time\nsrv = socket.socket()\nsrv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\nsrv.bind(('127.0.0.1', 0))\nsrv.listen()\nprint(srv.getsockname()[1], flush=True)\n${body}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    onCleanup(() => killChild(py));
    return new Promise<number>((r) => py.stdout!.once('data', (d) => r(Number(String(d).trim()))));
  }
  const ECHO = `c, _ = srv.accept()\nwhile True:\n    d = c.recv(65536)\n    if not d: break\n    c.sendall(d)\nc.shutdown(socket.SHUT_WR)\ntime.sleep(1)`;

  it('a Python client and echo server talk through the relay; both directions are shown in order', async () => {
    const { engine } = makeEngine();
    const target = await pythonServer(ECHO);
    const relay = value(await engine.startRelay({ host: '127.0.0.1', port: 0, targetHost: '127.0.0.1', targetPort: target, timeoutMs: 3000 }));
    expect(relay.relay).toEqual({ targetHost: '127.0.0.1', targetPort: target });
    const r = await pythonClient(relay.port, `for m in (b'one', b'two'):\n    s.sendall(m)\n    got = b''\n    while len(got) < len(m): got += s.recv(100)\n    print(repr(got))\ns.shutdown(socket.SHUT_WR)\n${READ_ALL}`);
    expect(r.stdout.trim().split('\n')).toEqual(["b'one'", "b'two'", "b''"]);
    const pair = engine.snapshot().connections[0]!;
    expect(pair).toMatchObject({ origin: 'relay', bytesIn: 6, bytesOut: 6 });
    const chunks = value(engine.getChunks({ connectionId: pair.id, fromSeq: 0, limit: 10 })).chunks;
    expect(chunks.map((c) => `${c.direction}:${Buffer.from(c.data).toString()}`)).toEqual(['in:one', 'out:one', 'in:two', 'out:two']);
    await until(() => conn(engine, pair.id).state === 'closed', 'pair closed');
  });

  it('the ACK-and-close server: the client gets ACK! and end of file through the relay', async () => {
    const { engine } = makeEngine();
    const target = await pythonServer(`c, _ = srv.accept()\nc.recv(100)\nc.sendall(b'ACK!')\nc.close()\ntime.sleep(1)`);
    const relay = value(await engine.startRelay({ host: '127.0.0.1', port: 0, targetHost: '127.0.0.1', targetPort: target, timeoutMs: 3000 }));
    const r = await pythonClient(relay.port, `s.sendall(b'hello')\n${READ_ALL}`);
    expect(r.stdout.trim()).toBe("b'ACK!'");
  });

  it('a target that is down is explained on the pair, and the client is closed cleanly', async () => {
    const { engine } = makeEngine();
    const { srv, port: deadPort } = await server();
    await new Promise<void>((r) => srv.close(() => r()));
    const relay = value(await engine.startRelay({ host: '127.0.0.1', port: 0, targetHost: '127.0.0.1', targetPort: deadPort, timeoutMs: 3000 }));
    const r = await pythonClient(relay.port, `try:\n    print(repr(s.recv(100)))\nexcept ConnectionResetError:\n    print('reset')`);
    expect(r.stdout.trim()).toBe("b''");
    const pair = engine.snapshot().connections[0]!;
    await until(() => conn(engine, pair.id).state === 'closed', 'closed');
    expect(conn(engine, pair.id).error?.message).toContain('could not reach its target');
    expect(conn(engine, pair.id).relay?.upstream).toBe('failed');
  });

  it('a target that is down: the pair says why at once and is closed, even while its client stays; Inject is refused', async () => {
    const { engine } = makeEngine();
    const { srv, port: deadPort } = await server();
    await new Promise<void>((r) => srv.close(() => r()));
    const relay = value(await engine.startRelay({ host: '127.0.0.1', port: 0, targetHost: '127.0.0.1', targetPort: deadPort, timeoutMs: 3000 }));
    // This client never closes its side: the pair must close without it.
    const c = await client(relay.port);
    const rx = received(c);
    await until(() => engine.snapshot().connections[0]?.relay?.upstream === 'failed', 'failed');
    const id = engine.snapshot().connections[0]!.id;
    expect(conn(engine, id).error?.message).toMatch(/^The relay could not reach its target: Connection refused/);
    await rx.ended;
    await until(() => conn(engine, id).state === 'closed', 'closed while the client stays');
    expect(c.destroyed).toBe(false);
    expect(engine.relayInject({ connectionId: id, direction: 'c2s', data: Uint8Array.of(1) })).toMatchObject({ ok: false, code: 'CLOSED' });
  });

  it('after both sides close, the pair\'s record says so: target side closed, both FINs passed on', async () => {
    const { engine } = makeEngine();
    let peer!: net.Socket;
    const { port: target } = await server((s) => {
      peer = s;
      // The target finishes first, then closes once the client has finished too.
      s.end('bye');
      s.on('end', () => s.destroy());
    });
    const relay = value(await engine.startRelay({ host: '127.0.0.1', port: 0, targetHost: '127.0.0.1', targetPort: target, timeoutMs: 3000 }));
    const c = await client(relay.port);
    const rx = received(c);
    await rx.ended;
    expect(rx.data().toString()).toBe('bye');
    const id = engine.snapshot().connections[0]!.id;
    expect(conn(engine, id).relay?.upstream).toBe('open');
    c.end();
    await until(() => conn(engine, id).state === 'closed', 'closed');
    await until(() => conn(engine, id).relay?.upstream === 'closed', 'the target side shown closed');
    expect(conn(engine, id).relay).toMatchObject({ upstream: 'closed', c2s: { finForwarded: true }, s2c: { finForwarded: true } });
    expect(peer.destroyed).toBe(true);
    expect(engine.relayInject({ connectionId: id, direction: 's2c', data: Uint8Array.of(1) })).toMatchObject({ ok: false, code: 'CLOSED' });
  });

  it('half-close passes through in each direction', async () => {
    const { engine } = makeEngine();
    // The server reads to EOF, then answers: it sees the client's FIN only through the relay.
    const target = await pythonServer(`c, _ = srv.accept()\nbuf = b''\nwhile True:\n    d = c.recv(100)\n    if not d: break\n    buf += d\nc.sendall(b'got ' + buf)\nc.shutdown(socket.SHUT_WR)\ntime.sleep(1)`);
    const relay = value(await engine.startRelay({ host: '127.0.0.1', port: 0, targetHost: '127.0.0.1', targetPort: target, timeoutMs: 3000 }));
    const r = await pythonClient(relay.port, `s.sendall(b'abc')\ns.shutdown(socket.SHUT_WR)\n${READ_ALL}`);
    expect(r.stdout.trim()).toBe("b'got abc'");
    const pair = engine.snapshot().connections[0]!;
    await until(() => conn(engine, pair.id).relay?.s2c.finForwarded === true, 'server FIN forwarded');
    expect(conn(engine, pair.id).relay?.c2s.finForwarded).toBe(true);
  });

  it('pause holds bytes in order, resume releases them; injected bytes reach the right side', async () => {
    const { engine } = makeEngine();
    let peer!: net.Socket;
    const received: Buffer[] = [];
    const { port: target } = await server((s) => {
      peer = s;
      s.on('data', (d) => received.push(d));
    });
    const relay = value(await engine.startRelay({ host: '127.0.0.1', port: 0, targetHost: '127.0.0.1', targetPort: target, timeoutMs: 3000 }));
    const c = await client(relay.port);
    const clientGot: Buffer[] = [];
    c.on('data', (d) => clientGot.push(d));
    await until(() => engine.snapshot().connections[0]?.relay?.upstream === 'open' && peer !== undefined, 'upstream open');
    const id = engine.snapshot().connections[0]!.id;
    value(engine.relayControl({ connectionId: id, direction: 'c2s', paused: true }));
    c.write('one,');
    c.write('two,');
    await until(() => conn(engine, id).bytesIn === 8, 'recorded while paused');
    await new Promise((r) => setTimeout(r, 150));
    expect(Buffer.concat(received).toString()).toBe('');
    await until(() => conn(engine, id).relay?.c2s.queuedBytes === 8, 'queued shown');
    value(engine.relayInject({ connectionId: id, direction: 'c2s', data: new TextEncoder().encode('injected,') }));
    value(engine.relayControl({ connectionId: id, direction: 'c2s', paused: false }));
    await until(() => Buffer.concat(received).toString() === 'one,two,injected,', 'released in order');
    value(engine.relayInject({ connectionId: id, direction: 's2c', data: new TextEncoder().encode('to the client') }));
    await until(() => Buffer.concat(clientGot).toString() === 'to the client', 'injected toward the client');
    const chunks = value(engine.getChunks({ connectionId: id, fromSeq: 0, limit: 10 })).chunks;
    expect(chunks.filter((x) => x.auto).map((x) => x.direction)).toEqual(['in', 'out']);
  });

  it('1 GiB through the relay arrives byte for byte (sha256 at the server equals sha256 at the client)', async () => {
    const { engine } = makeEngine();
    const hash = createHash('sha256');
    let total = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const { port: target } = await server((s) => {
      s.on('data', (d) => {
        hash.update(d);
        total += d.length;
      });
      s.on('end', () => done());
    });
    const relay = value(await engine.startRelay({ host: '127.0.0.1', port: 0, targetHost: '127.0.0.1', targetPort: target, timeoutMs: 3000 }));
    const c = await client(relay.port);
    const block = Buffer.alloc(1 << 20);
    for (let i = 0; i < block.length; i++) block[i] = (i * 131 + 7) & 0xff;
    const sent = createHash('sha256');
    const size = 1 << 30;
    for (let off = 0; off < size; off += block.length) {
      block.writeUInt32LE(off >>> 0, 0);
      sent.update(block);
      if (!c.write(Buffer.from(block))) await new Promise((r) => c.once('drain', r));
    }
    c.end();
    await finished;
    expect(total).toBe(size);
    expect(hash.digest('hex')).toBe(sent.digest('hex'));
  }, 120_000);
});

describe('relay link simulation', () => {
  it('adds latency and limits bandwidth per direction', async () => {
    const { engine } = makeEngine();
    const received: { at: number; n: number }[] = [];
    const { port: target } = await server((s) => s.on('data', (d) => received.push({ at: Date.now(), n: d.length })));
    const relay = value(await engine.startRelay({ host: '127.0.0.1', port: 0, targetHost: '127.0.0.1', targetPort: target, timeoutMs: 3000 }));
    const c = await client(relay.port);
    await until(() => engine.snapshot().connections[0]?.relay?.upstream === 'open', 'upstream open');
    const id = engine.snapshot().connections[0]!.id;
    value(engine.relayControl({ connectionId: id, direction: 'c2s', latencyMs: 300 }));
    const sentAt = Date.now();
    c.write('late');
    await until(() => received.length > 0, 'delayed bytes', 3000);
    expect(received[0]!.at - sentAt).toBeGreaterThanOrEqual(280);
    value(engine.relayControl({ connectionId: id, direction: 'c2s', latencyMs: 0, kbps: 64 }));
    received.length = 0;
    const start = Date.now();
    for (let i = 0; i < 8; i++) c.write(Buffer.alloc(8 * 1024, i));
    await until(() => received.reduce((n, r) => n + r.n, 0) === 64 * 1024, '64 KiB through a 64 KiB/s link', 5000);
    // 64 KiB at 64 KiB/s takes about a second (the first piece goes at once).
    expect(Date.now() - start).toBeGreaterThanOrEqual(800);
  });
});
