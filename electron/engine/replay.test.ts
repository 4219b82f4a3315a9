/**
 * Replays through a real Engine against real peers (python3's socket module) on loopback: a
 * conversation is captured by talking through the engine, then replayed as client to a fresh
 * server, or served as server to new clients.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import net from 'node:net';
import readline from 'node:readline';
import { describe, expect, it } from 'vitest';
import type { CommandInput } from '../../shared/contract';
import type { SocketEvent, TaskInfo } from '../../shared/model';
import type { Result } from '../../shared/result';
import { dispatchCommand } from './dispatch';
import type { Engine } from './engine';
import { startEngineProcess, type EngineProcess } from './testing/engine-process';
import { conn, makeEngine, onCleanup, until, value } from './testing/helpers';

const MiB = 1024 * 1024;
const enc = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Peers

interface Python {
  child: ChildProcess;
  /** The next line it prints. */
  line(): Promise<string>;
  /** Writes a line to its stdin. */
  tell(text: string): void;
  exited: Promise<number | null>;
}

function python(code: string): Python {
  const child = spawn('python3', ['-u', '-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  onCleanup(
    () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGKILL');
      }),
  );
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const queued: string[] = [];
  const waiting: Array<(l: string) => void> = [];
  readline.createInterface({ input: child.stdout! }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queued.push(l);
  });
  return {
    child,
    line: () =>
      queued.length
        ? Promise.resolve(queued.shift()!)
        : new Promise<string>((resolve, reject) => {
            waiting.push(resolve);
            void exited.then((c) => reject(new Error(`python3 exited (${c}) before printing a line`)));
          }),
    tell: (text) => child.stdin!.write(`${text}\n`),
    exited,
  };
}

/** A Python server on 127.0.0.1:0 serving each client in a thread with serve(c); resolves with its port. */
async function pythonServer(serve: string): Promise<{ port: number; py: Python }> {
  const py = python(
    `import socket, sys, threading, hashlib, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', 0))
srv.listen(16)
print(srv.getsockname()[1])
${serve}
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`,
  );
  return { port: Number(await py.line()), py };
}

/** Answers each line "a+b" with its value and a newline; closes after the client's FIN. */
const CALC = `
def serve(c):
    buf = b''
    while True:
        d = c.recv(65536)
        if not d: break
        buf += d
        while b'\\n' in buf:
            line, buf = buf.split(b'\\n', 1)
            c.sendall(str(eval(line)).encode() + b'\\n')
    c.close()
`;

/** Sends back what it reads; closes after the client's FIN. */
const ECHO = `
def serve(c):
    while True:
        d = c.recv(65536)
        if not d: break
        c.sendall(d)
    c.close()
`;

/** A Python client of 127.0.0.1:port: resolves with what it printed (one line per print). */
async function pythonClient(port: number, body: string): Promise<string[]> {
  const py = python(`import socket, sys, time
s = socket.create_connection(('127.0.0.1', ${port}))
s.settimeout(10)
def line():
    got = b''
    while not got.endswith(b'\\n'):
        d = s.recv(1)
        if not d: break
        got += d
    return got
def rest():
    got = b''
    while True:
        d = s.recv(65536)
        if not d: return got
        got += d
${body}
print('end')
`);
  const lines: string[] = [];
  for (;;) {
    const l = await py.line();
    if (l === 'end') break;
    lines.push(l);
  }
  await py.exited;
  return lines;
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

// ---------------------------------------------------------------------------------------------
// Engine helpers

function startReplay(engine: Engine, input: CommandInput<'startReplay'>): Promise<Result<TaskInfo>> {
  return dispatchCommand(engine, 'startReplay', input) as Promise<Result<TaskInfo>>;
}

/** The last record of a task its events carried. */
function lastTask(events: SocketEvent[], id: string): TaskInfo | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'task-updated' && e.task.id === id) return e.task;
  }
  return undefined;
}

async function taskEnds(events: SocketEvent[], id: string, ms = 10_000): Promise<TaskInfo> {
  await until(() => ['done', 'failed', 'stopped'].includes(lastTask(events, id)?.state ?? 'running'), `task ${id} to end`, ms);
  return lastTask(events, id)!;
}

/** All the bytes of one direction of a connection, from its kept chunks. */
function bytesOf(engine: Engine, connectionId: string, direction: 'in' | 'out'): Buffer {
  const page = value(engine.getChunks({ connectionId, fromSeq: 0, limit: 100_000 }));
  return Buffer.concat(page.chunks.filter((c) => c.direction === direction).map((c) => Buffer.from(value(engine.getChunkData({ connectionId, seq: c.seq })).data)));
}

