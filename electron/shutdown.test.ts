// The desktop app's ending path: the flow itself with stand-ins for app.quit and app.exit, then
// a real process running a real Engine, told to stop by real signals while a peer stays
// connected.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createQuitFlow, exitCodeForSignal, onQuitSignals, QUIT_DEADLINE_MS, QUIT_SIGNALS } from './shutdown';

const ROOT = path.resolve(import.meta.dirname, '..');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  while (cleanups.length) await cleanups.pop()!();
});

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function flowWith(stopping: Promise<void>, deadlineMs?: number) {
  const calls: string[] = [];
  const stop = vi.fn(() => {
    calls.push('stop');
    return stopping;
  });
  const warnings: string[] = [];
  const flow = createQuitFlow({
    stop,
    quit: () => calls.push('quit'),
    exit: (code) => calls.push(`exit ${code}`),
    deadlineMs,
    warn: (m) => warnings.push(m),
  });
  return { flow, stop, calls, warnings };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('createQuitFlow', () => {
  it('holds the first quit until the engine has stopped, then quits once', async () => {
    const stopping = deferred();
    const { flow, stop, calls } = flowWith(stopping.promise);
    expect(flow.beforeQuit()).toBe(false);
    expect(flow.beforeQuit()).toBe(false);
    await settle();
    expect(stop).toHaveBeenCalledTimes(1);
    expect(calls).toEqual(['stop']);
    stopping.resolve();
    await settle();
    expect(calls).toEqual(['stop', 'quit']);
    // The quit it started comes back through before-quit and now goes on.
    expect(flow.beforeQuit()).toBe(true);
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it('on a signal, stops the engine and exits with 128 + the signal number', async () => {
    for (const signal of QUIT_SIGNALS) {
      const stopping = deferred();
      const { flow, calls } = flowWith(stopping.promise);
      flow.signal(signal);
      await settle();
      expect(calls).toEqual(['stop']);
      stopping.resolve();
      await settle();
      expect(calls).toEqual(['stop', `exit ${exitCodeForSignal(signal)}`]);
    }
    expect(QUIT_SIGNALS).toEqual(['SIGINT', 'SIGTERM', 'SIGHUP']);
    expect([exitCodeForSignal('SIGINT'), exitCodeForSignal('SIGTERM'), exitCodeForSignal('SIGHUP')]).toEqual([130, 143, 129]);
  });

  it('a signal during a quit already stopping exits with the signal’s status, without stopping twice', async () => {
    const stopping = deferred();
    const { flow, stop, calls } = flowWith(stopping.promise);
    flow.beforeQuit();
    flow.signal('SIGTERM');
    stopping.resolve();
    await settle();
    expect(stop).toHaveBeenCalledTimes(1);
    expect(calls).toEqual(['stop', 'exit 143']);
  });

  it('a second signal leaves at once', async () => {
    const { flow, calls } = flowWith(new Promise(() => {}));
    flow.signal('SIGINT');
    await settle();
    flow.signal('SIGINT');
    expect(calls).toEqual(['stop', 'exit 130']);
  });

  it('leaves after the deadline (5 s unless told otherwise) when stopping never ends', async () => {
    vi.useFakeTimers();
    expect(QUIT_DEADLINE_MS).toBe(5000);
    const { flow, calls, warnings } = flowWith(new Promise(() => {}));
    flow.signal('SIGHUP');
    await vi.advanceTimersByTimeAsync(QUIT_DEADLINE_MS - 1);
    expect(calls).toEqual(['stop']);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['stop', 'exit 129']);
    expect(warnings.join('\n')).toMatch(/longer than 5 s/);
    // Nothing more happens later, even if stopping finally ends.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual(['stop', 'exit 129']);
  });

  it('the deadline also ends a window quit that stalls, with status 1', async () => {
    vi.useFakeTimers();
    const { flow, calls } = flowWith(new Promise(() => {}), 200);
    flow.beforeQuit();
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toEqual(['stop', 'exit 1']);
  });

  it('goes on quitting when stopping fails, and says why', async () => {
    const stopping = deferred();
    const { flow, calls, warnings } = flowWith(stopping.promise);
    flow.signal('SIGTERM');
    stopping.reject(new Error('EBUSY'));
    await settle();
    await settle();
    expect(calls).toEqual(['stop', 'exit 143']);
    expect(warnings).toEqual(['could not stop cleanly (EBUSY).']);
  });
});

describe('onQuitSignals', () => {
  it('listens for SIGINT, SIGTERM and SIGHUP and removes exactly its listeners', () => {
    const before = QUIT_SIGNALS.map((s) => process.listenerCount(s));
    const seen: string[] = [];
    const remove = onQuitSignals(process, (s) => seen.push(s));
    cleanups.push(remove);
    expect(QUIT_SIGNALS.map((s) => process.listenerCount(s))).toEqual(before.map((n) => n + 1));
    for (const s of QUIT_SIGNALS) process.listeners(s).at(-1)!(s);
    expect(seen).toEqual(['SIGINT', 'SIGTERM', 'SIGHUP']);
    remove();
    expect(QUIT_SIGNALS.map((s) => process.listenerCount(s))).toEqual(before);
  });
});

// A real Engine in its own process: a listener, a peer connected to it that never closes, the
// capture's temporary folder in a folder of our own, and the same wiring as main.ts with
// process.exit in place of app.quit and app.exit.
const HARNESS = `
import { Engine } from ${JSON.stringify(path.join(ROOT, 'electron/engine/engine'))};
import { createQuitFlow, onQuitSignals } from ${JSON.stringify(path.join(ROOT, 'electron/shutdown'))};

const hang = process.argv[2] === 'hang';
const engine = new Engine();
const flow = createQuitFlow({
  stop: hang ? () => new Promise<void>(() => {}) : () => engine.shutdown().then(() => console.log('engine stopped')),
  quit: () => process.exit(0),
  exit: (code) => {
    console.log('exit ' + code);
    process.exit(code);
  },
  deadlineMs: Number(process.env.QUIT_DEADLINE_MS) || undefined,
  warn: (message) => console.error(message),
});
onQuitSignals(process, (signal) => flow.signal(signal));
void engine.startListener({ host: '127.0.0.1', port: 0 }).then((r) => {
  if (!r.ok) throw new Error(r.message);
  console.log('port ' + r.value.port);
});
`;

interface Run {
  child: ChildProcess;
  tmp: string;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

async function bundleHarness(dir: string): Promise<string> {
  await writeFile(path.join(dir, 'entry.ts'), HARNESS);
  await build({ entryPoints: [path.join(dir, 'entry.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: path.join(dir, 'entry.cjs'), logLevel: 'silent' });
  return path.join(dir, 'entry.cjs');
}

async function start(script: string, args: string[], env: Record<string, string> = {}): Promise<Run & { port: number }> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'si-quit-tmp-'));
  cleanups.push(() => rm(tmp, { recursive: true, force: true }));
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, TMPDIR: tmp, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const deadline = Date.now() + 10_000;
  let match: RegExpMatchArray | null = null;
  while (!(match = out.match(/port (\d+)/))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the harness did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, tmp, out: () => out, exited, port: Number(match[1]) };
}

/** A peer that connects and then just sits there; `closed` settles when the app closes it. */
async function idlePeer(port: number): Promise<{ closed: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return { closed };
}

const captureFolders = async (tmp: string) => (await readdir(tmp)).filter((n) => n.startsWith('socket-inspector-capture-'));

describe.runIf(process.platform !== 'win32')('a real process told to quit by a signal', () => {
  let harnessDir = '';
  let script = '';
  beforeAll(async () => {
    harnessDir = await mkdtemp(path.join(os.tmpdir(), 'si-quit-harness-'));
    script = await bundleHarness(harnessDir);
  });
  afterAll(async () => {
    if (harnessDir) await rm(harnessDir, { recursive: true, force: true });
  });

  it.each(QUIT_SIGNALS.map((s) => [s]))('%s: stops the engine, removes its capture folder and exits with 128 + the signal', async (signal) => {
    const run = await start(script, []);
    const peer = await idlePeer(run.port);
    expect(await captureFolders(run.tmp)).toHaveLength(1);

    run.child.kill(signal);
    const { code, signal: killedBy } = await run.exited;
    expect(killedBy, run.out()).toBeNull();
    expect(code, run.out()).toBe(exitCodeForSignal(signal));
    expect(run.out()).toMatch(/engine stopped\n[^]*exit \d+/);
    await peer.closed;
    expect(await captureFolders(run.tmp)).toEqual([]);
  });

  it('leaves by the deadline when stopping never ends', async () => {
    const run = await start(script, ['hang'], { QUIT_DEADLINE_MS: '800' });
    await idlePeer(run.port);
    const sent = Date.now();
    run.child.kill('SIGTERM');
    const { code, at } = await run.exited;
    expect(code, run.out()).toBe(143);
    expect(at - sent).toBeGreaterThanOrEqual(700);
    expect(at - sent).toBeLessThan(4000);
    expect(run.out()).toMatch(/longer than 0.8 s/);
  });

  it('a second Ctrl+C leaves at once', async () => {
    const run = await start(script, ['hang'], { QUIT_DEADLINE_MS: '8000' });
    run.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 200));
    const sent = Date.now();
    run.child.kill('SIGINT');
    const { code, at } = await run.exited;
    expect(code, run.out()).toBe(130);
    expect(at - sent).toBeLessThan(3000);
  });
});
