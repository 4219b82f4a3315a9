import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ListenerInfo } from '../shared/model';
import type { Result } from '../shared/result';
import { decodeFrame, encodeFrame } from '../shared/wire';
import { bundle, killChildren, runNode, type NodeChild } from './testing/node-child';

/*
 * The browser host as users run it: web-cli.ts bundled the way `npm run build` bundles it, next
 * to a renderer folder of its own, started as a child process with its own temp folder.
 */
let dir: string;
let cli: string;
const sockets: net.Socket[] = [];
const clients: WebSocket[] = [];
/** Files into which the programs the hosts ran wrote their pids. */
const programPidFiles: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'si-web-cli-test-'));
  mkdirSync(path.join(dir, 'app/renderer/assets'), { recursive: true });
  writeFileSync(path.join(dir, 'app/renderer/index.html'), '<!doctype html><title>Socket Inspector</title>');
  writeFileSync(path.join(dir, 'app/renderer/assets/app.js'), Buffer.alloc(16 << 20, 0x61));
  cli = path.join(dir, 'app/electron/web.cjs');
  await bundle(path.join(import.meta.dirname, 'web-cli.ts'), cli);
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const ws of clients.splice(0)) ws.terminate();
  await killChildren();
  // A host killed with SIGKILL cannot end its programs: they are ended here.
  for (const file of programPidFiles.splice(0)) {
    for (const pid of existsSync(file) ? programPids(file) : []) if (running(pid)) process.kill(pid, 'SIGKILL');
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Host extends NodeChild {
  url: URL;
  port: number;
  /** The host's own temp folder (TMPDIR), where its capture folder is made. */
  tmp: string;
}

async function startHost(extraArgs: string[] = [], tmp = path.join(mkdtempSync(path.join(dir, 'run-')), 'tmp')): Promise<Host> {
  const run = path.dirname(tmp);
  mkdirSync(tmp, { recursive: true });
  const child = runNode(cli, ['--no-open', '--port', '0', '--data-dir', path.join(run, 'data'), ...extraArgs], {
    env: { ...process.env, TMPDIR: tmp },
  });
  const url = new URL((await child.waitFor(/Socket Inspector is running at (\S+)/))[1]!);
  return { ...child, url, port: Number(url.port), tmp };
}

function captureFolders(tmp: string): string[] {
  return readdirSync(tmp).filter((name) => name.startsWith('socket-inspector-capture-'));
}

function connect(port: number): net.Socket {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  socket.on('error', () => {});
  sockets.push(socket);
  return socket;
}

/** Opens the page's WebSocket and returns a function that runs one command. */
async function openPage(host: Host): Promise<<T>(name: string, args: unknown) => Promise<Result<T>>> {
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.url.searchParams.get('token')}`, { origin: host.url.origin });
  clients.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 1;
  return (name, args) => {
    const id = nextId++;
    return new Promise((resolve) => {
      const onMessage = (data: Buffer) => {
        const msg = decodeFrame(new Uint8Array(data)) as { kind: string; id: number; result: Result<never> };
        if (msg.kind === 'result' && msg.id === id) {
          ws.off('message', onMessage);
          resolve(msg.result);
        }
      };
      ws.on('message', onMessage);
      ws.send(encodeFrame({ kind: 'command', id, name, args }));
    });
  };
}

/** Whether a process is still running (a zombie waiting to be reaped is not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Peers that used to keep shutdown waiting for ever, or each cost the host a descriptor for
 * minutes: a refused upgrade held open, a download nobody reads, a socket that sends nothing,
 * and the page, with a listener whose clients send bytes and never read, each answered by a
 * program that writes its pid to the returned file and then runs until it is ended.
 */
async function difficultPeers(host: Host): Promise<string> {
  const held = connect(host.port);
  held.write(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nOrigin: ${host.url.origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await new Promise((resolve) => held.once('data', resolve));
  const unread = connect(host.port);
  unread.write(`GET /assets/app.js HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\n\r\n`);
  unread.pause();
  connect(host.port);
  const call = await openPage(host);
  const listener = await call<ListenerInfo>('startListener', { host: '127.0.0.1', port: 0 });
  if (!listener.ok) throw new Error(listener.message);
  const pids = path.join(host.tmp, '..', 'program-pids');
  programPidFiles.push(pids);
  const program = await call('setResponder', {
    target: { listenerId: listener.value.id },
    responder: { kind: 'program', command: `echo $$ >> '${pids}'; exec sleep 1000`, shell: true },
  });
  if (!program.ok) throw new Error(program.message);
  for (let i = 0; i < 3; i++) {
    const client = connect(listener.value.port);
    client.write(Buffer.alloc(256 << 10, 0x62));
    client.pause();
  }
  const deadline = Date.now() + 5000;
  while (!existsSync(pids) || readFileSync(pids, 'utf8').trim().split('\n').length < 3) {
    if (Date.now() > deadline) throw new Error('the programs did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 200));
  return pids;
}

function programPids(file: string): number[] {
  return readFileSync(file, 'utf8').trim().split('\n').map(Number);
}

describe('stopping the browser host', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)(
    '%s: exits 0 within 5 s whatever its peers do, ends the programs it ran, and removes its capture folder',
    async (signal) => {
      const host = await startHost();
      const pids = programPids(await difficultPeers(host));
      expect(pids.filter(running)).toEqual(pids);
      expect(captureFolders(host.tmp)).toHaveLength(1);
      host.child.kill(signal);
      const exit = await host.exited(10_000);
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.afterMs).toBeLessThan(5000);
      expect(captureFolders(host.tmp)).toEqual([]);
      expect(pids.filter(running)).toEqual([]);
    },
  );

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s the moment the capture folder appears: still stops cleanly, and the folder goes', async (signal) => {
    const tmp = path.join(mkdtempSync(path.join(dir, 'run-')), 'tmp');
    mkdirSync(tmp);
    const run = runNode(cli, ['--no-open', '--port', '0', '--data-dir', path.join(tmp, '..', 'data')], { env: { ...process.env, TMPDIR: tmp } });
    const deadline = Date.now() + 15_000;
    while (captureFolders(tmp).length === 0) {
      if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`no capture folder appeared:\n${run.output()}`);
      await new Promise((r) => setImmediate(r));
    }
    run.child.kill(signal);
    const exit = await run.exited();
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(captureFolders(tmp)).toEqual([]);
  });

  it('a second Ctrl+C right after the first exits at once', async () => {
    const host = await startHost();
    await difficultPeers(host);
    host.child.kill('SIGINT');
    host.child.kill('SIGINT');
    const exit = await host.exited(10_000);
    expect([0, 130]).toContain(exit.code);
    expect(exit.afterMs).toBeLessThan(1000);
    expect(captureFolders(host.tmp)).toEqual([]);
  });
});

describe('capture folders of hosts that died', () => {
  it('a host killed with SIGKILL leaves its capture folder; the next host removes it when it starts', async () => {
    const first = await startHost();
    await difficultPeers(first);
    const [left] = captureFolders(first.tmp);
    expect(left).toBeDefined();
    first.child.kill('SIGKILL');
    await first.exited();
    expect(captureFolders(first.tmp)).toEqual([left]);
    const second = await startHost([], first.tmp);
    const now = captureFolders(second.tmp);
    expect(now).toHaveLength(1);
    expect(now).not.toContain(left);
    second.child.kill('SIGTERM');
    expect((await second.exited()).code).toBe(0);
    expect(captureFolders(second.tmp)).toEqual([]);
  });
});

describe('command line', () => {
  it('refuses a --host that is not an address, saying why', async () => {
    const run = runNode(cli, ['--no-open', '--host', '127.0.0.1:8080']);
    const exit = await run.exited();
    expect(exit.code).toBe(2);
    expect(run.output()).toMatch(/^--host: Host must be an IP address .* \(got "127\.0\.0\.1:8080"\)/);
    expect(run.output()).toContain('Usage: npm run web');
  });

  it('--help names --insecure-http and says what the token grants', async () => {
    const run = runNode(cli, ['--help']);
    expect((await run.exited()).code).toBe(0);
    expect(run.output()).toContain('--insecure-http');
    expect(run.output()).toContain('run programs as this user, end processes');
  });

  it('on loopback, serves plain HTTP and warns of nothing', async () => {
    const host = await startHost(['--host', '::1']);
    expect(host.url.href).toMatch(/^http:\/\/\[::1\]:\d+\/\?token=/);
    await new Promise((r) => setTimeout(r, 200));
    expect(host.output()).not.toMatch(/Warning/);
  });
});
