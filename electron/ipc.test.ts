// bindIpc against a real Engine and real loopback sockets. Electron's binary is not available
// everywhere, so ipcMain and the window are small stand-ins with the same surface.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { BrowserWindow } from 'electron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Channels, COMMAND_NAMES } from '../shared/channels';
import type { EventBatch, ListenerInfo } from '../shared/model';
import type { Result } from '../shared/result';
import { Engine } from './engine/engine';

type Handler = (event: unknown, ...args: unknown[]) => unknown;

const fakeIpc = vi.hoisted(() => {
  const handlers = new Map<string, Handler>();
  const listeners = new Map<string, Set<Handler>>();
  return {
    handlers,
    listeners,
    ipcMain: {
      handle(channel: string, fn: Handler) {
        if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
        handlers.set(channel, fn);
      },
      removeHandler(channel: string) {
        handlers.delete(channel);
      },
      on(channel: string, fn: Handler) {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)!.add(fn);
      },
      removeListener(channel: string, fn: Handler) {
        listeners.get(channel)?.delete(fn);
      },
    },
  };
});

vi.mock('electron', () => ({ ipcMain: fakeIpc.ipcMain }));

const { bindIpc } = await import('./ipc');

const trustedUrl = 'app://socket-inspector/index.html';

/** Just the parts of WebFrameMain the sender check reads. */
interface FakeFrame {
  url: string;
  parent: FakeFrame | null;
  detached: boolean;
  frameTreeNodeId: number;
  processId: number;
  routingId: number;
}

const OUR_CONTENTS_ID = 7;
const OUR_MAIN_FRAME = { frameTreeNodeId: 1, processId: 4, routingId: 1 };

/** Our window's main frame; a fresh object each time, as Electron may hand out several. */
function mainFrame(url: string = trustedUrl): FakeFrame {
  return { url, parent: null, detached: false, ...OUR_MAIN_FRAME };
}

class FakeContents extends EventEmitter {
  readonly id = OUR_CONTENTS_ID;
  destroyed = false;
  get mainFrame(): FakeFrame {
    if (this.destroyed) throw new Error('Object has been destroyed');
    return mainFrame();
  }
  readonly sent: { channel: string; payload: unknown }[] = [];
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, payload: unknown): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.sent.push({ channel, payload });
  }
}