function directions(engine: Engine, connectionId: string): string {
  return value(engine.getChunks({ connectionId, fromSeq: 0, limit: 100_000 }))
    .chunks.map((c) => c.direction)
    .join(',');
}

const REQUESTS = ['1+2\n', '3*4\n', '10-7\n', '2**10\n', '6*7\n'];
const REPLIES = '3\n12\n3\n1024\n42\n';

/** Talks to a calculator through the engine, one request at a time, then closes (FIN). */
async function captureCalculator(engine: Engine, port: number): Promise<string> {
  const c = value(await engine.connect({ host: '127.0.0.1', port, timeoutMs: 3000 }));
  let expected = 0;
  const answers = REPLIES.split('\n').filter(Boolean);
  for (let i = 0; i < REQUESTS.length; i++) {
    value(await engine.send({ connectionId: c.id, data: enc.encode(REQUESTS[i]!) }));
    expected += answers[i]!.length + 1;
    await until(() => conn(engine, c.id).bytesIn === expected, `reply ${i + 1}`);
  }
  value(engine.closeConnection({ connectionId: c.id, mode: 'end' }));
  await until(() => conn(engine, c.id).state === 'closed', 'the calculator to close');
  return c.id;
}

// ---------------------------------------------------------------------------------------------

describe('replay as client', () => {
  it('replays a calculator conversation, waiting for each reply, to a fresh calculator', async () => {
    const { engine, events } = makeEngine();
    const first = await pythonServer(CALC);
    const source = await captureCalculator(engine, first.port);
    expect(bytesOf(engine, source, 'in').toString()).toBe(REPLIES);

    const fresh = await pythonServer(CALC);
    const task = value(await startReplay(engine, { side: 'client', sourceId: source, host: '127.0.0.1', port: fresh.port, timing: 'fast', waitForReplies: true }));
    expect(task).toMatchObject({ kind: 'replay', state: 'running', replay: { sourceId: source, side: 'client', chunksTotal: 5, bytesTotal: REQUESTS.join('').length } });
    const replayId = (task.target as { connectionId: string }).connectionId;
    expect(task.replay!.connectionId).toBe(replayId);
    const done = await taskEnds(events, task.id);
    expect(done).toMatchObject({ state: 'done', replay: { chunksSent: 5, bytesSent: REQUESTS.join('').length } });
    expect(done.replay!.status).toMatch(/closed \(FIN\)/);
    await until(() => conn(engine, replayId).state === 'closed', 'the replay connection to close');

    // A normal outgoing connection, captured like any other: the same replies, and each request
    // went only after the reply before it (the same alternation as the original).
    expect(conn(engine, replayId)).toMatchObject({ origin: 'outgoing', closeReason: expect.stringMatching(/closed/) });
    expect(bytesOf(engine, replayId, 'in').toString()).toBe(REPLIES);
    expect(bytesOf(engine, replayId, 'out').toString()).toBe(REQUESTS.join(''));
    expect(directions(engine, replayId)).toBe(directions(engine, source));
    expect(engine.snapshot().tasks.find((t) => t.id === task.id)).toMatchObject({ state: 'done', kind: 'replay' });
  });

  it('replays to an echo server fast, and scaled by speed', async () => {
    const { engine, events } = makeEngine();
    const echo = await pythonServer(ECHO);
    const c = value(await engine.connect({ host: '127.0.0.1', port: echo.port, timeoutMs: 3000 }));
    const words = ['alpha ', 'beta ', 'gamma ', 'delta'];
    for (const [i, w] of words.entries()) {
      if (i > 0) await new Promise((r) => setTimeout(r, 300));
      value(await engine.send({ connectionId: c.id, data: enc.encode(w) }));
    }
    await until(() => conn(engine, c.id).bytesIn === words.join('').length, 'echoes');
    value(engine.closeConnection({ connectionId: c.id, mode: 'end' }));
    await until(() => conn(engine, c.id).state === 'closed', 'source closed');

    const outTimes = (id: string) =>
      value(engine.getChunks({ connectionId: id, fromSeq: 0, limit: 100 }))
        .chunks.filter((x) => x.direction === 'out')
        .map((x) => x.time);
    const captured = outTimes(c.id);
    const span = captured.at(-1)! - captured[0]!;
    expect(span).toBeGreaterThanOrEqual(850);

    for (const [timing, speed] of [
      ['fast', 1],
      ['scaled', 4],
    ] as const) {
      const task = value(await startReplay(engine, { side: 'client', sourceId: c.id, host: '127.0.0.1', port: echo.port, timing, speed }));
      const replayId = (task.target as { connectionId: string }).connectionId;
      expect(await taskEnds(events, task.id)).toMatchObject({ state: 'done', replay: { chunksSent: 4, chunksTotal: 4 } });
      await until(() => conn(engine, replayId).state === 'closed', 'echo to close after the FIN');
      expect(bytesOf(engine, replayId, 'in').toString()).toBe(words.join(''));
      const times = outTimes(replayId);
      const took = times.at(-1)! - times[0]!;
      if (timing === 'fast') expect(took).toBeLessThan(150);
      else {
        expect(took).toBeGreaterThanOrEqual(span / 4 - 20);
        expect(took).toBeLessThan(span / 2);
      }
    }
  });

  it('original timing waits the captured gaps, and Stop takes effect at once, leaving the connection open', async () => {
    const { engine, events } = makeEngine();
    const echo = await pythonServer(ECHO);
    const c = value(await engine.connect({ host: '127.0.0.1', port: echo.port, timeoutMs: 3000 }));
    value(await engine.send({ connectionId: c.id, data: enc.encode('one') }));
    await new Promise((r) => setTimeout(r, 1500));
    value(await engine.send({ connectionId: c.id, data: enc.encode('two') }));
    await until(() => conn(engine, c.id).bytesIn === 6, 'echoes');

    const task = value(await startReplay(engine, { side: 'client', sourceId: c.id, host: '127.0.0.1', port: echo.port, timing: 'original' }));
    const replayId = (task.target as { connectionId: string }).connectionId;
    await until(() => /waiting 1\.\d s \(captured gap\)/.test(lastTask(events, task.id)?.replay?.status ?? ''), 'the wait for the captured gap');
    const stopped = value(engine.stopTask({ taskId: task.id }));
    expect(stopped).toMatchObject({ state: 'stopped', replay: { chunksSent: 1 } });
    await until(() => /^stopped/.test(lastTask(events, task.id)?.replay?.status ?? ''), 'final words');
    await new Promise((r) => setTimeout(r, 1800));
    expect(conn(engine, replayId)).toMatchObject({ state: 'open', bytesOut: 3 });
    expect(lastTask(events, task.id)).toMatchObject({ state: 'stopped', replay: { chunksSent: 1 } });
    // The connection is the user's now: it still talks.
    value(await engine.send({ connectionId: replayId, data: enc.encode('!') }));
    await until(() => conn(engine, replayId).bytesIn === 4, 'echo of a later send');
  });

  it('says so when nothing listens at the target', async () => {
    const { engine } = makeEngine();
    const calc = await pythonServer(CALC);
    const source = await captureCalculator(engine, calc.port);
    const port = await closedPort();
    const r = await startReplay(engine, { side: 'client', sourceId: source, host: '127.0.0.1', port });
    expect(r).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
    if (!r.ok) expect(r.message).toMatch(/nothing is listening/);
    expect(engine.snapshot().tasks).toEqual([]);
  });

  it('explains an unknown source, and a side with nothing to replay', async () => {
    const { engine } = makeEngine();
    expect(await startReplay(engine, { side: 'client', sourceId: 'C99', host: '127.0.0.1', port: 1 })).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
      message: 'No connection has id C99.',
    });
    // A server that never said anything: nothing to serve as server.
    const sink = await pythonServer(`
def serve(c):
    while c.recv(65536): pass
    c.close()
`);
    const c = value(await engine.connect({ host: '127.0.0.1', port: sink.port, timeoutMs: 3000 }));
    value(await engine.send({ connectionId: c.id, data: enc.encode('hello') }));
    const r = await startReplay(engine, { side: 'server', sourceId: c.id, host: '127.0.0.1', port: 0 });
    expect(r).toMatchObject({ ok: false, code: 'NOTHING_TO_REPLAY' });
    if (!r.ok) expect(r.message).toMatch(/server of connection .* sent nothing/);
    expect(engine.snapshot().listeners).toEqual([]);
  });

  it('fails with the reason when the server resets mid-replay', async () => {
    const { engine, events } = makeEngine();
    const echo = await pythonServer(ECHO);
    const c = value(await engine.connect({ host: '127.0.0.1', port: echo.port, timeoutMs: 3000 }));
    for (const w of ['a', 'b', 'c']) {
      value(await engine.send({ connectionId: c.id, data: enc.encode(w) }));
      await until(() => conn(engine, c.id).bytesIn === conn(engine, c.id).bytesOut, 'echo');
    }
    // Reads the first request, then resets (SO_LINGER 0).
    const rude = await pythonServer(`
import struct
def serve(c):
    c.recv(100)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    c.close()
`);
    const task = value(await startReplay(engine, { side: 'client', sourceId: c.id, host: '127.0.0.1', port: rude.port, waitForReplies: true, replyTimeoutMs: 5000 }));
    const ended = await taskEnds(events, task.id);
    expect(ended.state).toBe('failed');
    expect(ended.error).toMatch(/after 1 of 3 chunks/);
    expect(ended.error).toMatch(/reset|closed/i);

    // One that answers the first request and then finishes (FIN) ends it too, and says so.
    const brief = await pythonServer(`
def serve(c):
    c.sendall(c.recv(100))
    c.shutdown(socket.SHUT_WR)
    while c.recv(100): pass
    c.close()
`);
    const second = value(await startReplay(engine, { side: 'client', sourceId: c.id, host: '127.0.0.1', port: brief.port, waitForReplies: true, replyTimeoutMs: 5000 }));
    expect(await taskEnds(events, second.id)).toMatchObject({
      state: 'failed',
      error: 'The server closed its side of the connection (FIN) after 1 of 3 chunks.',
    });
    const replayId = (second.target as { connectionId: string }).connectionId;
    // Left as it is: half-closed by the server, ours still open for the user.
    expect(conn(engine, replayId)).toMatchObject({ state: 'half-closed', halfClosedBy: 'peer', bytesOut: 1, bytesIn: 1 });
  });
});

