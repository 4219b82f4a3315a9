/**
 * `npm run web -- [--host 127.0.0.1] [--port N] [--no-open]`: the browser host. Serves the
 * same renderer and runs the same Engine as the desktop app, reachable from a browser.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { hostSchema } from '../shared/contract';
import { Engine } from './engine/engine';
import { defaultDataDir } from './engine/saved';
import { openBrowser } from './open-browser';
import { createQuitFlow, onQuitSignals } from './shutdown';
import { accessNotice, needsHttps } from './web-access';
import { startWebHost, type WebHost } from './web-host';

/**
 * Whatever peers do (hold sockets open, never read), the host is gone this long after SIGINT,
 * SIGTERM or SIGHUP, its capture folder with it.
 */
const SHUTDOWN_DEADLINE_MS = 3_000;

const USAGE = `Usage: npm run web -- [--host ADDRESS] [--port N] [--no-open] [--insecure-http]
                      [--data-dir DIR] [--capture-budget MIB]

  --host ADDRESS   address to serve on (default 127.0.0.1: this machine only).
                   Any other address is served over HTTPS, with a self-signed
                   certificate made at start whose SHA-256 fingerprint is printed;
                   0.0.0.0 or :: serve every address of this machine, and the URL
                   of each is printed
  --insecure-http  serve plain HTTP even beyond loopback: the token and all that
                   is shown then cross the network unencrypted
  --port N         port to serve on (default 0: a free port)
  --no-open        print the URL but do not open a browser
  --data-dir DIR   where saved messages and history are kept
                   (default: the per-user config folder)
  --capture-budget MIB
                   payload bytes of captured chunks to keep (default 256 MiB)
  --help           show this help

Whoever has the URL with its token can run programs as this user, end processes,
open connections from this machine and read everything captured.
Captured payloads are kept in a private temporary folder. Ctrl+C (SIGINT), SIGTERM
and SIGHUP stop the host and remove the folder within ${SHUTDOWN_DEADLINE_MS / 1000} s; a second Ctrl+C
exits at once. A folder left by a host that was killed is removed at the next start.`;

function fatal(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: {
    host?: string;
    port?: string;
    'no-open'?: boolean;
    'insecure-http'?: boolean;
    'capture-budget'?: string;
    'data-dir'?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'no-open': { type: 'boolean' },
        'insecure-http': { type: 'boolean' },
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
  const parsedHost = hostSchema.safeParse(values.host ?? '127.0.0.1');
  if (!parsedHost.success) fatal(`--host: ${parsedHost.error.issues[0]?.message ?? 'not an address'} (got "${values.host}")`);
  const host = parsedHost.data;
  const staticDir = path.resolve(__dirname, '../renderer');
  const budget = values['capture-budget'];
  if (budget !== undefined && (!/^\d+$/.test(budget) || Number(budget) < 1)) {
    fatal(`--capture-budget must be a whole number of MiB, at least 1 (got "${budget}")`);
  }
  // A closed terminal must not turn the last words into an unhandled EPIPE.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  let engine: Engine | undefined;
  let host$: WebHost | undefined;
  // Before the engine makes its capture folder, so no signal can end the process between the
  // two and leave the folder behind; and before the host starts, so a signal during start-up
  // also stops cleanly.
  const flow = createQuitFlow({
    stop: () => Promise.allSettled([host$?.close(), engine?.shutdown()]),
    quit: () => process.exit(0),
    exit: (code) => process.exit(code),
    deadlineMs: SHUTDOWN_DEADLINE_MS,
    warn: (message) => process.stderr.write(`Socket Inspector: ${message}\n`),
    statusAfterSignal: () => 0,
  });
  onQuitSignals(process, (signal) => flow.signal(signal));
  engine = new Engine({
    dataDir: path.resolve(values['data-dir'] ?? defaultDataDir()),
    ...(budget === undefined ? {} : { captureBudgetBytes: Number(budget) * 1024 * 1024 }),
  });
  try {
    host$ = await startWebHost({ engine, staticDir, host, port, tls: needsHttps(host, values['insecure-http']) ? 'on' : 'off' });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    fatal(`Could not serve on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'that port is already in use' : e.message}`);
  }
  const notice = accessNotice({ bindHost: host, urls: host$.urls, fingerprint256: host$.certificate?.fingerprint256, user: userName() });
  process.stdout.write(notice.stdout);
  if (notice.stderr) process.stderr.write(notice.stderr);
  if (!values['no-open']) {
    const url = host$.url;
    void openBrowser(url).then((result) => {
      if (!result.opened) process.stderr.write(`Could not open a browser (${result.reason}): open ${url} yourself.\n`);
    });
  }
}

function userName(): string | undefined {
  try {
    return os.userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

void main();
