// The preload's bridge, with contextBridge and ipcRenderer replaced by stand-ins that record
// what the page would get and what would cross to the main process. The port it is handed is a
// real MessageChannel, and at its far end a real engine session answers on real sockets.
import net from 'node:net';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BRIDGE_KEY, Channels, COMMAND_NAMES } from '../shared/channels';
import type { InspectorApi, LinkStatus } from '../shared/contract';
import type { EventBatch, ListenerInfo } from '../shared/model';
import { Engine } from './engine/engine';
import { openSession } from './engine/session';

const fake = vi.hoisted(() => {
  const exposed = new Map<string, unknown>();
  const rendererListeners = new Map<string, ((event: unknown, ...args: unknown[]) => void)[]>();
  const invoked: { channel: string; args: unknown[] }[] = [];
  const sent: { channel: string; args: unknown[] }[] = [];
  return {
    exposed,
    rendererListeners,
    invoked,
    sent,
    electron: {
      contextBridge: {
        exposeInMainWorld(key: string, api: unknown) {
          exposed.set(key, api);
        },
      },
      ipcRenderer: {
        invoke(channel: string, ...args: unknown[]) {
          invoked.push({ channel, args });
          return Promise.resolve({ ok: true, value: { restarted: true } });
        },
        send(channel: string, ...args: unknown[]) {
          sent.push({ channel, args });
        },
        on(channel: string, fn: (event: unknown, ...args: unknown[]) => void) {
          rendererListeners.set(channel, [...(rendererListeners.get(channel) ?? []), fn]);
        },
        removeListener(channel: string, fn: (event: unknown, ...args: unknown[]) => void) {
          rendererListeners.set(channel, (rendererListeners.get(channel) ?? []).filter((f) => f !== fn));
        },
      },
    },
  };
});

vi.mock('electron', () => fake.electron);

const fromMain = (channel: string, event: unknown, ...args: unknown[]) => {
  for (const fn of fake.rendererListeners.get(channel) ?? []) fn(event, ...args);
};

let api: InspectorApi;
const engine = new Engine({ batcher: { flushMs: 5, highWatermark: 64, lowWatermark: 32 } });
const links: LinkStatus[] = [];
const cleanups: Array<() => unknown> = [];

/** What the main process does on connect: one end to the page, the other to the engine. */
function handOverPort(): MessagePort {
  const { port1, port2 } = new MessageChannel();
  const session = openSession(engine, (frame) => port1.postMessage(frame));
  port1.on('message', (data: Uint8Array) => session.receive(data));
  port1.on('close', () => session.close());
  cleanups.push(() => port1.close());
  fromMain(Channels.engine.port, { ports: [port2], sender: 'ipc-event-object' });
  return port1;
}

beforeAll(async () => {
  await import('./preload');
  api = fake.exposed.get(BRIDGE_KEY) as InspectorApi;
  api.onLink((status) => links.push(status));
});

afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!();
  await engine.shutdown();
});