describe('how a client replay ends', () => {
  /** An echo conversation of three words, the last two after a long pause. */
  async function slowSource(engine: Engine, port: number): Promise<string> {
    const c = value(await engine.connect({ host: '127.0.0.1', port, timeoutMs: 3000 }));
    value(await engine.send({ connectionId: c.id, data: enc.encode('one') }));
    await new Promise((r) => setTimeout(r, 1200));
    value(await engine.send({ connectionId: c.id, data: enc.encode('two') }));
    value(await engine.send({ connectionId: c.id, data: enc.encode('six') }));
    await until(() => conn(engine, c.id).bytesIn === 9, 'echoes');
    return c.id;
  }

  it('the user closing the replay connection ends it as failed, saying why', async () => {
    const { engine, events } = makeEngine();
    const echo = await pythonServer(ECHO);
    const source = await slowSource(engine, echo.port);
    const task = value(await startReplay(engine, { side: 'client', sourceId: source, host: '127.0.0.1', port: echo.port }));
    const replayId = (task.target as { connectionId: string }).connectionId;
    await until(() => conn(engine, replayId).bytesOut === 3, 'the first chunk');
    value(engine.closeConnection({ connectionId: replayId, mode: 'end' }));
    expect(await taskEnds(events, task.id)).toMatchObject({
      state: 'failed',
      error: 'The sending side of the connection was closed (FIN) after 1 of 3 chunks.',
    });
  });

  it('shutdown in the middle of a wait ends the replay and leaves nothing running', async () => {
    const { engine } = makeEngine();
    const echo = await pythonServer(ECHO);
    const source = await slowSource(engine, echo.port);
    const task = value(await startReplay(engine, { side: 'client', sourceId: source, host: '127.0.0.1', port: echo.port }));
    await until(() => /waiting/.test(engine.snapshot().tasks.find((t) => t.id === task.id)?.replay?.status ?? ''), 'the wait');
    const started = Date.now();
    await engine.shutdown();
    expect(Date.now() - started).toBeLessThan(1000);
    await new Promise((r) => setImmediate(r));
    expect(engine.snapshot().tasks.find((t) => t.id === task.id)!.state).toBe('stopped');
    expect(await startReplay(engine, { side: 'client', sourceId: source, host: '127.0.0.1', port: echo.port })).toMatchObject({ ok: false, code: 'SHUT_DOWN' });
  });

  it('waits while the window is behind on events, and goes on once it catches up', async () => {
    const { engine, events, batches, sub } = makeEngine({ batcher: { highWatermark: 8 * 1024, lowWatermark: 2 * 1024 } }, false);
    const ackAll = () => batches.length && sub.ack(batches.at(-1)!.id);
    const echo = await pythonServer(ECHO);
    const c = value(await engine.connect({ host: '127.0.0.1', port: echo.port, timeoutMs: 3000 }));
    // A few milliseconds apart, so the replay (original timing) outlasts a few batches.
    for (let i = 0; i < 40; i++) {
      value(await engine.send({ connectionId: c.id, data: new Uint8Array(4096).fill(65 + (i % 26)) }));
      await new Promise((r) => setTimeout(r, 5));
      ackAll();
    }
    await until(() => (ackAll(), conn(engine, c.id).bytesIn === 40 * 4096), 'echoes');
    ackAll();
    const task = value(await startReplay(engine, { side: 'client', sourceId: c.id, host: '127.0.0.1', port: echo.port, timing: 'original' }));
    // Nothing acknowledged: each chunk is an event the window has not taken.
    await until(() => /waiting for the window to catch up/.test(engine.snapshot().tasks.find((t) => t.id === task.id)!.replay!.status ?? ''), 'the pause');
    const paused = engine.snapshot().tasks.find((t) => t.id === task.id)!;
    expect(paused.state).toBe('running');
    expect(paused.replay!.chunksSent).toBeLessThan(40);
    await new Promise((r) => setTimeout(r, 200));
    expect(engine.snapshot().tasks.find((t) => t.id === task.id)!.replay!.chunksSent).toBe(paused.replay!.chunksSent);
    const acking = setInterval(ackAll, 10);
    onCleanup(() => clearInterval(acking));
    expect(await taskEnds(events, task.id)).toMatchObject({ state: 'done', replay: { chunksSent: 40 } });
  });
});