class FakeWindow extends EventEmitter {
  readonly webContents = new FakeContents();
  destroyed = false;
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

/** An IPC event from our window's main frame showing `url` (no frame at all when undefined). */
function senderEvent(url: string | undefined, contentsId = OUR_CONTENTS_ID): unknown {
  return { senderFrame: url === undefined ? null : mainFrame(url), sender: { id: contentsId } };
}

/** An IPC event from any frame of any webContents. */
function frameEvent(frame: FakeFrame, contentsId = OUR_CONTENTS_ID): unknown {
  return { senderFrame: frame, sender: { id: contentsId } };
}

/** An iframe inside our page that has loaded our page again (the URL check alone would pass). */
function subframe(): FakeFrame {
  return { url: trustedUrl, parent: mainFrame(), detached: false, frameTreeNodeId: 2, processId: 4, routingId: 2 };
}

/** The main frame of another window that has loaded our page. */
function otherWindowFrame(): FakeFrame {
  return { url: trustedUrl, parent: null, detached: false, frameTreeNodeId: 9, processId: 5, routingId: 1 };
}

function invoke(name: string, event: unknown, args: unknown): Promise<Result<unknown>> {
  const handler = fakeIpc.handlers.get(name);
  if (!handler) throw new Error(`no handler for ${name}`);
  return Promise.resolve(handler(event, args) as Result<unknown>);
}

function ack(event: unknown, batchId: unknown): void {
  for (const fn of fakeIpc.listeners.get(Channels.ack) ?? []) fn(event, batchId);
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function setup() {
  const engine = new Engine({ batcher: { flushMs: 5, highWatermark: 8, lowWatermark: 4 } });
  const win = new FakeWindow();
  const dispose = bindIpc({ engine, window: win as unknown as BrowserWindow });
  cleanups.push(() => engine.shutdown());
  cleanups.push(dispose);
  return { engine, win, contents: win.webContents, dispose };
}

async function waitFor<T>(probe: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function startListener(): Promise<ListenerInfo> {
  const result = await invoke(Channels.command.startListener, senderEvent(trustedUrl), { host: '127.0.0.1', port: 0 });
  if (!result.ok) throw new Error(result.message);
  return result.value as ListenerInfo;
}

async function sendFromClient(port: number, text: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write(text);
  return socket;
}

function batches(contents: FakeContents): EventBatch[] {
  return contents.sent.filter((m) => m.channel === Channels.events).map((m) => m.payload as EventBatch);
}

describe('bindIpc', () => {
  it('registers one handler per command and removes them all on dispose', () => {
    const { dispose } = setup();
    for (const name of COMMAND_NAMES) expect(fakeIpc.handlers.has(Channels.command[name])).toBe(true);
    expect(fakeIpc.listeners.get(Channels.ack)?.size).toBe(1);
    dispose();
    for (const name of COMMAND_NAMES) expect(fakeIpc.handlers.has(Channels.command[name])).toBe(false);
    expect(fakeIpc.listeners.get(Channels.ack)?.size).toBe(0);
  });

  it('answers commands from the renderer and refuses every other sender', async () => {
    setup();
    const ok = await invoke(Channels.command.getSnapshot, senderEvent(trustedUrl), {});
    expect(ok).toMatchObject({ ok: true, value: { listeners: [], connections: [] } });

    for (const url of ['https://example.com/', 'file:///tmp/evil.html', 'file:///app/dist/renderer/index.html', 'about:blank', undefined]) {
      const refused = await invoke(Channels.command.startListener, senderEvent(url), { host: '127.0.0.1', port: 0 });
      expect(refused).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    }
    const snapshot = await invoke(Channels.command.getSnapshot, senderEvent(trustedUrl), {});
    expect(snapshot).toMatchObject({ ok: true, value: { listeners: [] } });
  });

  it('accepts only the main frame of our own window, even when others show our page', async () => {
    setup();
    const args = { host: '127.0.0.1', port: 0 };
    const refusals: [string, unknown][] = [
      ['an iframe in our window', frameEvent(subframe())],
      ['a frame claiming no parent but with another frame id', frameEvent({ ...subframe(), parent: null })],
      ['the main frame of another webContents', frameEvent(otherWindowFrame(), 8)],
      ['another webContents claiming our main frame’s ids', frameEvent(mainFrame(), 8)],
      ['our main frame from another renderer process', frameEvent({ ...mainFrame(), processId: 5 })],
      ['our main frame’s old document, detached while unloading', frameEvent({ ...mainFrame(), detached: true })],
      ['an event without a sender', { senderFrame: mainFrame() }],
    ];
    for (const [who, event] of refusals) {
      expect(await invoke(Channels.command.startListener, event, args), who).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    }
    // Nothing above reached the engine: no listener was started.
    const snapshot = await invoke(Channels.command.getSnapshot, frameEvent(mainFrame()), {});
    expect(snapshot).toMatchObject({ ok: true, value: { listeners: [] } });
    expect(await invoke(Channels.command.startListener, frameEvent(mainFrame()), args)).toMatchObject({ ok: true });
  });

  it('refuses everyone once the window is gone', async () => {
    const { contents } = setup();
    contents.destroyed = true;
    expect(await invoke(Channels.command.getSnapshot, senderEvent(trustedUrl), {})).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  it('turns bad input into an error result', async () => {
    setup();
    const bad = await invoke(Channels.command.startListener, senderEvent(trustedUrl), { host: '127.0.0.1', port: 70000 });
    expect(bad).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
    expect((bad as { message: string }).message).toMatch(/port/i);
  });

  it('streams batches to the page once it has loaded, and only the page can acknowledge them', async () => {
    const { contents } = setup();
    contents.emit('did-navigate');
    const listener = await startListener();
    const client = await sendFromClient(listener.port, 'sixteen bytes!!!');

    const chunksSeen = () =>
      batches(contents).flatMap((b) =>
        b.events.flatMap((e) => (e.type === 'chunk' ? [new TextDecoder().decode(e.chunk.data)] : [])),
      );
    await waitFor(() => (chunksSeen().includes('sixteen bytes!!!') ? true : undefined), 'the first chunk');

    // 16 unacknowledged bytes are over the (tiny) high watermark: the engine pauses the socket
    // until the page acknowledges. Acknowledgements from anyone else change nothing.
    client.write('more');
    const last = batches(contents).at(-1)!;
    ack(senderEvent('https://example.com/'), last.id);
    ack(senderEvent(trustedUrl, 99), last.id);
    ack(frameEvent(subframe()), last.id);
    ack(frameEvent(otherWindowFrame(), 8), last.id);
    ack(senderEvent(trustedUrl), String(last.id));
    ack(senderEvent(trustedUrl), Number.NaN);
    await new Promise((r) => setTimeout(r, 150));
    expect(chunksSeen()).not.toContain('more');

    ack(senderEvent(trustedUrl), last.id);
    await waitFor(() => (chunksSeen().includes('more') ? true : undefined), 'the chunk sent while paused');
  });

  it('sends nothing before the page loads, and resubscribes on each load', async () => {
    const { contents } = setup();
    const listener = await startListener();
    await sendFromClient(listener.port, 'early');
    await new Promise((r) => setTimeout(r, 50));
    expect(batches(contents)).toHaveLength(0);

    contents.emit('did-navigate');
    await sendFromClient(listener.port, 'after load');
    const first = await waitFor(() => batches(contents).at(0), 'a batch after load');
    expect(first.id).toBe(1);

    // A reload starts a fresh subscription: batch ids start again from 1.
    contents.emit('did-navigate');
    const before = batches(contents).length;
    await sendFromClient(listener.port, 'after reload');
    const next = await waitFor(() => batches(contents).at(before), 'a batch after reload');
    expect(next.id).toBe(1);
  });

  it('stops sending when the window closes', async () => {
    const { contents, win } = setup();
    contents.emit('did-navigate');
    const listener = await startListener();
    win.destroyed = true;
    contents.destroyed = true;
    win.emit('closed');
    await sendFromClient(listener.port, 'into the void');
    await new Promise((r) => setTimeout(r, 50));
    expect(batches(contents)).toHaveLength(0);
  });
});
