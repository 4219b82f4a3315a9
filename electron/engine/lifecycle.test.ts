/**
 * How connections end, and that what ends is let go: a peer's FIN closes our side by default,
 * half-open listeners close idle connections, closed records are capped and can be removed,
 * and peers that reset at once are named honestly.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { client, conn, makeEngine, onCleanup, received, until, value } from './testing/helpers';

/** Runs a Python snippet with the listener's port as argv[1]; resolves with its stdout. */
function python(code: string, port: number, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const py = spawn('python3', ['-c', code, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    onCleanup(() => py.kill('SIGKILL'));
    let out = '';
    let err = '';
    py.stdout.on('data', (d: Buffer) => (out += d.toString()));
    py.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => py.kill('SIGKILL'), timeoutMs);
    py.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`python exited ${code}: ${err}`));
    });
  });
}

describe('when the peer finishes sending', () => {
  it('by default our side closes too, after what we were sending, and the client stops counting', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const s = await client(l.port);
    const rx = received(s);
    await until(() => engine.snapshot().listeners[0]!.clientCount === 1, 'one client');
    // Something still being sent when the FIN arrives goes out before our own FIN.
    const big = new Uint8Array(4 * 1024 * 1024).fill(7);
    const sending = engine.send({ connectionId: 'C1', data: big });
    s.end('bye');
    await rx.ended;
    expect((await sending).ok).toBe(true);
    expect(rx.data().length).toBe(big.length);
    await until(() => conn(engine, 'C1').state === 'closed', 'closed');
    expect(conn(engine, 'C1').closeReason).toBe('closed (peer closed first)');
    expect(engine.snapshot().listeners[0]).toMatchObject({ clientCount: 0, acceptedCount: 1 });
  });

  it('outgoing connections stay half-open: the user decides', async () => {
    const { engine } = makeEngine();
    const srv = net.createServer({ allowHalfOpen: true }, (peer) => peer.end('done'));
    onCleanup(() => new Promise((r) => srv.close(r)));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const c = value(await engine.connect({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port, timeoutMs: 2000 }));
    await until(() => conn(engine, c.id).state === 'half-closed', 'half-closed');
    await new Promise((r) => setTimeout(r, 200));
    expect(conn(engine, c.id)).toMatchObject({ state: 'half-closed', halfClosedBy: 'peer' });
    value(engine.closeConnection({ connectionId: c.id, mode: 'end' }));
    await until(() => conn(engine, c.id).state === 'closed', 'closed');
  });

  it('a half-open listener keeps the connection until it is idle for its limit; traffic restarts the wait', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0, halfOpen: { idleSeconds: 1 } }));
    expect(l.halfOpen).toEqual({ idleSeconds: 1 });
    const s = await client(l.port);
    const rx = received(s);
    s.end('done');
    await until(() => conn(engine, 'C1').state === 'half-closed', 'half-closed');
    const finAt = Date.now();
    expect(engine.snapshot().listeners[0]!.clientCount).toBe(0);
    await new Promise((r) => setTimeout(r, 700));
    value(await engine.send({ connectionId: 'C1', data: new TextEncoder().encode('still here') }));
    await rx.ended;
    const closedAfter = Date.now() - finAt;
    expect(rx.data().toString()).toBe('still here');
    expect(closedAfter).toBeGreaterThanOrEqual(1600);
    await until(() => conn(engine, 'C1').state === 'closed', 'closed');
    expect(conn(engine, 'C1').closeReason).toBe('closed after 1 s idle while half-open');
  });

  it('a peer that sends FIN and never reads what is left is dropped once nothing moves', async () => {
    const { engine } = makeEngine({ endLingerMs: 500 });
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    // The client finishes sending half a second after connecting and never reads; by then we
    // are sending it 16 MiB, far more than the kernel's buffers take.
    const peer = python(
      "import socket, sys, time\ns = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\ntime.sleep(0.5)\ns.shutdown(socket.SHUT_WR)\ntime.sleep(2)\nprint('done')",
      l.port,
    );
    await until(() => engine.snapshot().connections.length === 1, 'the client');
    void engine.send({ connectionId: 'C1', data: new Uint8Array(16 << 20) });
    await until(() => conn(engine, 'C1').state === 'closed', 'dropped', 10_000);
    expect(conn(engine, 'C1').closeReason).toMatch(/^Dropped: the peer finished sending but read nothing more/);
    expect(await peer).toBe('done\n');
  });

  it('while the peer still reads, the wait for our last bytes goes on', async () => {
    const { engine } = makeEngine({ endLingerMs: 2000 });
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    value(engine.setResponder({ target: { listenerId: l.id }, responder: { kind: 'echo' } }));
    // Sends 8 MiB, finishes, then reads slowly (about 5 MB/s): every read is well inside the linger time.
    const out = await python(
      "import socket, sys, time, threading\ns = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\ndef send():\n    s.sendall(b'y' * (8 << 20))\n    s.shutdown(socket.SHUT_WR)\nt = threading.Thread(target=send); t.start()\ngot = 0\nwhile True:\n    d = s.recv(256 * 1024)\n    if not d: break\n    got += len(d)\n    time.sleep(0.05)\nprint(got)",
      l.port,
    );
    expect(Number(out.trim())).toBe(8 << 20);
    await until(() => conn(engine, 'C1').state === 'closed', 'closed');
    expect(conn(engine, 'C1').closeReason).toBe('closed (peer closed first)');
  });
});

