/**
 * `npm run web -- [--host 127.0.0.1] [--port N] [--no-open]`: the browser host. Serves the
 * same renderer and runs the same Engine as the desktop app, reachable from a browser.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from './engine/engine';
import { defaultDataDir } from './engine/saved';
import { openBrowser } from './open-browser';
import { exitOnSignals } from './shutdown';
import { startWebHost, type WebHost } from './web-host';

/**
 * Whatever peers do (hold sockets open, never read), the host is gone this long after SIGINT,
 * SIGTERM or SIGHUP, its capture folder with it.
 */
const SHUTDOWN_DEADLINE_MS = 3_000;

const USAGE = `Usage: npm run web -- [--host ADDRESS] [--port N] [--no-open]

  --host ADDRESS  address to serve on (default 127.0.0.1: this machine only)
  --port N        port to serve on (default 0: a free port)
  --no-open       print the URL but do not open a browser
  --data-dir DIR   where saved messages and history are kept
                  (default: the per-user config folder)
  --capture-budget MIB
                  payload bytes of captured chunks to keep (default 256 MiB)
  --help          show this help`;

function fatal(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: { host?: string; port?: string; 'no-open'?: boolean; 'capture-budget'?: string; 'data-dir'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'no-open': { type: 'boolean' },
        'capture-budget': { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fatal(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '0') || !Number.isInteger(port) || port < 0 || port > 65535) {
    fatal(`--port must be a whole number from 0 to 65535 (got "${values.port}")`);
  }
  const host = values.host ?? '127.0.0.1';
  const staticDir = path.resolve(__dirname, '../renderer');
  const budget = values['capture-budget'];
  if (budget !== undefined && (!/^\d+$/.test(budget) || Number(budget) < 1)) {
    fatal(`--capture-budget must be a whole number of MiB, at least 1 (got "${budget}")`);
  }
  // A closed terminal must not turn the last words into an unhandled EPIPE.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  const engine = new Engine({
    dataDir: path.resolve(values['data-dir'] ?? defaultDataDir()),
    ...(budget === undefined ? {} : { captureBudgetBytes: Number(budget) * 1024 * 1024 }),
  });
  let host$: WebHost | undefined;
  // Before the host starts, so a signal during start-up also stops cleanly.
  exitOnSignals({
    stop: () => Promise.allSettled([host$?.close(), engine.shutdown()]),
    deadlineMs: SHUTDOWN_DEADLINE_MS,
    report: (message) => process.stderr.write(`${message}\n`),
  });
  try {
    host$ = await startWebHost({ engine, staticDir, host, port });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    fatal(`Could not serve on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'that port is already in use' : e.message}`);
  }
  process.stdout.write(`Socket Inspector is running at ${host$.url}\n`);
  if (host !== '127.0.0.1' && host !== '::1' && host !== 'localhost') {
    process.stderr.write(`Warning: serving on ${host}, not loopback. Anyone who has the URL (with its token) on that network can use it.\n`);
  }
  if (!values['no-open']) {
    void openBrowser(host$.url).then((opened) => {
      if (!opened) process.stderr.write('Could not open a browser: open the URL above yourself.\n');
    });
  }
}

void main();
