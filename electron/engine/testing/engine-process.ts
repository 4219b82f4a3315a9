/**
 * Starts engine-child.ts in its own Node process for tests that measure a process: RSS,
 * descriptors, child processes, exit. Commands go over stdin as JSON lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { build } from 'esbuild';
import type { CommandInput, CommandName, CommandResults } from '../../../shared/contract';
import type { Result } from '../../../shared/result';
import { decodeWire, encodeWire } from '../../../shared/wire';

/** A running engine process. */
export interface EngineProcess {
  child: ChildProcess;
  pid: number;
  /** Runs a command in the engine process and resolves with its result. */
  run<K extends CommandName>(name: K, args: CommandInput<K>): Promise<Result<CommandResults[K]>>;
  /** Resident set size now, and its peak (VmHWM), in bytes. */
  memory(): { rss: number; peak: number };
  /** Open file descriptors of the process. */
  fds(): number;
  /** Shuts the engine down and waits for the process to exit (kills it if it does not). */
  stop(): Promise<void>;
}

let bundled: Promise<string> | undefined;

function bundle(): Promise<string> {
  bundled ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'si-engine-child-'));
    const outfile = path.join(dir, 'engine-child.cjs');
    await build({ entryPoints: [path.join(__dirname, 'engine-child.ts')], bundle: true, platform: 'node', format: 'cjs', outfile, logLevel: 'silent' });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return outfile;
  })();
  return bundled;
}

function statusField(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Starts an engine process; env adds to the child's environment (CAPTURE_BUDGET in bytes). */
export async function startEngineProcess(env: Record<string, string> = {}): Promise<EngineProcess> {
  const script = await bundle();
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const pending = new Map<number, (r: Result<unknown>) => void>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    const msg = decodeWire(line) as { id: number; result: Result<unknown> };
    pending.get(msg.id)?.(msg.result);
    pending.delete(msg.id);
  });
  child.once('exit', () => {
    for (const done of pending.values()) done({ ok: false, code: 'EXITED', message: 'the engine process exited' });
    pending.clear();
  });
  const send = (name: string, args: unknown) =>
    new Promise<Result<unknown>>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.stdin!.write(`${encodeWire({ id, name, args })}\n`);
    });
  return {
    child,
    pid: child.pid!,
    run: (name, args) => send(name, args) as never,
    memory: () => ({ rss: statusField(child.pid!, 'VmRSS'), peak: statusField(child.pid!, 'VmHWM') }),
    fds: () => readdirSync(`/proc/${child.pid}/fd`).length,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        void send('shutdown', {});
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
