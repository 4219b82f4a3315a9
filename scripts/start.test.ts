// `npm start` where Electron's binary cannot be downloaded: start.mjs in a project of its own
// (its scripts, the real electron package, the browser host bundled as `npm run build` bundles
// it), run as a process with the download pointed at a closed port on loopback, so Electron's
// real installer fails at once. It must say why in one line, then the host prints its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundle } from '../electron/testing/node-child';

const ROOT = path.resolve(import.meta.dirname, '..');
let dir: string;
let project: string;
const started: ChildProcess[] = [];

/** A port on loopback that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The environment without anything that would change where or how Electron is downloaded. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(electron_|npm_config_electron_|npm_package_config_electron_|npm_config_(https_)?proxy$|https?_proxy$|no_proxy$|socket_inspector_)/i.test(key)) continue;
    env[key] = value;
  }
  return env;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'si-start-test-'));
  project = path.join(dir, 'project');
  mkdirSync(path.join(project, 'scripts'), { recursive: true });
  for (const file of readdirSync(path.join(ROOT, 'scripts'))) {
    if (/\.(mjs|cjs)$/.test(file)) copyFileSync(path.join(ROOT, 'scripts', file), path.join(project, 'scripts', file));
  }
  // The real package: its installer, its @electron/get, its checksums.
  mkdirSync(path.join(project, 'node_modules'));
  symlinkSync(path.join(ROOT, 'node_modules', 'electron'), path.join(project, 'node_modules', 'electron'), 'dir');
  mkdirSync(path.join(project, 'dist', 'renderer'), { recursive: true });
  writeFileSync(path.join(project, 'dist', 'renderer', 'index.html'), '<!doctype html><title>Socket Inspector</title>');
  await bundle(path.join(ROOT, 'electron', 'web-cli.ts'), path.join(project, 'dist', 'electron', 'web.cjs'));
});

afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    // start.mjs and the host it started share a process group of their own.
    process.kill(-child.pid!, 'SIGKILL');
    await gone;
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(process.platform === 'win32')('npm start without Electron’s binary', () => {
  it('says in one line why Electron could not be downloaded, then the browser host prints its URL', async () => {
    const port = await closedPort();
    const run = mkdtempSync(path.join(dir, 'run-'));
    mkdirSync(path.join(run, 'tmp'));
    const child = spawn(process.execPath, [path.join(project, 'scripts', 'start.mjs'), '--no-open', '--port', '0', '--data-dir', path.join(run, 'data')], {
      cwd: project,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...cleanEnv(),
        ELECTRON_MIRROR: `http://127.0.0.1:${port}/`,
        // An empty cache of its own: nothing downloaded earlier can satisfy the installer.
        electron_config_cache: path.join(run, 'cache'),
        TMPDIR: path.join(run, 'tmp'),
      },
    });
    started.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 15 s:\n${stdout}${stderr}`)), 15_000);
      child.stdout!.on('data', () => {
        if (/Socket Inspector is running at \S+\n/.test(stdout)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`start.mjs exited (${code}):\n${stdout}${stderr}`)));
    });

    const lines = stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      `Electron could not be downloaded (127.0.0.1:${port} refused the connection); the same app runs in your browser instead.`,
    );
    expect(lines[1]).toMatch(/^Socket Inspector is running at http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/);
    // No stack trace, no "fetch failed", nothing else.
    expect(stderr).toBe('');

    // Ctrl+C reaches the host through start.mjs, and both are gone.
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('says so when Electron is not installed at all', async () => {
    const bare = path.join(dir, 'bare');
    mkdirSync(path.join(bare, 'scripts'), { recursive: true });
    for (const file of readdirSync(path.join(project, 'scripts'))) copyFileSync(path.join(project, 'scripts', file), path.join(bare, 'scripts', file));
    const child = spawn(process.execPath, [path.join(bare, 'scripts', 'start.mjs')], {
      cwd: bare,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv(),
    });
    started.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Nor is the browser host built there: that is said too, and start.mjs fails.
    expect(code).toBe(1);
    expect(stdout).toBe(
      'Electron is not installed (node_modules/electron is missing: run "npm install"); the same app runs in your browser instead.\n',
    );
    expect(stderr).toMatch(/^The browser host is not built either \(dist\/electron\/web\.cjs is missing\)/);
  });
});
