// The main process's side of the engine process, with a real engine process: utilityProcess and
// MessageChannelMain are the stand-in's (a Node child process with process.parentPort, a real
// MessageChannel), pages are small doubles that speak the wire over the port they are handed.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Channels, type EngineStatus } from '../shared/channels';
import type { ListenerInfo } from '../shared/model';
import { createWireClient, type WireClient } from '../shared/wire-client';
import type { StandInPort } from '../e2e/stand-in/utility';

vi.mock('electron', async () => {
  const u = await import('../e2e/stand-in/utility');
  return { utilityProcess: { fork: u.StandInUtilityProcess.fork }, MessageChannelMain: u.StandInMessageChannelMain };
});

const { EngineHost } = await import('./engine-host');

let dir: string;
let script: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'si-engine-host-'));
  script = path.join(dir, 'engine.cjs');
  await build({ entryPoints: [path.join(import.meta.dirname, 'engine-main.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: script, logLevel: 'silent' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A page: takes the port it is handed and speaks the wire over it; records what it is told. */
class FakePage {
  static nextId = 1;
  readonly id = FakePage.nextId++;
  readonly statuses: EngineStatus[] = [];
  client: WireClient = createWireClient();
  private destroyedListeners: Array<() => void> = [];
  isDestroyed() {
    return false;
  }
  once(event: string, fn: () => void) {
    if (event === 'destroyed') this.destroyedListeners.push(fn);
  }
  send(channel: string, status: EngineStatus) {
    if (channel !== Channels.engine.status) throw new Error(`unexpected channel ${channel}`);
    this.statuses.push(status);
    if (status.state === 'stopped') this.client.lost({ detail: status.detail, canRestart: true });
    else this.client.reconnecting();
  }
  /** Ports this page was handed, and whether the engine has closed each. */
  readonly ports: Array<{ closed: boolean }> = [];
  postMessage(channel: string, _message: unknown, [port]: StandInPort[]) {
    if (channel !== Channels.engine.port || !port) throw new Error('expected a port');
    const record = { closed: false };
    this.ports.push(record);
    port.on('close', () => (record.closed = true));
    // This document's client: after a reload, the old port still talks to the old document.
    const client = this.client;
    port.on('message', (event: { data: Uint8Array }) => client.receive(event.data));
    port.start();
    cleanups.push(() => port.close());
    client.open({ send: (frame) => port.postMessage(frame) });
  }
  /** A reload: a fresh page state, as a reloaded document has. */
  reload() {
    this.client = createWireClient();
  }
  destroy() {
    for (const fn of this.destroyedListeners.splice(0)) fn();
  }
}

function startHost() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'si-engine-host-data-'));
  const host = new EngineHost(script, dataDir);
  host.start();
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  cleanups.push(() => host.stop());
  return host;
}

async function until(cond: () => boolean, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('EngineHost', () => {
  it('runs the engine in a process of its own and gives each page a port to it', async () => {
    const host = startHost();
    await until(() => host.pid !== undefined, 'the engine process');
    expect(host.pid).not.toBe(process.pid);
    const page = new FakePage();
    host.connect(page as never);
    const snap = await page.client.api.getSnapshot();
    expect(snap).toMatchObject({ ok: true, value: { listeners: [], connections: [] } });
  });

  it('a reloaded page replaces its old session, so batches the old document never acknowledged hold nothing back', async () => {
    const host = startHost();
    const page = new FakePage();
    host.connect(page as never);
    const started = await page.client.api.startListener({ host: '127.0.0.1', port: 0 });
    const listener = (started as { ok: true; value: ListenerInfo }).value;
    // The old document never acknowledges; the new one does.
    page.reload();
    host.connect(page as never);
    // The engine let go of the old document's session: its port is closed.
    await until(() => page.ports[0]!.closed, 'the old port to close');
    expect(page.ports[1]!.closed).toBe(false);
    page.client.api.onEvents((b) => page.client.api.ack(b.id));
    const sender = net.connect(listener.port, '127.0.0.1');
    cleanups.push(() => sender.destroy());
    sender.write(Buffer.alloc(32 << 20));
    // Unacknowledged batches would make the engine stop reading well short of this.
    const bytesIn = async () => {
      const snap = await page.client.api.getSnapshot();
      return snap.ok ? (snap.value.connections[0]?.bytesIn ?? 0) : 0;
    };
    let seen = 0;
    for (const end = Date.now() + 30_000; seen < 32 << 20 && Date.now() < end; ) {
      seen = await bytesIn();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toBe(32 << 20);
  });

  it('when the engine process dies, every page hears why and where its capture went; restart brings it back', async () => {
    const host = startHost();
    const page = new FakePage();
    host.connect(page as never);
    expect((await page.client.api.getSnapshot()).ok).toBe(true);
    const pid = host.pid!;
    process.kill(pid, 'SIGKILL');
    await until(() => page.statuses.length === 1, 'the stopped status');
    expect(page.statuses[0]).toEqual({ state: 'stopped', detail: expect.stringMatching(/^The engine stopped unexpectedly \(exit code 137\)/) });
    expect(await page.client.api.getSnapshot()).toMatchObject({ ok: false, code: 'DISCONNECTED' });
    // A page that loads while the engine is stopped hears why, too.
    page.reload();
    host.connect(page as never);
    expect(page.statuses[1]).toEqual(page.statuses[0]);
    expect(await page.client.api.getSnapshot()).toMatchObject({ ok: false, code: 'DISCONNECTED' });
    expect(host.restart()).toEqual({ ok: true, value: { restarted: true } });
    expect(page.statuses[2]).toEqual({ state: 'starting' });
    expect(host.restart()).toMatchObject({ ok: false, code: 'RUNNING' });
    host.connect(page as never);
    expect(await page.client.api.getSnapshot()).toMatchObject({ ok: true });
    expect(host.pid).not.toBe(pid);
  });

  it('stop ends the engine process, its sockets and its capture folder, and says nothing to the pages', async () => {
    const host = startHost();
    const page = new FakePage();
    host.connect(page as never);
    const started = await page.client.api.startListener({ host: '127.0.0.1', port: 0 });
    const listener = (started as { ok: true; value: ListenerInfo }).value;
    const pid = host.pid!;
    await host.stop();
    expect(host.pid).toBeUndefined();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(page.statuses).toEqual([]);
    // Nothing listens on its port any more.
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect(listener.port, '127.0.0.1');
      s.once('connect', () => resolve('connected'));
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('a page that goes away is forgotten by the engine', async () => {
    const host = startHost();
    const page = new FakePage();
    host.connect(page as never);
    expect((await page.client.api.getSnapshot()).ok).toBe(true);
    page.destroy();
    // The engine still serves others.
    const other = new FakePage();
    host.connect(other as never);
    expect((await other.client.api.getSnapshot()).ok).toBe(true);
    expect(existsSync(script)).toBe(true);
  });
});
