/**
 * Hostile peers against an engine in its own process, measured as a user would: its memory
 * (VmRSS, VmHWM), its descriptors (/proc/PID/fd) and its children. Auto-replies to a client
 * that floods without reading stay bounded and deliver every byte once it reads; thousands of
 * clients that connect and close leave nothing open; programs never outlive the engine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { describe, expect, it } from 'vitest';
import type { ResponderConfig } from '../../shared/model';
import { onCleanup, until, value } from './testing/helpers';
import { startEngineProcess, type EngineProcess } from './testing/engine-process';

const linux = process.platform === 'linux' && existsSync('/proc/self/fd');
const MiB = 1024 * 1024;

async function engineProcess(): Promise<EngineProcess> {
  const engine = await startEngineProcess({ CAPTURE_BUDGET: String(64 * MiB) });
  onCleanup(() => engine.stop());
  return engine;
}

/** flood_client.py: floods without reading, reports what got through, then reads it all. */
function floodClient(port: number, kind: 'echo' | 'fixed', total: number, holdSeconds: number) {
  const py = spawn('python3', [path.join(__dirname, 'testing', 'flood_client.py'), String(port), kind, String(total), String(holdSeconds)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  onCleanup(() => py.kill('SIGKILL'));
  const lines = readline.createInterface({ input: py.stdout! });
  const next = () => new Promise<string[]>((resolve) => lines.once('line', (line) => resolve(line.split(' '))));
  return {
    /** Bytes the server took while the client did not read. */
    blocked: async () => Number((await next())[1]),
    /** Starts reading; resolves with what arrived and whether it is exactly what was expected. */
    read: async () => {
      const done = next();
      py.stdin!.write('go\n');
      const [, received, digest, expected] = await done;
      return { received: Number(received), intact: digest === expected };
    },
  };
}

/** Samples the engine's RSS while a promise runs; resolves with its result and the highest RSS. */
async function watchRss<T>(engine: EngineProcess, run: Promise<T>): Promise<{ result: T; maxRss: number }> {
  let maxRss = engine.memory().rss;
  const timer = setInterval(() => (maxRss = Math.max(maxRss, engine.memory().rss)), 50);
  try {
    return { result: await run, maxRss };
  } finally {
    clearInterval(timer);
  }
}

/** 4 KiB for every chunk read: the replies outgrow what the client sends. */
const ACKS = 'ACK\\n'.repeat(1024);

const responders: Array<{ name: string; config: ResponderConfig; kind: 'echo' | 'fixed' }> = [
  { name: 'Echo', config: { kind: 'echo' }, kind: 'echo' },
  { name: 'Fixed reply', config: { kind: 'fixed', reply: ACKS, hex: false, close: false }, kind: 'fixed' },
  {
    name: 'Rules with a delay',
    config: { kind: 'rules', rules: [{ match: 'hex', pattern: '00 01 02 03', reply: ACKS, delayMs: 50, close: false }], defaultReply: '', lineFraming: false },
    kind: 'fixed',
  },
  { name: 'Program (cat)', config: { kind: 'program', command: 'cat', args: [], shell: false }, kind: 'echo' },
];

describe.skipIf(!linux)('a client that floods and never reads, then reads', () => {
  for (const { name, config, kind } of responders) {
    it(`${name}: the engine stops reading instead of queueing, and every byte arrives in order once the client reads`, { timeout: 120_000 }, async () => {
      const engine = await engineProcess();
      const l = value(await engine.run('startListener', { host: '127.0.0.1', port: 0 }));
      value(await engine.run('setResponder', { target: { listenerId: l.id }, responder: config }));
      const start = engine.memory().rss;
      const total = 256 * MiB;
      const client = floodClient(l.port, kind, total, 2);
      const { result: blocked, maxRss: rssWhileBlocked } = await watchRss(engine, client.blocked());
      // The client got stuck long before the end: the engine stopped taking its bytes, and its
      // memory did not grow with what the client sent.
      expect(blocked).toBeLessThan(total / 2);
      expect(rssWhileBlocked - start).toBeLessThan(100 * MiB);
      const { result: read, maxRss } = await watchRss(engine, client.read());
      expect(read.intact).toBe(true);
      expect(read.received).toBeGreaterThan(0);
      expect(maxRss).toBeLessThan(300 * 1000 * 1000);
    });
  }
});

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe.skipIf(!linux)('nothing is left open', () => {
  it('5,000 clients that connect and close: descriptors are back where they started', { timeout: 120_000 }, async () => {
    const engine = await engineProcess();
    const l = value(await engine.run('startListener', { host: '127.0.0.1', port: 0 }));
    const before = engine.fds();
    const py = spawn('python3', [
      '-c',
      "import socket, sys\nfor i in range(5000):\n    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n    s.sendall(b'hello %d' % i)\n    s.shutdown(socket.SHUT_WR)\n    while s.recv(100): pass\n    s.close()",
      String(l.port),
    ]);
    onCleanup(() => py.kill('SIGKILL'));
    const code = await new Promise((r) => py.once('exit', r));
    expect(code).toBe(0);
    let snapshot = value(await engine.run('getSnapshot', {}));
    await until(() => engine.fds() <= before + 3, `descriptors back near ${before} (now ${engine.fds()})`, 20_000);
    snapshot = value(await engine.run('getSnapshot', {}));
    expect(snapshot.listeners[0]).toMatchObject({ clientCount: 0, acceptedCount: 5000 });
    expect(snapshot.connections.every((c) => c.state === 'closed')).toBe(true);
  });

  it('a program responder that ignores SIGTERM does not outlive the engine, whichever way its connection ends', { timeout: 60_000 }, async () => {
    const engine = await engineProcess();
    const l = value(await engine.run('startListener', { host: '127.0.0.1', port: 0 }));
    const stubborn = 'import signal, sys, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("up", flush=True)\ntime.sleep(600)';
    value(await engine.run('setResponder', { target: { listenerId: l.id }, responder: { kind: 'program', command: 'python3', args: ['-c', stubborn], shell: false } }));
    // Three clients: one resets, one is reset by us, one stays open until shutdown. Each says
    // its port once the program has greeted it, so its connection can be told apart.
    const clients: Array<{ py: ChildProcess; port: Promise<number> }> = [];
    for (let i = 0; i < 3; i++) {
      // SO_LINGER 0: when this process is killed, its socket is reset, not closed with FIN.
      const py = spawn('python3', [
        '-c',
        "import socket, struct, sys, time\ns = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\ns.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\ns.recv(10)\nprint(s.getsockname()[1], flush=True)\ntime.sleep(600)",
        String(l.port),
      ]);
      onCleanup(() => py.kill('SIGKILL'));
      const port = new Promise<number>((resolve) => readline.createInterface({ input: py.stdout! }).once('line', (line) => resolve(Number(line))));
      clients.push({ py, port });
    }
    const ports = await Promise.all(clients.map((c) => c.port));
    const snapshot = async () => value(await engine.run('getSnapshot', {})).connections;
    const before = await snapshot();
    const [resetByPeer, resetByUs, leftOpen] = ports.map((port) => before.find((c) => c.remote.port === port)!);
    const programs = [resetByPeer, resetByUs, leftOpen].map((c) => c!.program!.pid!);
    expect(programs.every(alive)).toBe(true);
    // Ended by the peer's reset, and by our Reset: each program goes, and its status says so.
    clients[0]!.py.kill('SIGKILL');
    value(await engine.run('closeConnection', { connectionId: resetByUs!.id, mode: 'reset' }));
    const programOf = async (id: string) => (await snapshot()).find((c) => c.id === id)?.program;
    for (let t = 0; t < 200; t++) {
      const states = await Promise.all([programOf(resetByPeer!.id), programOf(resetByUs!.id)]);
      if (states.every((p) => p?.state === 'exited')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Killed, after the grace period, by SIGKILL: the program ignores SIGTERM.
    expect(await programOf(resetByPeer!.id)).toMatchObject({ state: 'exited', signal: 'SIGKILL' });
    expect(await programOf(resetByUs!.id)).toMatchObject({ state: 'exited', signal: 'SIGKILL' });
    expect(alive(programs[0]!) || alive(programs[1]!)).toBe(false);
    // The last one is still running when the engine shuts down: it must not outlive it.
    expect(alive(programs[2]!)).toBe(true);
    await engine.stop();
    expect(alive(programs[2]!)).toBe(false);
    expect(childrenOf(engine.pid)).toEqual([]);
  });
});
