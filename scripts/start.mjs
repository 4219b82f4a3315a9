// `npm start`: runs the desktop app with Electron, or, when Electron's binary is missing and
// cannot be downloaded, the same app through the browser host, and says which one and why.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeDownloadFailure } from './download-failure.mjs';
import { findElectronBinary } from './electron-binary.mjs';

const scriptsDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(scriptsDir, '..');
const extraArgs = process.argv.slice(2);
const DOWNLOAD_TIMEOUT_MS = 120_000;

/** Runs a child with our terminal, passes on SIGINT/SIGTERM, and exits with its status. */
function run(command, args) {
  const env = { ...process.env };
  // Set by some tools (and inherited): it would make Electron behave as plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('error', (err) => {
    console.error(`Could not run ${command}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1));
  });
}

/**
 * Runs Electron's own installer once. Returns null when the binary is now there, or else a
 * sentence saying why it is not. The installer's own output (a stack trace when offline) is
 * kept out of sight; the probe loaded into it reports why its requests failed.
 */
function tryDownloadOnce() {
  const installer = path.join(root, 'node_modules', 'electron', 'install.js');
  if (!existsSync(installer)) return 'Electron is not installed (node_modules/electron is missing: run "npm install")';
  // On a terminal, say what the wait is for; the line is replaced by the outcome.
  const progress = process.stdout.isTTY ? "Downloading Electron's binary (first run only)…" : '';
  if (progress) process.stdout.write(progress);
  const result = spawnSync(process.execPath, ['--require', path.join(scriptsDir, 'electron-download-probe.cjs'), installer], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: DOWNLOAD_TIMEOUT_MS,
  });
  if (progress) process.stdout.write('\r\x1b[2K');
  if (findElectronBinary(root)) return null;
  if (result.status === 0) return "Electron is not installed (its installer finished, but the binary is not in node_modules/electron/dist)";
  return `Electron could not be downloaded (${describeDownloadFailure({
    stderr: result.stderr ?? '',
    timedOut: result.error?.code === 'ETIMEDOUT',
    timeoutMs: DOWNLOAD_TIMEOUT_MS,
  })})`;
}

let electron = findElectronBinary(root);
let whyNot = 'Electron is not installed (SOCKET_INSPECTOR_NO_DOWNLOAD=1 skips its download)';
if (!electron && process.env.SOCKET_INSPECTOR_NO_DOWNLOAD !== '1') {
  whyNot = tryDownloadOnce() ?? '';
  electron = findElectronBinary(root);
}

if (electron) {
  if (!existsSync(path.join(root, 'dist', 'electron', 'main.cjs'))) {
    console.error('The app is not built (dist/electron/main.cjs is missing). Run "npm run build" first.');
    process.exit(1);
  }
  run(electron, ['.', ...extraArgs]);
} else {
  const webHost = path.join(root, 'dist', 'electron', 'web.cjs');
  // One line with the reason; the browser host's own line (its URL) follows.
  console.log(`${whyNot}; the same app runs in your browser instead.`);
  if (!existsSync(webHost)) {
    console.error(
      'The browser host is not built either (dist/electron/web.cjs is missing). Run "npm run build" first, then "npm start" again.',
    );
    process.exit(1);
  }
  run(process.execPath, [webHost, ...extraArgs]);
}