describe('replay as server', () => {
  it('serves the captured calculator replies to each new client, in order', async () => {
    const { engine, events } = makeEngine();
    const calc = await pythonServer(CALC);
    const source = await captureCalculator(engine, calc.port);
    const task = value(await startReplay(engine, { side: 'server', sourceId: source, host: '127.0.0.1', port: 0 }));
    const listenerId = (task.target as { listenerId: string }).listenerId;
    const listener = engine.snapshot().listeners.find((l) => l.id === listenerId)!;
    expect(listener.port).toBeGreaterThan(0);
    expect(task.replay).toMatchObject({ side: 'server', listenerId, where: `127.0.0.1:${listener.port}`, chunksTotal: 5, clients: 0 });

    const body = `for q in ${JSON.stringify(REQUESTS.map((r) => r.trim()))}:
    s.sendall(q.encode() + b'\\n')
    print(line().decode().strip())
s.shutdown(socket.SHUT_WR)
print(repr(rest()))`;
    const expected = [...REPLIES.trim().split('\n'), "b''"];
    expect(await pythonClient(listener.port, body)).toEqual(expected);
    expect(await pythonClient(listener.port, body)).toEqual(expected);
    await until(() => lastTask(events, task.id)?.replay?.clients === 2 && /client 2: done/.test(lastTask(events, task.id)?.replay?.status ?? ''), 'two clients served');
    expect(lastTask(events, task.id)).toMatchObject({ state: 'running', replay: { chunksSent: 5 } });
    // Each client is an accepted connection of the listener, captured like any other.
    const clients = engine.snapshot().connections.filter((c) => c.listenerId === listenerId);
    expect(clients).toHaveLength(2);
    for (const c of clients) {
      await until(() => conn(engine, c.id).state === 'closed', 'client record closed');
      expect(bytesOf(engine, c.id, 'out').toString()).toBe(REPLIES);
      expect(directions(engine, c.id)).toBe(directions(engine, source).replace(/in|out/g, (d) => (d === 'in' ? 'out' : 'in')));
    }

    value(engine.stopTask({ taskId: task.id }));
    await until(() => engine.snapshot().listeners.length === 0, 'the listener to stop');
    const late = python(`import socket
try:
    socket.create_connection(('127.0.0.1', ${listener.port}))
    print('connected')
except ConnectionRefusedError:
    print('refused')`);
    expect(await late.line()).toBe('refused');
  });

  it('a client that half-closes after its requests still gets every reply', async () => {
    const { engine } = makeEngine();
    const calc = await pythonServer(CALC);
    const source = await captureCalculator(engine, calc.port);
    const task = value(await startReplay(engine, { side: 'server', sourceId: source, host: '127.0.0.1', port: 0, replyTimeoutMs: 200 }));
    const port = engine.snapshot().listeners.find((l) => l.id === (task.target as { listenerId: string }).listenerId)!.port;
    expect(await pythonClient(port, `s.sendall(${JSON.stringify(REQUESTS.join(''))}.encode())\ns.shutdown(socket.SHUT_WR)\nprint(repr(rest()))`)).toEqual([
      `b${JSON.stringify(REPLIES).replace(/"/g, "'")}`,
    ]);
  });

  it('Stop closes the listener and its clients at once, mid-conversation', async () => {
    const { engine, events } = makeEngine();
    const calc = await pythonServer(CALC);
    const source = await captureCalculator(engine, calc.port);
    const task = value(await startReplay(engine, { side: 'server', sourceId: source, host: '127.0.0.1', port: 0, replyTimeoutMs: 60_000 }));
    const listenerId = (task.target as { listenerId: string }).listenerId;
    const port = engine.snapshot().listeners.find((l) => l.id === listenerId)!.port;
    const client = python(`import socket
s = socket.create_connection(('127.0.0.1', ${port}))
s.sendall(b'1+2\\n')
print(s.recv(100))
rest = s.recv(100)
print('eof' if rest == b'' else repr(rest))
`);
    expect(await client.line()).toBe("b'3\\n'");
    await until(() => /client 1: waiting for the client/.test(lastTask(events, task.id)?.replay?.status ?? ''), 'the wait for the next request');
    const stopped = value(engine.stopTask({ taskId: task.id }));
    expect(stopped.state).toBe('stopped');
    expect(engine.snapshot().listeners).toEqual([]);
    expect(await client.line()).toBe('eof');
    const record = engine.snapshot().connections.find((c) => c.listenerId === listenerId)!;
    await until(() => conn(engine, record.id).state === 'closed', 'the client record to close');
    expect(conn(engine, record.id).closeReason).toBe('closed when its listener stopped');
    await until(() => lastTask(events, task.id)?.state === 'stopped', 'the stopped task event');
    expect(lastTask(events, task.id)).toMatchObject({ state: 'stopped', replay: { chunksSent: 1, clients: 1, status: 'stopped: 1 client served' } });
  });

  it('a client that resets is one client gone; the next is served, and stopping the listener ends the task', async () => {
    const { engine, events } = makeEngine();
    const calc = await pythonServer(CALC);
    const source = await captureCalculator(engine, calc.port);
    const task = value(await startReplay(engine, { side: 'server', sourceId: source, host: '127.0.0.1', port: 0, replyTimeoutMs: 60_000 }));
    const listenerId = (task.target as { listenerId: string }).listenerId;
    const port = engine.snapshot().listeners.find((l) => l.id === listenerId)!.port;
    const rude = python(`import socket, struct
s = socket.create_connection(('127.0.0.1', ${port}))
s.sendall(b'1+2\\n')
print(s.recv(100))
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
s.close()
print('reset')`);
    expect(await rude.line()).toBe("b'3\\n'");
    expect(await rude.line()).toBe('reset');
    await until(() => /client 1: the client's connection closed: sent 1 of 5 chunks/.test(lastTask(events, task.id)?.replay?.status ?? ''), 'the first client gone');
    expect(lastTask(events, task.id)!.state).toBe('running');
    expect(await pythonClient(port, `s.sendall(b'1+2\\n')\nprint(line().decode().strip())`)).toEqual(['3']);
    await until(() => lastTask(events, task.id)?.replay?.clients === 2, 'the second client counted');
    await until(() => engine.snapshot().connections.filter((c) => c.listenerId === listenerId && c.state !== 'closed').length === 0, 'both clients closed');

    value(engine.stopListener({ listenerId, closeClients: true }));
    await until(() => lastTask(events, task.id)?.state === 'stopped', 'the task to end with its listener');
    expect(lastTask(events, task.id)!.replay!.status).toBe('2 clients served; the listener was stopped');
  });

  it('explains a port already in use', async () => {
    const { engine } = makeEngine();
    const calc = await pythonServer(CALC);
    const source = await captureCalculator(engine, calc.port);
    const r = await startReplay(engine, { side: 'server', sourceId: source, host: '127.0.0.1', port: calc.port });
    expect(r).toMatchObject({ ok: false, code: 'EADDRINUSE' });
    if (!r.ok) expect(r.message).toContain(`Port ${calc.port} is already in use`);
    expect(engine.snapshot().tasks).toEqual([]);
  });
});

describe('replay and the capture budget', () => {
  /** Reads until end of file; prints how many bytes and the index each 4 KiB block starts with. */
  const SINK = `
def serve(c):
    buf = b''
    while True:
        d = c.recv(65536)
        if not d: break
        buf += d
    print(len(buf), ' '.join(buf[i:i + 8].decode() for i in range(0, len(buf), 4096)), flush=True)
    c.close()
`;
  const block = (i: number) => {
    const b = Buffer.alloc(4096, 0x2e);
    b.write(String(i).padStart(8, '0'));
    return b;
  };

  it('skips chunks the budget dropped and says so, sending only kept bytes in order', async () => {
    const { engine, events } = makeEngine({ captureBudgetBytes: 160 * 1024 });
    const echo = await pythonServer(ECHO);
    const c = value(await engine.connect({ host: '127.0.0.1', port: echo.port, timeoutMs: 3000 }));
    for (let i = 0; i < 64; i++) {
      value(await engine.send({ connectionId: c.id, data: block(i) }));
      await until(() => conn(engine, c.id).bytesIn === (i + 1) * 4096, 'echo');
    }
    value(engine.closeConnection({ connectionId: c.id, mode: 'end' }));
    await until(() => conn(engine, c.id).state === 'closed', 'source closed');
    expect(conn(engine, c.id).droppedChunks).toBeGreaterThan(64);

    const sink = await pythonServer(SINK);
    const task = value(await startReplay(engine, { side: 'client', sourceId: c.id, host: '127.0.0.1', port: sink.port, timing: 'fast' }));
    expect(task.replay!.chunksTotal).toBeLessThan(64);
    expect(task.replay!.status).toMatch(/earlier chunks \(.*\) of the client were dropped by the capture budget/);
    const done = await taskEnds(events, task.id);
    expect(done.state).toBe('done');
    expect(done.replay!.status).toMatch(/dropped by the capture budget/);
    const [length, ...indexes] = (await sink.py.line()).split(' ');
    expect(Number(length)).toBe(done.replay!.bytesSent);
    const got = indexes.map(Number);
    // Only whole captured chunks, the oldest gone, the rest in order: nothing made up.
    expect(got.length).toBe(done.replay!.chunksSent);
    expect(got[0]).toBeGreaterThan(0);
    expect(got.at(-1)).toBe(63);
    for (let i = 1; i < got.length; i++) expect(got[i]).toBeGreaterThan(got[i - 1]!);
  });

  it('skips chunks the budget drops while the replay runs, and counts them', async () => {
    const { engine, events } = makeEngine({ captureBudgetBytes: 128 * 1024 });
    const echo = await pythonServer(ECHO);
    const c = value(await engine.connect({ host: '127.0.0.1', port: echo.port, timeoutMs: 3000 }));
    for (const [i, w] of ['first ', 'second ', 'third ', 'fourth'].entries()) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      value(await engine.send({ connectionId: c.id, data: enc.encode(w) }));
    }
    // A target that talks a lot at once: what the replay's connection records pushes the
    // source's chunks out of the budget while the replay waits for the captured gaps.
    const talker = await pythonServer(`
def serve(c):
    c.sendall(b'y' * (512 * 1024))
    buf = b''
    while True:
        d = c.recv(65536)
        if not d: break
        buf += d
    print(repr(buf), flush=True)
`);
    const task = value(await startReplay(engine, { side: 'client', sourceId: c.id, host: '127.0.0.1', port: talker.port, timing: 'original' }));
    expect(task.replay!.chunksTotal).toBe(4);
    const done = await taskEnds(events, task.id);
    expect(done).toMatchObject({ state: 'done', replay: { chunksSent: 1, chunksTotal: 4 } });
    expect(done.replay!.status).toMatch(/skipped 3 chunks \(19 B\) the capture budget dropped meanwhile/);
    value(engine.closeConnection({ connectionId: (task.target as { connectionId: string }).connectionId, mode: 'end' }));
    expect(await talker.py.line()).toBe("b'first '");
  });

  it('refuses a replay when all of its side was dropped', async () => {
    const { engine } = makeEngine({ captureBudgetBytes: 256 * 1024 });
    const talker = await pythonServer(`
def serve(c):
    c.recv(100)
    c.sendall(b'x' * (1024 * 1024))
    while c.recv(65536): pass
    c.close()
`);
    const c = value(await engine.connect({ host: '127.0.0.1', port: talker.port, timeoutMs: 3000 }));
    value(await engine.send({ connectionId: c.id, data: enc.encode('hello') }));
    await until(() => conn(engine, c.id).bytesIn === 1024 * 1024, 'the flood');
    const r = await startReplay(engine, { side: 'client', sourceId: c.id, host: '127.0.0.1', port: talker.port });
    expect(r).toMatchObject({ ok: false, code: 'EVICTED' });
    if (!r.ok) expect(r.message).toMatch(/dropped from the capture/);
  });
});

