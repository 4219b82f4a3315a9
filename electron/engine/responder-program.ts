/**
 * The program responder: a program run per connection, the way `ncat --exec` does. What the
 * peer sends goes to its stdin, its stdout goes back as replies, and its stderr is kept to show.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { ProgramInfo, ResponderConfig } from '../../shared/model';
import { guarded } from './responder-common';
import type { Responder, ResponderHost } from './responders';

/** How much of a program's stderr is kept (characters of text). */
export const STDERR_KEEP = 8 * 1024;
/** Program updates caused by stderr output are reported at most this often. */
const STDERR_REPORT_MS = 100;
/** After SIGTERM, a program that is still running this long later gets SIGKILL. */
const KILL_GRACE_MS = 2000;

function describeCommand(config: Extract<ResponderConfig, { kind: 'program' }>): string {
  const quote = (a: string) => (a === '' || /[\s"'\\$`]/.test(a) ? JSON.stringify(a) : a);
  return [config.shell ? config.command : quote(config.command), ...config.args.map(quote)].join(' ');
}

function spawnFailure(command: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return `No such program: ${command} (ENOENT)`;
    case 'EACCES':
      return `Not allowed to run ${command}: it is not executable, or you lack permission (EACCES)`;
    case 'ENOTDIR':
      return `No such program: ${command}: part of the path is not a folder (ENOTDIR)`;
    case 'EMFILE':
    case 'ENFILE':
      return `Could not start ${command}: too many open files (${code})`;
    case 'EAGAIN':
      return `Could not start ${command}: the system is out of processes (EAGAIN)`;
    default: {
      const message = err instanceof Error ? err.message : String(err);
      return `Could not start ${command}: ${message}${code ? ` (${code})` : ''}`;
    }
  }
}

/**
 * Process groups of programs still running, so that however the app leaves (even by
 * process.exit on a hard deadline) none of them outlives it.
 */
const runningGroups = new Set<number>();

function killRunningGroups(): void {
  for (const pid of runningGroups) {
    try {
      process.kill(process.platform === 'win32' ? pid : -pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  runningGroups.clear();
}

function trackGroup(pid: number): void {
  if (runningGroups.size === 0) process.on('exit', killRunningGroups);
  runningGroups.add(pid);
}

function untrackGroup(pid: number): void {
  if (runningGroups.delete(pid) && runningGroups.size === 0) process.removeListener('exit', killRunningGroups);
}

export class ProgramResponder implements Responder {
  private child: ChildProcess | undefined;
  private info: ProgramInfo;
  private readonly stderrDecoder = new StringDecoder('utf8');
  private disposed = false;
  /** The process has exited ('exit'). */
  private exited = false;
  /** The process has exited and its stdout and stderr are drained ('close'), or it never started. */
  private finished = false;
  private endSent = false;
  /** False once sendAuto said the connection cannot send any more. */
  private canSend = true;
  /** The program's stdin is full: reading from the peer is held until it drains. */
  private stdinFull = false;
  private lastReport = 0;
  private reportTimer: NodeJS.Timeout | undefined;
  private readonly programName: string;
  private readonly gone: Promise<void>;
  private markGone: () => void = () => undefined;

  constructor(
    config: Extract<ResponderConfig, { kind: 'program' }>,
    private readonly host: ResponderHost,
  ) {
    this.programName = config.command;
    this.info = { command: describeCommand(config), state: 'running', stderr: '' };
    this.gone = new Promise((resolve) => (this.markGone = resolve));
    try {
      // With a shell, the command line is handed to it whole, as Node would join it; passing
      // args next to shell: true is deprecated in newer Node.
      const child = config.shell
        ? spawn([config.command, ...config.args].join(' '), [], this.spawnOptions(true))
        : spawn(config.command, config.args, this.spawnOptions(false));
      this.child = child;
      this.wire(child);
      // Reported after createResponder returns, so the engine never hears about a connection's
      // program before it holds the responder.
      if (child.pid !== undefined) {
        trackGroup(child.pid);
        this.info = { ...this.info, pid: child.pid };
        queueMicrotask(guarded(() => this.report()));
      }
    } catch (err) {
      // spawn throws synchronously for input it cannot even try (a NUL in the command…).
      queueMicrotask(guarded(() => this.fail(err)));
    }
  }

  private spawnOptions(shell: boolean) {
    return {
      shell,
      windowsHide: true,
      stdio: 'pipe' as const,
      // Its own process group, so dispose can end a whole pipeline (sh -c 'a | b') and not just
      // the shell in front of it.
      detached: process.platform !== 'win32',
    };
  }

  private wire(child: ChildProcess): void {
    child.on(
      'error',
      guarded((err: Error) => {
        // 'error' without a pid is a spawn failure; with one, it is a failed kill, which the
        // close handler or the SIGKILL fallback takes care of.
        if (child.pid === undefined) this.fail(err);
      }),
    );
    // EPIPE when the program exits while the peer is still sending: expected, not a crash.
    child.stdin?.on('error', () => {});
    child.stdout?.on('error', () => {});
    child.stderr?.on('error', () => {});
    const stdout = child.stdout;
    stdout?.on(
      'data',
      guarded((chunk: Buffer) => {
        if (this.disposed || !this.canSend || this.endSent || chunk.length === 0) return;
        const outcome = this.host.sendAuto(chunk);
        if (outcome === 'closed') this.canSend = false;
        else if (outcome === 'full') {
          // The peer is not reading: stop reading the program's output, so it blocks on its
          // own writes instead of filling our memory.
          stdout.pause();
          this.host.whenWritable(guarded(() => stdout.resume()));
        }
      }),
    );
    child.stderr?.on(
      'data',
      guarded((chunk: Buffer) => {
        this.appendStderr(this.stderrDecoder.write(chunk));
        this.scheduleReport();
      }),
    );
    child.on(
      'exit',
      guarded(() => {
        this.exited = true;
      }),
    );
    child.on(
      'close',
      guarded((code: number | null, signal: NodeJS.Signals | null) => {
        this.exited = true;
        if (child.pid !== undefined) untrackGroup(child.pid);
        this.markGone();
        this.releaseInput();
        if (this.finished) return;
        this.finished = true;
        this.appendStderr(this.stderrDecoder.end());
        // Reported even after dispose: however the connection ended, the status says the
        // program is gone, and how.
        this.info = { ...this.info, state: 'exited', exitCode: code, signal };
        this.reportFinal();
        this.endConnection();
      }),
    );
  }

  onData(bytes: Uint8Array): void {
    try {
      const stdin = this.child?.stdin;
      if (this.disposed || this.exited || !stdin || !stdin.writable || bytes.length === 0) return;
      if (!stdin.write(bytes) && !this.stdinFull) {
        // The program is not reading as fast as the peer sends: let the peer wait, not memory.
        this.stdinFull = true;
        this.host.holdInput(true);
        stdin.once('drain', guarded(() => this.releaseInput()));
      }
    } catch {
      // The pipe is gone; the close handler reports the program's end.
    }
  }

  onPeerEnd(): void {
    // The program decides when it is done: the connection ends when it exits.
    try {
      const stdin = this.child?.stdin;
      if (stdin && !stdin.destroyed && !stdin.writableEnded) stdin.end();
    } catch {
      // As in onData.
    }
  }

  whenGone(): Promise<void> {
    return this.gone;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    try {
      if (this.reportTimer) clearTimeout(this.reportTimer);
      this.reportTimer = undefined;
      this.releaseInput();
      const child = this.child;
      if (!child || child.pid === undefined || this.finished) return this.markGone();
      child.stdin?.destroy();
      this.signal(child, 'SIGTERM');
      // Not unref'd: a program that ignores SIGTERM must be killed even while the app is
      // leaving, and this timer is what keeps the app alive long enough to do it.
      const escalate = setTimeout(
        guarded(() => {
          if (!this.finished) this.signal(child, 'SIGKILL');
        }),
        KILL_GRACE_MS,
      );
      child.once('close', () => clearTimeout(escalate));
    } catch {
      // Nothing more to do: the process is out of reach.
    }
  }

  private releaseInput(): void {
    if (!this.stdinFull) return;
    this.stdinFull = false;
    this.host.holdInput(false);
  }

  private signal(child: ChildProcess, signal: NodeJS.Signals): void {
    if (process.platform !== 'win32' && child.pid !== undefined) {
      try {
        process.kill(-child.pid, signal);
        return;
      } catch {
        // No such group (already gone): fall back to the process itself.
      }
    }
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }

  private fail(err: unknown): void {
    this.markGone();
    if (this.finished) return;
    this.finished = true;
    this.exited = true;
    if (this.disposed) return;
    this.info = { command: this.info.command, state: 'failed', stderr: this.info.stderr, error: spawnFailure(this.programName, err) };
    this.reportFinal();
    this.endConnection();
  }

  private appendStderr(text: string): void {
    if (!text) return;
    let stderr = this.info.stderr + text;
    if (stderr.length > STDERR_KEEP) stderr = stderr.slice(stderr.length - STDERR_KEEP);
    this.info = { ...this.info, stderr };
  }

  private scheduleReport(): void {
    if (this.disposed || this.finished || this.reportTimer) return;
    const wait = this.lastReport + STDERR_REPORT_MS - performance.now();
    if (wait <= 0) {
      this.report();
      return;
    }
    this.reportTimer = setTimeout(
      guarded(() => {
        this.reportTimer = undefined;
        if (!this.disposed && !this.finished) this.report();
      }),
      Math.ceil(wait),
    );
    this.reportTimer.unref();
  }

  private reportFinal(): void {
    if (this.reportTimer) clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    this.report();
  }

  private report(): void {
    this.lastReport = performance.now();
    this.host.programUpdated({ ...this.info });
  }

  private endConnection(): void {
    if (this.endSent || this.disposed) return;
    this.endSent = true;
    this.host.end();
  }
}
