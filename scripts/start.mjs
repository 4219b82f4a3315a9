// `npm start`: runs the desktop app with Electron, or, when Electron's binary is missing and
// cannot be downloaded, the same app through the browser host, and says which one and why.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from './electron-binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
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

function tryDownloadOnce() {
  const installer = path.join(root, 'node_modules', 'electron', 'install.js');
  if (!existsSync(installer)) return;
  console.log("Electron's binary is not installed; trying to download it once…");
  // The installer's own output is a stack trace when offline: keep it, and show its gist.
  const result = spawnSync(process.execPath, [installer], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: DOWNLOAD_TIMEOUT_MS,
  });
  if (result.error?.code === 'ETIMEDOUT') {
    console.log(`The download did not finish within ${DOWNLOAD_TIMEOUT_MS / 1000} s.`);
  } else if (result.status !== 0) {
    const reason = `${result.stderr ?? ''}`.split('\n').map((l) => l.trim()).find((l) => /error|failed/i.test(l));
    if (reason) console.log(`The download failed: ${reason}`);
  }
}

let electron = findElectronBinary(root);
if (!electron && process.env.SOCKET_INSPECTOR_NO_DOWNLOAD !== '1') {
  tryDownloadOnce();
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
  console.log('');
  console.log("Electron's binary is not installed and could not be downloaded (no connection?).");
  if (!existsSync(webHost)) {
    console.error(
      'The browser host is not built either (dist/electron/web.cjs is missing). Run "npm run build" first, then "npm start" again.',
    );
    process.exit(1);
  }
  console.log('Starting the browser host instead: the same app in your browser.');
  console.log('');
  run(process.execPath, [webHost, ...extraArgs]);
}