describe('clients and Send to all clients', () => {
  it('a client that sent FIN, or that we closed, is not a client any more and gets no broadcast', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0, halfOpen: { idleSeconds: 60 } }));
    const [a, b, c] = await Promise.all([client(l.port), client(l.port), client(l.port)]);
    const rxA = received(a!);
    const rxB = received(b!);
    const rxC = received(c!);
    await until(() => engine.snapshot().listeners[0]!.clientCount === 3, 'three clients');
    const ids = engine.snapshot().connections.map((x) => x.id);
    a!.end();
    await until(() => engine.snapshot().connections.filter((x) => x.state === 'half-closed').length === 1, 'one half-closed');
    const byPeer = engine.snapshot().connections.find((x) => x.state === 'half-closed')!.id;
    const other = ids.filter((id) => id !== byPeer);
    value(engine.closeConnection({ connectionId: other[0]!, mode: 'end' }));
    expect(engine.snapshot().listeners[0]!.clientCount).toBe(1);
    const sent = value(await engine.broadcast({ listenerId: l.id, data: new TextEncoder().encode('all') }));
    expect(sent.connections).toBe(1);
    await until(() => [rxA, rxB, rxC].some((r) => r.data().toString() === 'all'), 'the broadcast');
    expect([rxA, rxB, rxC].filter((r) => r.data().toString() === 'all')).toHaveLength(1);
  });
});