const linux = process.platform === 'linux' && existsSync('/proc/self/status');

describe.runIf(linux)('replay backpressure', () => {
  it('replaying 32 MiB to a server that does not read keeps the engine small, then delivers every byte', { timeout: 60_000 }, async () => {
    const engine: EngineProcess = await startEngineProcess({ CAPTURE_BUDGET: String(256 * MiB) });
    onCleanup(() => engine.stop());
    const fast = await pythonServer(`
def serve(c):
    while c.recv(1 << 20): pass
    c.close()
`);
    const c = value(await engine.run('connect', { host: '127.0.0.1', port: fast.port }));
    const expected = createHash('sha256');
    for (let i = 0; i < 32; i++) {
      const piece = Buffer.alloc(MiB, i);
      piece.write(`piece ${i}`);
      expected.update(piece);
      value(await engine.run('send', { connectionId: c.id, data: new Uint8Array(piece) }));
    }
    value(await engine.run('closeConnection', { connectionId: c.id, mode: 'end' }));

    // Takes nothing until told, then reads to the end and prints the size and digest.
    const slow = await pythonServer(`
go = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), go.set()), daemon=True).start()
def serve(c):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    go.wait()
    h = hashlib.sha256()
    n = 0
    while True:
        d = c.recv(1 << 20)
        if not d: break
        n += len(d)
        h.update(d)
    print(n, h.hexdigest(), flush=True)
    c.close()
`);
    const before = engine.memory().rss;
    const task = value(await engine.run('startReplay', { side: 'client', sourceId: c.id, host: '127.0.0.1', port: slow.port, timing: 'fast' }));
    const progress = async () => value(await engine.run('getSnapshot', {})).tasks.find((t) => t.id === task.id)!;
    // Wait until sending stalls: the kernel's buffers are full and the replay waits for the reader.
    let last = -1;
    let stalled = 0;
    let maxRss = before;
    while (stalled < 10) {
      await new Promise((r) => setTimeout(r, 100));
      maxRss = Math.max(maxRss, engine.memory().rss);
      const sent = (await progress()).replay!.bytesSent;
      stalled = sent === last ? stalled + 1 : 0;
      last = sent;
    }
    const blocked = await progress();
    expect(blocked.state).toBe('running');
    expect(blocked.replay!.bytesSent).toBeLessThan(20 * MiB);
    expect(blocked.replay!.status).toMatch(/waiting for the server to read/);
    // Without backpressure the rest (most of 32 MiB) would sit in the socket's buffer.
    expect(maxRss - before).toBeLessThan(16 * MiB);

    slow.py.tell('go');
    const [n, digest] = (await slow.py.line()).split(' ');
    expect(Number(n)).toBe(32 * MiB);
    expect(digest).toBe(expected.digest('hex'));
    let end = await progress();
    for (let i = 0; end.state === 'running' && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      end = await progress();
    }
    expect(end).toMatchObject({ state: 'done', replay: { chunksSent: 32, bytesSent: 32 * MiB } });
  });
});