describe('preload bridge', () => {
  it('exposes named functions only: one per command, events, acks, the link, restart, the menu and the theme', () => {
    expect(Object.keys(api).sort()).toEqual([...COMMAND_NAMES, 'ack', 'onEvents', 'onLink', 'restartEngine', 'onMenuCommand', 'setThemeSource'].sort());
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
    expect(fake.exposed.size).toBe(1);
  });

  it('asks the main process for its port as it loads, and waits for it', async () => {
    expect(fake.sent).toEqual([{ channel: Channels.engine.connect, args: [] }]);
    expect(links.at(-1)).toEqual({ state: 'connecting' });
    // A command issued before the port arrives waits for it.
    const early = api.getSnapshot();
    handOverPort();
    expect(links.at(-1)).toEqual({ state: 'open' });
    expect(await early).toMatchObject({ ok: true, value: { listeners: [], connections: [] } });
  });

  it('carries commands and their bytes to the engine, and batches back, acknowledged through the port', async () => {
    const batches: EventBatch[] = [];
    const stop = api.onEvents((b) => {
      batches.push(b);
      api.ack(b.id);
    });
    const started = await api.startListener({ host: '127.0.0.1', port: 0 });
    expect(started.ok).toBe(true);
    const listener = (started as { value: ListenerInfo }).value;
    const client = net.connect(listener.port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    await new Promise<void>((r) => client.once('connect', () => r()));
    // More than the (small) high watermark: only acknowledgements through the port keep it going.
    const payload = Buffer.alloc(256 * 1024, 7);
    client.write(payload);
    const seen = () => batches.flatMap((b) => b.events).filter((e) => e.type === 'chunk').reduce((n, e) => n + (e.type === 'chunk' ? e.chunk.size : 0), 0);
    for (let t = 0; t < 500 && seen() < payload.length; t++) await new Promise((r) => setTimeout(r, 10));
    expect(seen()).toBe(payload.length);
    const id = batches.flatMap((b) => b.events).find((e) => e.type === 'connection-opened')!;
    const sent = await api.send({ connectionId: (id as { connection: { id: string } }).connection.id, data: Uint8Array.of(1, 2, 3) });
    expect(sent).toMatchObject({ ok: true, value: { bytes: 3 } });
    stop();
  });

  it('bad input comes back as an error result, never a throw', async () => {
    expect(await api.startListener({ host: '127.0.0.1', port: 70000 })).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
  });

  it('when the engine stops, commands fail with the reason and a restart is offered; a new port brings it back', async () => {
    fromMain(Channels.engine.status, {}, { state: 'stopped', detail: 'The engine stopped unexpectedly (exit code 9).' });
    expect(links.at(-1)).toEqual({ state: 'closed', detail: 'The engine stopped unexpectedly (exit code 9).', canRestart: true });
    expect(await api.getSnapshot()).toMatchObject({ ok: false, code: 'DISCONNECTED', message: 'The engine stopped unexpectedly (exit code 9).' });
    expect(await api.restartEngine!()).toEqual({ ok: true, value: { restarted: true } });
    expect(fake.invoked.at(-1)).toEqual({ channel: Channels.engine.restart, args: [] });
    fromMain(Channels.engine.status, {}, { state: 'starting' });
    expect(links.at(-1)).toEqual({ state: 'connecting' });
    const waiting = api.getSnapshot();
    handOverPort();
    expect(await waiting).toMatchObject({ ok: true });
  });

  it('hands the page each menu action, without the Electron event, drops anything else, and stops when asked', () => {
    const seen: unknown[][] = [];
    const stop = api.onMenuCommand!((...args: unknown[]) => seen.push(args));
    const stopOther = api.onMenuCommand!(() => undefined);
    const event = { sender: 'ipc-event-object', ports: [] };
    fromMain(Channels.app.menuCommand, event, 'new-listener');
    fromMain(Channels.app.menuCommand, event, 'show-help');
    for (const junk of ['rm -rf', '', 42, null, undefined, { action: 'find' }, ['find'], 'FIND']) fromMain(Channels.app.menuCommand, event, junk);
    expect(seen).toEqual([['new-listener'], ['show-help']]);
    stop();
    fromMain(Channels.app.menuCommand, event, 'find');
    expect(seen).toHaveLength(2);
    // Unsubscribing one listener leaves the other, and twice is harmless.
    expect(fake.rendererListeners.get(Channels.app.menuCommand)).toHaveLength(1);
    stop();
    stopOther();
    expect(fake.rendererListeners.get(Channels.app.menuCommand)).toHaveLength(0);
  });

  it('sends the theme to the main process only when it is system, light or dark', () => {
    const before = fake.sent.length;
    for (const source of ['dark', 'light', 'system'] as const) api.setThemeSource!(source);
    for (const junk of ['Dark', 'blue', '', 1, null, undefined, { source: 'dark' }]) api.setThemeSource!(junk as never);
    expect(fake.sent.slice(before)).toEqual([
      { channel: Channels.app.theme, args: ['dark'] },
      { channel: Channels.app.theme, args: ['light'] },
      { channel: Channels.app.theme, args: ['system'] },
    ]);
  });
});
