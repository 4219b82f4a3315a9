import { spawn, type ChildProcess } from 'node:child_process';

/** Whether the default browser was asked to open the URL, and if not, why not, in words. */
export type OpenBrowserResult = { opened: true } | { opened: false; reason: string };

export interface OpenBrowserOptions {
  /**
   * How long to wait for the opener to exit. An opener still running by then counts as success:
   * some run the browser in the foreground until it is closed.
   */
  waitMs?: number;
  /** The environment the opener runs with (and whose PATH finds it). */
  env?: NodeJS.ProcessEnv;
  /** Which platform's opener to use. */
  platform?: NodeJS.Platform;
}

const DEFAULT_WAIT_MS = 3_000;

/** What xdg-open's exit statuses mean (xdg-utils documents 1 to 4). */
const XDG_OPEN_STATUS: Record<number, string> = {
  1: 'xdg-open refused its arguments, exit status 1',
  2: 'xdg-open could not find what to open, exit status 2',
  3: 'xdg-open found no browser to use, exit status 3',
  4: 'xdg-open could not start the browser, exit status 4',
};

function openerFor(platform: NodeJS.Platform, url: string): [string, string[]] {
  if (platform === 'darwin') return ['open', [url]];
  // `start` is a cmd built-in; the empty title keeps it from taking the URL as a title.
  if (platform === 'win32') return ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]];
  return ['xdg-open', [url]];
}

function spawnFailure(command: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return `${command} is not installed`;
  if (err.code === 'EACCES') return `${command} is not allowed to run`;
  return `${command} could not be started: ${err.code ?? err.message}`;
}

function exitFailure(command: string, code: number | null, signal: NodeJS.Signals | null): string {
  if (code === null) return `${command} was ended by ${signal ?? 'a signal'}`;
  return (command === 'xdg-open' ? XDG_OPEN_STATUS[code] : undefined) ?? `${command} exited with status ${code}`;
}

/**
 * Opens a URL in the default browser. The opener (xdg-open, open, start) is started and given a
 * moment to exit: a missing opener or one that exits with a failure (xdg-open on a machine
 * without a desktop exits with 3) resolves with the reason, so the caller can tell the user to
 * open the URL by hand.
 */
export function openBrowser(url: string, options: OpenBrowserOptions = {}): Promise<OpenBrowserResult> {
  const { waitMs = DEFAULT_WAIT_MS, env = process.env, platform = process.platform } = options;
  const [command, args] = openerFor(platform, url);
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(command, args, { stdio: 'ignore', detached: true, windowsHide: true, env });
    } catch (err) {
      resolve({ opened: false, reason: spawnFailure(command, err as NodeJS.ErrnoException) });
      return;
    }
    let settled = false;
    const settle = (result: OpenBrowserResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Whatever it does next, the opener must not keep this process alive.
      child.unref();
      resolve(result);
    };
    const timer = setTimeout(() => settle({ opened: true }), waitMs);
    timer.unref();
    child.once('error', (err) => settle({ opened: false, reason: spawnFailure(command, err) }));
    child.once('exit', (code, signal) =>
      settle(code === 0 ? { opened: true } : { opened: false, reason: exitFailure(command, code, signal) }),
    );
  });
}
