// bindIpc: who may get a port to the engine and restart it. Electron's binary is not available
// everywhere, so ipcMain and the window are small stand-ins with the same surface.
import { EventEmitter } from 'node:events';
import type { BrowserWindow } from 'electron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Channels } from '../shared/channels';
import type { Result } from '../shared/result';

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

const fakeTheme = vi.hoisted(() => ({ nativeTheme: { themeSource: 'system' as string } }));

vi.mock('electron', () => ({ ipcMain: fakeIpc.ipcMain, nativeTheme: fakeTheme.nativeTheme }));

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

/** What the binding asked of the engine host. */
class FakeHost {
  connected: unknown[] = [];
  restarts = 0;
  connect(page: unknown): void {
    this.connected.push(page);
  }
  restart(): Result<{ restarted: true }> {
    this.restarts++;
    return { ok: true, value: { restarted: true } };
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function setup() {
  const host = new FakeHost();
  const win = new FakeWindow();
  const dispose = bindIpc({ engine: host, window: win as unknown as BrowserWindow });
  cleanups.push(dispose);
  return { host, win, contents: win.webContents, dispose };
}

function theme(event: unknown, source: unknown): void {
  for (const fn of fakeIpc.listeners.get(Channels.app.theme) ?? []) fn(event, source);
}

function connect(event: unknown): void {
  for (const fn of fakeIpc.listeners.get(Channels.engine.connect) ?? []) fn(event);
}

function restart(event: unknown): Promise<Result<unknown>> {
  const handler = fakeIpc.handlers.get(Channels.engine.restart);
  if (!handler) throw new Error('no restart handler');
  return Promise.resolve(handler(event) as Result<unknown>);
}

/** Everyone who must not get a port or restart the engine, though some show our page. */
const strangers: [string, unknown][] = [
  ['a web page', senderEvent('https://example.com/')],
  ['a file:// page', senderEvent('file:///tmp/evil.html')],
  ['our files by file://', senderEvent('file:///app/dist/renderer/index.html')],
  ['about:blank', senderEvent('about:blank')],
  ['a sender without a frame', senderEvent(undefined)],
  ['an iframe in our window', frameEvent(subframe())],
  ['a frame claiming no parent but with another frame id', frameEvent({ ...subframe(), parent: null })],
  ['the main frame of another webContents', frameEvent(otherWindowFrame(), 8)],
  ['another webContents claiming our main frame’s ids', frameEvent(mainFrame(), 8)],
  ['our main frame from another renderer process', frameEvent({ ...mainFrame(), processId: 5 })],
  ['our main frame’s old document, detached while unloading', frameEvent({ ...mainFrame(), detached: true })],
  ['an event without a sender', { senderFrame: mainFrame() }],
];

describe('bindIpc', () => {
  it('listens on the two engine channels and the theme channel only, and removes them all on dispose', () => {
    const { dispose } = setup();
    expect([...fakeIpc.handlers.keys()]).toEqual([Channels.engine.restart]);
    expect([...fakeIpc.listeners.entries()].filter(([, set]) => set.size > 0).map(([k]) => k)).toEqual([Channels.engine.connect, Channels.app.theme]);
    dispose();
    expect(fakeIpc.handlers.size).toBe(0);
    expect(fakeIpc.listeners.get(Channels.engine.connect)?.size).toBe(0);
    expect(fakeIpc.listeners.get(Channels.app.theme)?.size).toBe(0);
  });

  it('hands a port only to the main frame of our own window showing our page, on every load', () => {
    const { host, contents } = setup();
    for (const [, event] of strangers) connect(event);
    expect(host.connected).toEqual([]);
    connect(frameEvent(mainFrame()));
    connect(senderEvent(trustedUrl));
    expect(host.connected).toEqual([contents, contents]);
  });

  it('restarts the engine only for our page; everyone else is refused in words', async () => {
    const { host } = setup();
    for (const [who, event] of strangers) {
      expect(await restart(event), who).toMatchObject({ ok: false, code: 'FORBIDDEN', message: expect.stringMatching(/^Refused a request from .*only the Socket Inspector window may use the inspector\.$/) });
    }
    expect(host.restarts).toBe(0);
    expect(await restart(frameEvent(mainFrame()))).toEqual({ ok: true, value: { restarted: true } });
    expect(host.restarts).toBe(1);
  });

  it('refuses everyone once the window is gone', async () => {
    const { host, contents } = setup();
    contents.destroyed = true;
    connect(senderEvent(trustedUrl));
    expect(host.connected).toEqual([]);
    expect(await restart(senderEvent(trustedUrl))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  it('follows the theme our page chose, and nobody else’s', () => {
    const { contents } = setup();
    fakeTheme.nativeTheme.themeSource = 'system';
    for (const [who, event] of strangers) {
      theme(event, 'dark');
      expect(fakeTheme.nativeTheme.themeSource, who).toBe('system');
    }
    theme(frameEvent(mainFrame()), 'dark');
    expect(fakeTheme.nativeTheme.themeSource).toBe('dark');
    theme(senderEvent(trustedUrl), 'light');
    expect(fakeTheme.nativeTheme.themeSource).toBe('light');
    theme(senderEvent(trustedUrl), 'system');
    expect(fakeTheme.nativeTheme.themeSource).toBe('system');
    // Our page with a value that is not a theme: ignored, not thrown.
    for (const junk of ['Dark', 'blue', '', 1, null, undefined, { source: 'dark' }, ['dark']]) {
      expect(() => theme(senderEvent(trustedUrl), junk)).not.toThrow();
      expect(fakeTheme.nativeTheme.themeSource).toBe('system');
    }
    // Once the window is gone, no one changes it.
    contents.destroyed = true;
    theme(senderEvent(trustedUrl), 'dark');
    expect(fakeTheme.nativeTheme.themeSource).toBe('system');
  });

  it('stops following the theme once disposed', () => {
    const { dispose } = setup();
    fakeTheme.nativeTheme.themeSource = 'system';
    dispose();
    theme(senderEvent(trustedUrl), 'dark');
    expect(fakeTheme.nativeTheme.themeSource).toBe('system');
  });
});
