// Opening the browser with real openers: stand-ins for xdg-open put first on PATH that exit
// with 3 as xdg-open does on a machine without a desktop, that stay running as a browser run in
// the foreground does, that exit 0, and none at all.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser } from './open-browser';
import { bundle } from './testing/node-child';

const URL_TO_OPEN = 'http://127.0.0.1:9/?token=abc&x=1';
let dir: string;
/** Files into which openers that stay running write their pids. */
const pidFiles: string[] = [];

/** PATH with a folder holding an `xdg-open` that runs this shell script body first. */
function fakeOpener(name: string, body: string): string {
  const bin = path.join(dir, name);
  mkdirSync(bin, { recursive: true });
  const file = path.join(bin, 'xdg-open');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return `${bin}${path.delimiter}${process.env.PATH ?? ''}`;
}

/** PATH with only an empty folder: no xdg-open anywhere. */
function emptyFolder(name: string): string {
  const bin = path.join(dir, name);
  mkdirSync(bin, { recursive: true });
  return bin;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'si-open-browser-test-'));
});

afterEach(() => {
  for (const file of pidFiles.splice(0)) {
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, 'utf8'));
    // The opener runs in a process group of its own: end it and whatever it started.
    if (running(pid)) process.kill(-pid, 'SIGKILL');
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(process.platform === 'win32')('openBrowser with xdg-open', () => {
  it('reports an opener that exits with 3 as finding no browser, and says so in words', async () => {
    const argsFile = path.join(dir, 'args-3');
    const searchPath = fakeOpener('exit-3', `printf '%s' "$1" > '${argsFile}'\nexit 3`);
    const started = Date.now();
    const result = await openBrowser(URL_TO_OPEN, { platform: 'linux', env: { PATH: searchPath }, waitMs: 5_000 });
    expect(result).toEqual({ opened: false, reason: 'xdg-open found no browser to use, exit status 3' });
    // Its exit is the answer: no waiting for the bound.
    expect(Date.now() - started).toBeLessThan(4_000);
    // The URL reaches the opener whole, as one argument.
    expect(readFileSync(argsFile, 'utf8')).toBe(URL_TO_OPEN);
  });

  it('reports other failing statuses with the status', async () => {
    const searchPath = fakeOpener('exit-9', 'exit 9');
    expect(await openBrowser(URL_TO_OPEN, { platform: 'linux', env: { PATH: searchPath } })).toEqual({
      opened: false,
      reason: 'xdg-open exited with status 9',
    });
  });

  it('reports an opener that is not installed', async () => {
    const searchPath = emptyFolder('none');
    expect(await openBrowser(URL_TO_OPEN, { platform: 'linux', env: { PATH: searchPath } })).toEqual({
      opened: false,
      reason: 'xdg-open is not installed',
    });
  });

  it('reports an opener ended by a signal', async () => {
    const searchPath = fakeOpener('killed', 'kill -KILL $$');
    expect(await openBrowser(URL_TO_OPEN, { platform: 'linux', env: { PATH: searchPath } })).toEqual({
      opened: false,
      reason: 'xdg-open was ended by SIGKILL',
    });
  });

  it('takes an opener that exits with 0 as success', async () => {
    const searchPath = fakeOpener('exit-0', 'exit 0');
    expect(await openBrowser(URL_TO_OPEN, { platform: 'linux', env: { PATH: searchPath } })).toEqual({ opened: true });
  });

  it('takes an opener still running after the wait as success, and leaves it running', async () => {
    const pidFile = path.join(dir, 'stays.pid');
    pidFiles.push(pidFile);
    const searchPath = fakeOpener('stays', `echo $$ > '${pidFile}'\nexec sleep 60`);
    const started = Date.now();
    expect(await openBrowser(URL_TO_OPEN, { platform: 'linux', env: { PATH: searchPath }, waitMs: 400 })).toEqual({ opened: true });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(350);
    expect(waited).toBeLessThan(3_000);
    expect(running(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  it('does not keep Node running while an opener stays open', async () => {
    const pidFile = path.join(dir, 'stays-exit.pid');
    pidFiles.push(pidFile);
    const searchPath = fakeOpener('stays-exit', `echo $$ > '${pidFile}'\nexec sleep 60`);
    const script = path.join(dir, 'open-then-exit.cjs');
    await bundle(path.join(import.meta.dirname, 'open-browser.ts'), path.join(dir, 'open-browser.cjs'));
    writeFileSync(
      script,
      `require('./open-browser.cjs').openBrowser(${JSON.stringify(URL_TO_OPEN)}, { platform: 'linux', env: { PATH: ${JSON.stringify(searchPath)} }, waitMs: 300 })` +
        `.then((r) => console.log(JSON.stringify(r)));`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('Node did not exit while the opener was running'));
      }, 5_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ opened: true });
  });
});

describe.skipIf(process.platform === 'win32' || process.platform === 'darwin')('the browser host when no browser opens', () => {
  it('says why and repeats the URL to open', async () => {
    const run = path.join(dir, 'cli');
    mkdirSync(path.join(run, 'app/renderer'), { recursive: true });
    writeFileSync(path.join(run, 'app/renderer/index.html'), '<!doctype html><title>Socket Inspector</title>');
    const cli = path.join(run, 'app/electron/web.cjs');
    await bundle(path.join(import.meta.dirname, 'web-cli.ts'), cli);
    const searchPath = fakeOpener('cli-exit-3', 'exit 3');
    const tmp = path.join(run, 'tmp');
    mkdirSync(tmp);
    const child = spawn(process.execPath, [cli, '--port', '0', '--data-dir', path.join(run, 'data')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATH: searchPath, TMPDIR: tmp },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message within 10 s:\n${stdout}${stderr}`)), 10_000);
        const check = () => {
          if (/yourself\.\n/.test(stderr)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stderr.on('data', check);
        child.once('exit', () => reject(new Error(`the host exited:\n${stdout}${stderr}`)));
      });
      const url = /Socket Inspector is running at (\S+)/.exec(stdout)?.[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      expect(stderr).toBe(`Could not open a browser (xdg-open found no browser to use, exit status 3): open ${url} yourself.\n`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
    }
  });
});
