/**
 * A stand-in for `electron`, for running the desktop app's built main process
 * (dist/electron/main.cjs) and preload (preload.cjs) where Electron's binary cannot be had. It
 * is not Electron: it is the smallest faithful double of the parts the app uses, so that the
 * app's own main process, preload, engine process and page run end to end in CI.
 *
 * - A BrowserWindow is a page in Playwright's Chromium. Its app:// URL is served, through the
 *   app's own protocol.handle handler, from a loopback HTTP origin (Chromium cannot load a
 *   custom scheme); senderFrame.url reports the app:// URL, as Electron would.
 * - The preload runs before the page's scripts, with contextBridge and ipcRenderer carried over
 *   Playwright bindings (renderer-shim.ts).
 * - utilityProcess.fork is a Node child process; MessageChannelMain is a real MessageChannel.
 * - Every value crossing IPC goes through structured clone (v8.serialize and deserialize here,
 *   structuredClone in the page), so a value Electron could not send fails here too.
 *
 * Test-only.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { deserialize, serialize } from 'node:v8';
import type { BrowserContext, Page } from '@playwright/test';
import { BINDINGS, PAGE_HOOKS, renderSetup } from './renderer-shim';
import { StandInMessageChannelMain, StandInPort, StandInUtilityProcess } from './utility';

/** A value as the other side of Electron's IPC would get it: a structured clone. */
function cloned<T>(value: T): T {
  return deserialize(serialize(value)) as T;
}

type Handler = (event: unknown, ...args: unknown[]) => unknown;

/** Options of a stand-in Electron. */
export interface StandInOptions {
  /** Where windows open. */
  context: BrowserContext;
  /** app.getPath('userData'). */
  userData: string;
  /** The preload's source, read from the path a window names. */
  readPreload: (file: string) => string;
}

/** The stand-in `electron` module and what a test needs to drive and inspect it. */
export interface StandIn {
  /** The module the app's main process gets from require('electron'). */
  electron: Record<string, unknown>;
  /** Resolves with the status app.exit or the end of app.quit gives. */
  exited: Promise<number>;
  /** Pages of the windows, in the order they opened. */
  pages(): Page[];
  /** Resolves with the first window's page once it has loaded. */
  firstWindow(): Promise<Page>;
  /** Error boxes the app showed (dialog.showErrorBox). */
  errorBoxes: Array<{ title: string; content: string }>;
  /** The template of the application menu the app set, if any. */
  applicationMenu(): unknown[] | null;
  /** What the app sent to pages with webContents.send, in order. */
  sentToPages: Array<{ channel: string; args: unknown[] }>;
  /** Save dialogs the app showed: the options, and whether it gave a parent window. */
  saveDialogs: Array<{ options: unknown; parent: boolean }>;
  /** What the next save dialogs answer, first first; a cancelled dialog when none is left. */
  saveDialogAnswers: Array<{ canceled: boolean; filePath: string }>;
  /** URLs the app handed to shell.openExternal. */
  openedExternally: string[];
  /** Paths the app gave app.addRecentDocument ('(cleared)' for app.clearRecentDocuments). */
  recentDocuments: string[];
  /** The handler the app registered with ipcMain.handle for `channel`, to call with an event of the test's making. */
  ipcHandler(channel: string): Handler | undefined;
  /** Utility processes the app started. */
  utilityProcesses: StandInUtilityProcess[];
  /**
   * Messages through the main process's IPC so far, both ways (ipcMain, webContents.send and
   * postMessage): what the main process handles. Port traffic between a page and the engine
   * process is not among them.
   */
  ipcMessages(): number;
  /** Closes the loopback server; windows and processes are the app's to end. */
  dispose(): Promise<void>;
}

