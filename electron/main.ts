/**
 * The Electron main process: windows, the menu, dialogs and the security defaults of Electron's own
 * checklist (context isolation, sandbox, no Node in the page, a strict CSP, pages from our own
 * app:// scheme instead of file://, navigation and new windows denied). The engine runs in its
 * own process (a utilityProcess); each page talks to it over a MessagePort, so no byte of
 * traffic passes through here. Files are the page's to open and save; here are only the save
 * dialog, the Open Recent list, and the files the app is asked to open (command line, a second
 * launch, macOS's Finder), handed to the page once it has loaded. This file stays thin.
 */
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, nativeTheme, protocol, screen, session, shell, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { Channels } from '../shared/channels';
import type { OpenFileRequest } from '../shared/contract';
import { fail, ok, type Result } from '../shared/result';
import { APP_INDEX_URL, APP_SCHEME, CONTENT_SECURITY_POLICY, serveRendererRequest } from './app-protocol';
import { EngineHost } from './engine-host';
import { bindIpc, sentByOurPage } from './ipc';
import { installApplicationMenu, sendOpenFile } from './menu';
import { openFileKind, openFileRequestsFromArgv, parseOpenFileRequest, parseSuggestedName, RECENT_FILES_FILE, RecentFiles, saveFilters } from './recent-files';
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

const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

// --- Files: Open Recent, files the app is asked to open, the save dialog -----------------------

const recentFiles = new RecentFiles(path.join(app.getPath('userData'), RECENT_FILES_FILE), (err) =>
  console.error(`Socket Inspector: the list of recent files could not be saved (${reasonOf(err)}).`),
);
// The system's own recent list (the Dock, the taskbar's jump list) exists on macOS and Windows only.
const systemKeepsRecent = process.platform === 'darwin' || process.platform === 'win32';

function installMenu(): void {
  installApplicationMenu({ platform: process.platform, packaged: app.isPackaged, mainWindow: () => mainWindow, recent: recentFiles.list(), onClearRecent: clearRecentFiles });
}

/** The page opened a file: first in Open Recent. `value` is unchecked (it comes from the page). */
function noteRecentFile(value: unknown): void {
  if (!recentFiles.add(value)) return;
  if (systemKeepsRecent) app.addRecentDocument(recentFiles.list()[0]!.path);
  installMenu();
}

function clearRecentFiles(): void {
  if (systemKeepsRecent) app.clearRecentDocuments();
  if (recentFiles.clear()) installMenu();
}

/** Files the app was asked to open that its page has not been handed yet (a bounded few). */
const pendingOpens: OpenFileRequest[] = [];
const MAX_PENDING_OPENS = 20;
/** The window whose page has loaded, so the preload is there to take requests (it holds them until the page listens). */
let loadedWindow: BrowserWindow | null = null;
// `electron .` puts the app's folder after the executable; an installed app has only the executable.
const argvSkip = process.defaultApp ? 2 : 1;

function openFiles(requests: readonly OpenFileRequest[]): void {
  for (const request of requests) if (pendingOpens.length < MAX_PENDING_OPENS) pendingOpens.push(request);
  const win = mainWindow;
  if (!win || loadedWindow !== win) return;
  while (pendingOpens.length > 0 && sendOpenFile(win, pendingOpens[0]!)) pendingOpens.shift();
}

/**
 * The window an IPC message came from when it is the main frame of our window showing our page,
 * else null: the same check bindIpc makes (ipc.ts), for the channels of files.
 */
function ourWindowOf(event: IpcMainEvent | IpcMainInvokeEvent): BrowserWindow | null {
  const win = mainWindow;
  if (!win || win.isDestroyed()) return null;
  return sentByOurPage(event, win.webContents) ? win : null;
}

/** Where the save dialog starts: the folder saved to last (this run), else Downloads. */
let lastSaveFolder: string | null = null;
function defaultSavePath(name: string): string {
  try {
    return path.join(lastSaveFolder ?? app.getPath('downloads'), name);
  } catch {
    return name;
  }
}

async function chooseSavePath(event: IpcMainInvokeEvent, suggestedName: unknown): Promise<Result<string | null>> {
  const win = ourWindowOf(event);
  const url = event.senderFrame?.url;
  if (!win) return fail({ code: 'FORBIDDEN', message: `Refused a request from ${url ? JSON.stringify(url.slice(0, 200)) : 'an unknown frame'}: only the Socket Inspector window may use the inspector.` });
  const name = parseSuggestedName(suggestedName);
  if (!name) return fail({ code: 'INVALID_INPUT', message: 'The suggested name must be a file name without a folder, of 1 to 255 characters.' });
  try {
    const { canceled, filePath } = await dialog.showSaveDialog(win, {
      defaultPath: defaultSavePath(name),
      filters: saveFilters(name),
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    });
    if (canceled || !filePath) return ok(null);
    lastSaveFolder = path.dirname(filePath);
    return ok(filePath);
  } catch (err) {
    return fail({ code: 'DIALOG_FAILED', message: `The save dialog could not be shown (${reasonOf(err)}).` });
  }
}

function bindFileIpc(): void {
  ipcMain.handle(Channels.app.chooseSavePath, chooseSavePath);
  ipcMain.on(Channels.app.recentFileOpened, (event: IpcMainEvent, request: unknown) => {
    if (ourWindowOf(event)) noteRecentFile(request);
  });
}

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
  trackWindowState(win, stateFile, { onError: (err) => console.error(`Socket Inspector: the window's size and place could not be saved (${reasonOf(err)}).`) });
  win.webContents.on('did-finish-load', () => {
    loadedWindow = win;
    openFiles([]);
  });
  win.once('ready-to-show', () => {
    if (place.maximized) win.maximize();
    win.show();
  });
  win.on('closed', () => {
    disposeIpc?.();
    disposeIpc = null;
    if (mainWindow === win) mainWindow = null;
    if (loadedWindow === win) loadedWindow = null;
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

/** Set once the app can open windows (after whenReady's setup). */
let ready = false;

if (!app.requestSingleInstanceLock()) {
  // Another Socket Inspector is running: it gets focus (below), this one leaves.
  app.quit();
} else {
  // Files named on our command line, or on a second launch's (which then leaves), and files
  // macOS's Finder opens with the app (possibly before it is ready) go to the page.
  openFiles(openFileRequestsFromArgv(process.argv, process.cwd(), argvSkip));
  app.on('second-instance', (_event, argv, workingDirectory) => {
    openFiles(openFileRequestsFromArgv(argv, workingDirectory, argvSkip));
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('open-file', (event, file) => {
    event.preventDefault();
    const kind = openFileKind(file);
    const request = kind ? parseOpenFileRequest({ kind, path: file }) : null;
    if (!request) return;
    openFiles([request]);
    if (ready && !mainWindow) createWindow();
  });
  if (process.platform === 'win32') app.setAppUserModelId('dev.socketinspector.app');
  app.enableSandbox();
  app
    .whenReady()
    .then(() => {
      protocol.handle(APP_SCHEME, (request) => serveRendererRequest(request, rendererDir));
      installSessionPolicy();
      engine.start();
      bindFileIpc();
      installMenu();
      createWindow();
      ready = true;
      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0) createWindow();
      });
    })
    .catch((err: unknown) => {
      dialog.showErrorBox('Socket Inspector could not start', err instanceof Error ? err.message : String(err));
      app.quit();
    });
}