describe('tasks of both kinds', () => {
  it('repeat tasks still work beside a replay, in one list with distinct ids', async () => {
    const { engine, events } = makeEngine();
    const echo = await pythonServer(ECHO);
    const c = value(await engine.connect({ host: '127.0.0.1', port: echo.port, timeoutMs: 3000 }));
    const repeat = value(engine.startRepeat({ target: { connectionId: c.id }, data: enc.encode('tick;'), intervalMs: 10, count: 3 }));
    await until(() => lastTask(events, repeat.id)?.state === 'done', 'repeat done');
    await until(() => conn(engine, c.id).bytesIn === 15, 'echoes');
    expect(lastTask(events, repeat.id)).toMatchObject({ sent: 3, state: 'done' });
    expect(lastTask(events, repeat.id)!.kind).toBeUndefined();

    const replay = value(await startReplay(engine, { side: 'client', sourceId: c.id, host: '127.0.0.1', port: echo.port, timing: 'fast' }));
    expect(replay.id).not.toBe(repeat.id);
    await taskEnds(events, replay.id);
    const tasks = engine.snapshot().tasks;
    expect(tasks.map((t) => [t.id, t.kind ?? 'repeat', t.state])).toEqual([
      [repeat.id, 'repeat', 'done'],
      [replay.id, 'replay', 'done'],
    ]);
    // The source was left open (never closed): so is the replay's connection.
    expect(lastTask(events, replay.id)!.replay!.status).toMatch(/left open/);
    expect(engine.stopTask({ taskId: replay.id })).toMatchObject({ ok: true, value: { state: 'done' } });
  });
});
