/**
 * The Electron main process: windows, the menu, dialogs and the security defaults of Electron's own
 * checklist (context isolation, sandbox, no Node in the page, a strict CSP, pages from our own
 * app:// scheme instead of file://, navigation and new windows denied). The engine runs in its
 * own process (a utilityProcess); each page talks to it over a MessagePort, so no byte of
 * traffic passes through here. This file stays thin.
 */
import path from 'node:path';
import { app, BrowserWindow, dialog, nativeTheme, protocol, screen, session, shell, type WebContents } from 'electron';
import { APP_INDEX_URL, APP_SCHEME, CONTENT_SECURITY_POLICY, serveRendererRequest } from './app-protocol';
import { EngineHost } from './engine-host';
import { bindIpc } from './ipc';
import { installApplicationMenu } from './menu';
import { createQuitFlow, onQuitSignals } from './shutdown';
import { placeWindow, readWindowState, trackWindowState, windowStateFile } from './window-state';

// esbuild bundles this file to dist/electron/main.cjs, so __dirname is dist/electron.
const rendererDir = path.join(__dirname, '..', 'renderer');
const preloadPath = path.join(__dirname, 'preload.cjs');

// Standard: relative URLs, origins and storage work as on https. Secure: a secure context.
// Nothing else (no fetch from other origins, no CORS, no service workers). Must happen before
// the app is ready.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);

// Saved messages and history live beside the app's other per-user data.
const engine = new EngineHost(path.join(__dirname, 'engine.cjs'), app.getPath('userData'));
let mainWindow: BrowserWindow | null = null;
let disposeIpc: (() => void) | null = null;

/** Only web links leave the app, and they go to the user's browser, never into our window. */
function openExternally(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    return;
  }
  if (protocol === 'http:' || protocol === 'https:') {
    shell.openExternal(url).catch(() => {
      // No browser to hand it to: nothing useful to tell the user from here.
    });
  }
}

function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event) => {
    if (event.url === contents.getURL()) return;
    event.preventDefault();
    openExternally(event.url);
  });
  contents.on('will-redirect', (event) => {
    if (event.url !== contents.getURL()) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternally(url);
    return { action: 'deny' };
  });
}

function createWindow(): void {
  // Where it was last time, if that is still on a screen.
  const stateFile = windowStateFile(app.getPath('userData'));
  const size = { width: 1280, height: 800, minWidth: 720, minHeight: 480 };
  const place = placeWindow(readWindowState(stateFile), screen.getAllDisplays(), size);
  const win = new BrowserWindow({
    title: 'Socket Inspector',
    ...(place.x !== undefined && place.y !== undefined ? { x: place.x, y: place.y } : {}),
    width: place.width,
    height: place.height,
    minWidth: size.minWidth,
    minHeight: size.minHeight,
    show: false,
    // The page's own background in the system's theme, so the window does not flash the other one.
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#0f1419' : '#f6f8fa',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  mainWindow = win;
  disposeIpc = bindIpc({ engine, window: win });
  trackWindowState(win, stateFile, { onError: (err) => console.error(`Socket Inspector: the window's size and place could not be saved (${err instanceof Error ? err.message : String(err)}).`) });
  win.once('ready-to-show', () => {
    if (place.maximized) win.maximize();
    win.show();
  });
  win.on('closed', () => {
    disposeIpc?.();
    disposeIpc = null;
    if (mainWindow === win) mainWindow = null;
  });
  win.loadURL(APP_INDEX_URL).catch((err: unknown) => {
    win.show();
    dialog.showErrorBox(
      'Socket Inspector cannot show its window',
      `The interface could not be loaded from ${path.join(rendererDir, 'index.html')}.\n\n` +
        `Build it first with "npm run build".\n\n(${err instanceof Error ? err.message : String(err)})`,
    );
  });
}

function installSessionPolicy(): void {
  const ses = session.defaultSession;
  // Our scheme's responses carry the CSP themselves; this covers any other response.
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  // The inspector needs no camera, notifications, clipboard reads or anything else a page may
  // ask for; it only writes to the clipboard (Copy on an expanded chunk).
  ses.setPermissionRequestHandler((_contents, permission, callback) => callback(permission === 'clipboard-sanitized-write'));
  ses.setPermissionCheckHandler((_contents, permission) => permission === 'clipboard-sanitized-write');
}

// Quitting from the window and SIGINT, SIGTERM or SIGHUP take one path: hold the quit, stop the
// engine (sockets, programs, the capture's temporary folder), then leave, within 5 s whatever
// peers do.
const quitFlow = createQuitFlow({
  stop: () => engine.stop(),
  quit: () => app.quit(),
  exit: (code) => app.exit(code),
  warn: (message) => console.error(`Socket Inspector: ${message}`),
});
app.on('before-quit', (event) => {
  if (!quitFlow.beforeQuit()) event.preventDefault();
});
onQuitSignals(process, (signal) => quitFlow.signal(signal));

app.on('window-all-closed', () => app.quit());
app.on('web-contents-created', (_event, contents) => lockDown(contents));

if (!app.requestSingleInstanceLock()) {
  // Another Socket Inspector is running: it gets focus (below), this one leaves.
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  if (process.platform === 'win32') app.setAppUserModelId('dev.socketinspector.app');
  app.enableSandbox();
  app
    .whenReady()
    .then(() => {
      protocol.handle(APP_SCHEME, (request) => serveRendererRequest(request, rendererDir));
      installSessionPolicy();
      engine.start();
      installApplicationMenu({ platform: process.platform, packaged: app.isPackaged, mainWindow: () => mainWindow });
      createWindow();
      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0) createWindow();
      });
    })
    .catch((err: unknown) => {
      dialog.showErrorBox('Socket Inspector could not start', err instanceof Error ? err.message : String(err));
      app.quit();
    });
}