describe('closed records', () => {
  it('past the cap the oldest closed records go, and the totals stay exact', async () => {
    const { engine, events } = makeEngine({ maxClosedRecords: 20 });
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    await python(
      "import socket, sys\nfor i in range(50):\n    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n    s.sendall(b'x' * (i + 1))\n    s.shutdown(socket.SHUT_WR)\n    while s.recv(100): pass\n    s.close()",
      l.port,
    );
    await until(() => engine.snapshot().removed.connections === 30, '30 removed');
    const snap = engine.snapshot();
    expect(snap.connections).toHaveLength(20);
    const kept = snap.connections.reduce((n, c) => n + c.bytesIn, 0);
    expect(kept + snap.removed.bytesIn).toBe((50 * 51) / 2);
    // The newest are kept.
    expect(snap.connections.map((c) => c.id)).toEqual(Array.from({ length: 20 }, (_, i) => `C${31 + i}`));
    expect(snap.listeners[0]!.acceptedCount).toBe(50);
    // Each removed once, in the order they closed (which need not be the order they opened).
    // Events come in batches, so the last removal may still be on its way.
    const removedIds = () => events.flatMap((e) => (e.type === 'connections-removed' ? e.ids : []));
    await until(() => removedIds().length >= 30, 'removal events');
    const byNumber = (a: string, b: string) => Number(a.slice(1)) - Number(b.slice(1));
    expect(removedIds().sort(byNumber)).toEqual(Array.from({ length: 30 }, (_, i) => `C${i + 1}`));
    // Their captures are gone too.
    expect(engine.getChunks({ connectionId: 'C1', fromSeq: 0, limit: 10 })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('Remove closed: one connection (not an open one), one listener\'s, or all', async () => {
    const { engine } = makeEngine();
    const l1 = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const l2 = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    for (const port of [l1.port, l1.port, l2.port, l2.port]) (await client(port)).end();
    const open = await client(l1.port);
    await until(() => engine.snapshot().connections.filter((c) => c.state === 'closed').length === 4, 'four closed');
    const openId = engine.snapshot().connections.find((c) => c.state === 'open')!.id;
    expect(engine.removeClosed({ connectionId: openId })).toMatchObject({ ok: false, code: 'NOT_CLOSED' });
    const closedOfL1 = engine.snapshot().connections.filter((c) => c.state === 'closed' && c.listenerId === l1.id);
    expect(value(engine.removeClosed({ connectionId: closedOfL1[0]!.id })).removed).toBe(1);
    expect(value(engine.removeClosed({ listenerId: l2.id })).removed).toBe(2);
    const all = value(engine.removeClosed({}));
    expect(all).toEqual({ removed: 1, totals: { connections: 4, bytesIn: 0, bytesOut: 0 } });
    expect(engine.snapshot().connections.map((c) => c.id)).toEqual([openId]);
    open.destroy();
  });
});

describe('removed connections stay removed', () => {
  it('a program that exits after its connection was removed sends no update for it', async () => {
    const { engine, events } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    const stubborn = 'import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("up", flush=True)\ntime.sleep(60)';
    value(engine.setResponder({ target: { listenerId: l.id }, responder: { kind: 'program', command: 'python3', args: ['-c', stubborn], shell: false } }));
    const c = await client(l.port);
    // Once it greets, it ignores SIGTERM.
    await new Promise((r) => c.once('data', r));
    c.resetAndDestroy();
    await until(() => engine.snapshot().connections[0]?.state === 'closed', 'closed');
    value(engine.removeClosed({}));
    // From the removal on, as subscribers see it.
    await until(() => events.some((e) => e.type === 'connections-removed'), 'the removal event');
    const removedAt = events.findIndex((e) => e.type === 'connections-removed');
    // The program ignores SIGTERM: it goes with SIGKILL two seconds later, after the removal.
    await new Promise((r) => setTimeout(r, 2500));
    expect(events.slice(removedAt).filter((e) => e.type === 'connection-updated' || e.type === 'connection-closed')).toEqual([]);
    expect(engine.snapshot().connections).toEqual([]);
  });
});

describe('programs end with their connections', () => {
  it('Stop and close clients ends each client\'s program, and each record says so', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    value(engine.setResponder({ target: { listenerId: l.id }, responder: { kind: 'program', command: 'sleep', args: ['60'], shell: false } }));
    await Promise.all([client(l.port), client(l.port)]);
    await until(() => engine.snapshot().connections.filter((c) => c.program?.state === 'running').length === 2, 'two programs');
    const pids = engine.snapshot().connections.map((c) => c.program!.pid!);
    value(engine.stopListener({ listenerId: l.id, closeClients: true }));
    await until(() => engine.snapshot().connections.every((c) => c.program?.state === 'exited'), 'both programs ended');
    for (const c of engine.snapshot().connections) {
      expect(c).toMatchObject({ state: 'closed', closeReason: 'closed when its listener stopped', program: { state: 'exited', signal: 'SIGTERM' } });
    }
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('peers that reset at once', () => {
  it('are shown with their address, or as reset before they were accepted, never as ?:0', async () => {
    const { engine } = makeEngine();
    const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
    await python(
      "import socket, struct, sys\nfor _ in range(300):\n    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\n    s.close()",
      l.port,
    );
    await until(() => engine.snapshot().connections.length === 300 && engine.snapshot().connections.every((c) => c.state === 'closed'), 'all 300 closed', 20_000);
    for (const c of engine.snapshot().connections) {
      expect(c.remote.address === '127.0.0.1' || c.remote.address === '(reset before it was accepted)').toBe(true);
      expect(c.remote.address).not.toBe('?');
    }
  });
});