/** Builds a stand-in Electron for one run of the app; see the module comment. */
export function createStandIn({ context, userData, readPreload }: StandInOptions): StandIn {
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  let hasExited = false;
  const errorBoxes: StandIn['errorBoxes'] = [];
  const utilityProcesses: StandInUtilityProcess[] = [];
  let ipcMessages = 0;
  const windows: StandInWindow[] = [];
  let resolveFirst!: (page: Page) => void;
  const firstWindow = new Promise<Page>((r) => (resolveFirst = r));
  const schemes = new Map<string, (request: Request) => Response | Promise<Response>>();
  let applicationMenu: { template: unknown[] } | null = null;
  const sentToPages: StandIn['sentToPages'] = [];
  const saveDialogs: StandIn['saveDialogs'] = [];
  const saveDialogAnswers: StandIn['saveDialogAnswers'] = [];
  const openedExternally: string[] = [];
  const recentDocuments: string[] = [];
  let headersHook: ((details: { responseHeaders: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | null = null;

  // --- ipcMain -------------------------------------------------------------------------------
  const ipcHandlers = new Map<string, Handler>();
  const ipcMain = new (class extends EventEmitter {
    handle(channel: string, fn: Handler) {
      if (ipcHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      ipcHandlers.set(channel, fn);
    }
    removeHandler(channel: string) {
      ipcHandlers.delete(channel);
    }
  })();

  // --- the loopback origin that serves app:// pages ---------------------------------------------
  const server = http.createServer((req, res) => {
    void (async () => {
      const scheme = [...schemes.keys()][0];
      const handler = scheme ? schemes.get(scheme) : undefined;
      if (!handler) {
        res.writeHead(404).end();
        return;
      }
      const response = await handler(new Request(`${scheme}://socket-inspector${req.url ?? '/'}`, { method: req.method }));
      const headers: Record<string, string[]> = {};
      response.headers.forEach((value, key) => (headers[key] = [value]));
      const final = await new Promise<Record<string, string[]>>((resolve) =>
        headersHook ? headersHook({ responseHeaders: headers }, (r) => resolve(r.responseHeaders)) : resolve(headers),
      );
      res.writeHead(response.status, Object.fromEntries(Object.entries(final).map(([k, v]) => [k, v.join(', ')])));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  const listening = new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );

  // --- webContents and BrowserWindow ----------------------------------------------------------
  let nextContentsId = 1;

  class StandInWebContents extends EventEmitter {
    readonly id = nextContentsId++;
    page: Page | null = null;
    appUrl = '';
    destroyed = false;
    windowOpenHandler: unknown = null;
    private nextPortId = 1;
    private readonly ports = new Map<number, StandInPort>();

    get mainFrame() {
      if (this.destroyed) throw new Error('Object has been destroyed');
      return { url: this.appUrl, parent: null, detached: false, frameTreeNodeId: 1, processId: this.id, routingId: 1 };
    }
    isDestroyed() {
      return this.destroyed;
    }
    getURL() {
      return this.appUrl;
    }
    setWindowOpenHandler(handler: unknown) {
      this.windowOpenHandler = handler;
    }
    send(channel: string, ...args: unknown[]) {
      ipcMessages++;
      sentToPages.push({ channel, args: cloned(args) });
      this.deliver(channel, cloned(args), []);
    }
    postMessage(channel: string, message: unknown, transfer: StandInPort[] = []) {
      ipcMessages++;
      const ids = transfer.map((port) => {
        const id = this.nextPortId++;
        this.ports.set(id, port);
        port.on('message', (event: { data: unknown }) => {
          const data = event.data instanceof Uint8Array ? event.data : new Uint8Array(event.data as ArrayBuffer);
          void this.page?.evaluate(([hook, portId, b64]) => (window as never as Record<string, (i: number, d: string) => void>)[hook]!(portId, b64), [PAGE_HOOKS.portData, id, Buffer.from(data).toString('base64')] as const).catch(() => undefined);
        });
        port.start();
        return id;
      });
      this.deliver(channel, [cloned(message)], ids);
    }
    /** From the page: bytes on one of its ports. */
    portFromPage(id: number, base64: string) {
      this.ports.get(id)?.postMessage(new Uint8Array(Buffer.from(base64, 'base64')));
    }
    closePorts() {
      for (const port of this.ports.values()) port.close();
      this.ports.clear();
    }
    private deliver(channel: string, args: unknown[], portIds: number[]) {
      if (this.destroyed || !this.page) return;
      void this.page
        .evaluate(([hook, c, a, p]) => (window as never as Record<string, (c: string, a: unknown[], p: number[]) => void>)[hook]!(c, a, p), [PAGE_HOOKS.deliver, channel, args, portIds] as const)
        .catch(() => undefined);
    }
    /** The IPC event Electron would give ipcMain for a message from this page's main frame. */
    ipcEvent() {
      return { sender: this, senderFrame: this.mainFrame, ports: [], reply: () => undefined };
    }
  }

  class StandInWindow extends EventEmitter {
    readonly webContents = new StandInWebContents();
    private closed = false;
    constructor(private readonly options: { webPreferences?: { preload?: string } }) {
      super();
      windows.push(this);
      app.emit('web-contents-created', {}, this.webContents);
    }
    static getAllWindows() {
      return windows.filter((w) => !w.closed);
    }
    static getFocusedWindow() {
      return StandInWindow.getAllWindows()[0] ?? null;
    }
    async loadURL(url: string) {
      const contents = this.webContents;
      const base = await listening;
      const page = await context.newPage();
      contents.page = page;
      page.once('close', () => this.close());
      await page.exposeBinding(BINDINGS.send, (_source, channel: string, args: unknown[]) => {
        ipcMessages++;
        ipcMain.emit(channel, contents.ipcEvent(), ...cloned(args));
      });
      await page.exposeBinding(BINDINGS.invoke, async (_source, channel: string, args: unknown[]) => {
        ipcMessages++;
        const handler = ipcHandlers.get(channel);
        if (!handler) throw new Error(`No handler registered for '${channel}'`);
        return cloned(await handler(contents.ipcEvent(), ...cloned(args)));
      });
      await page.exposeBinding(BINDINGS.portToMain, (_source, id: number, base64: string) => contents.portFromPage(id, base64));
      const preload = this.options.webPreferences?.preload;
      if (preload) await page.addInitScript({ content: renderSetup(readPreload(preload)) });
      const target = new URL(url);
      contents.appUrl = url;
      await page.goto(`${base}${target.pathname}${target.search}`);
      contents.emit('did-navigate', {}, url);
      contents.emit('did-finish-load');
      this.emit('ready-to-show');
      resolveFirst(page);
    }
    show() {}
    focus() {}
    private maximized = false;
    maximize() {
      this.maximized = true;
    }
    isMaximized() {
      return this.maximized;
    }
    getNormalBounds() {
      return { x: 0, y: 0, width: 1280, height: 800 };
    }
    restore() {}
    isMinimized() {
      return false;
    }
    isDestroyed() {
      return this.closed;
    }
    close() {
      if (this.closed) return;
      this.emit('close', { preventDefault: () => undefined });
      this.closed = true;
      const contents = this.webContents;
      contents.closePorts();
      contents.destroyed = true;
      contents.emit('destroyed');
      void contents.page?.close().catch(() => undefined);
      this.emit('closed');
      if (StandInWindow.getAllWindows().length === 0) app.emit('window-all-closed');
    }
  }

  // --- app ------------------------------------------------------------------------------------
  const finish = (code: number) => {
    if (hasExited) return;
    hasExited = true;
    for (const w of StandInWindow.getAllWindows()) w.close();
    resolveExit(code);
  };
  const app = new (class extends EventEmitter {
    getPath(name: string) {
      if (name !== 'userData') throw new Error(`The stand-in knows no path "${name}"`);
      return userData;
    }
    whenReady() {
      return Promise.resolve();
    }
    requestSingleInstanceLock() {
      return true;
    }
    readonly isPackaged = false;
    enableSandbox() {}
    setAppUserModelId() {}
    addRecentDocument(file: string) {
      recentDocuments.push(file);
    }
    clearRecentDocuments() {
      recentDocuments.push('(cleared)');
    }
    quit() {
      if (hasExited) return;
      let prevented = false;
      this.emit('before-quit', { preventDefault: () => (prevented = true) });
      if (!prevented) finish(0);
    }
    exit(code = 0) {
      finish(code);
    }
  })();

  const electron: Record<string, unknown> = {
    app,
    BrowserWindow: StandInWindow,
    ipcMain,
    MessageChannelMain: StandInMessageChannelMain,
    utilityProcess: {
      fork(modulePath: string, args?: string[], options?: { env?: NodeJS.ProcessEnv }) {
        const child = StandInUtilityProcess.fork(modulePath, args, options);
        utilityProcesses.push(child);
        return child;
      },
    },
    protocol: {
      registerSchemesAsPrivileged() {},
      handle(scheme: string, handler: (request: Request) => Response | Promise<Response>) {
        schemes.set(scheme, handler);
      },
    },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (fn: typeof headersHook) => (headersHook = fn) },
        setPermissionRequestHandler() {},
        setPermissionCheckHandler() {},
      },
    },
    shell: {
      openExternal(url: string) {
        openedExternally.push(url);
        return Promise.resolve();
      },
    },
    nativeTheme: { themeSource: 'system', shouldUseDarkColors: false },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    // The menu's template is kept, so a test can choose its items.
    Menu: {
      buildFromTemplate: (template: unknown[]) => ({ template }),
      setApplicationMenu(menu: { template: unknown[] } | null) {
        applicationMenu = menu;
      },
    },
    dialog: {
      showErrorBox(title: string, content: string) {
        errorBoxes.push({ title, content });
      },
      // Electron takes (window, options) or (options).
      showSaveDialog(first: unknown, second?: unknown) {
        const parent = second !== undefined;
        saveDialogs.push({ options: cloned(parent ? second : first), parent });
        return Promise.resolve(saveDialogAnswers.shift() ?? { canceled: true, filePath: '' });
      },
    },
  };

  return {
    electron,
    exited,
    pages: () => windows.map((w) => w.webContents.page).filter((p): p is Page => p !== null),
    firstWindow: () => firstWindow,
    errorBoxes,
    applicationMenu: () => applicationMenu?.template ?? null,
    sentToPages,
    saveDialogs,
    saveDialogAnswers,
    openedExternally,
    recentDocuments,
    ipcHandler: (channel) => ipcHandlers.get(channel),
    utilityProcesses,
    ipcMessages: () => ipcMessages,
    dispose: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
