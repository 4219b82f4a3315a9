/**
 * For tests that need a real Node process: bundle a TypeScript entry with esbuild, run it, watch
 * what it prints, send it signals and time its exit. Every child started here is killed by
 * killChildren(), which tests call from afterEach so a failing test leaves nothing running.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { build } from 'esbuild';

const children = new Set<ChildProcess>();

/** Bundles a TypeScript (or JavaScript) entry file into one CommonJS script. */
export async function bundle(entry: string, outfile: string): Promise<void> {
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'silent' });
}

/** A running Node child with everything it printed so far. */
export interface NodeChild {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of pattern in stdout and stderr, or rejects when the child exits first or ms pass. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** Resolves when the child has exited: its code or signal, and how long after the call. */
  exited(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }>;
}

/** Runs a script with this Node. */
export function runNode(script: string, args: string[] = [], options: SpawnOptions = {}): NodeChild {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child);
  let text = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const changed = new Set<() => void>();
  const notify = () => {
    for (const f of [...changed]) f();
  };
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString();
    notify();
  });
  child.stderr!.on('data', (d: Buffer) => {
    text += d.toString();
    notify();
  });
  child.once('exit', (code, signal) => {
    exit = { code, signal };
    children.delete(child);
    notify();
  });
  child.once('error', (err) => {
    text += `\n[spawn error] ${err.message}`;
    exit ??= { code: -1, signal: null };
    children.delete(child);
    notify();
  });
  const until = <T>(check: () => T | undefined, ms: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const test = () => {
        const value = check();
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (exit) {
          done();
          reject(new Error(`the child exited (${exit.code ?? exit.signal}) before ${what}:\n${text}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${ms} ms:\n${text}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        changed.delete(test);
      };
      changed.add(test);
      test();
    });
  return {
    child,
    output: () => text,
    waitFor: (pattern, ms = 15_000) => until(() => pattern.exec(text) ?? undefined, ms, `output matching ${pattern}`),
    exited: (ms = 15_000) => {
      const start = Date.now();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the child did not exit within ${ms} ms:\n${text}`)), ms);
        const check = () => {
          if (!exit) return;
          clearTimeout(timer);
          changed.delete(check);
          resolve({ ...exit, afterMs: Date.now() - start });
        };
        changed.add(check);
        check();
      });
    },
  };
}

/** Kills every child still running and waits for each to be gone. */
export async function killChildren(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  children.clear();
}
