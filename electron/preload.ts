/**
 * The sandboxed preload: exposes InspectorApi on window.socketInspector as named functions, one
 * per command (each documented on InspectorApi in shared/contract.ts). ipcRenderer and the
 * MessagePort never reach the page. Commands, event batches and acknowledgements travel as the
 * wire's binary frames over a MessagePort straight to the engine process, the same frames the
 * browser host carries over its WebSocket; IPC only asks the main process for that port, hears
 * when the engine process stops, carries the menu's actions and files to open to the page, and
 * the page's theme choice, save dialogs and opened files to the main process.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { BRIDGE_KEY, Channels, type EngineStatus } from '../shared/channels';
import type { InspectorApi, OpenFileRequest } from '../shared/contract';
import type { Result } from '../shared/result';
import { isShortcutAction, isThemeSource, type ShortcutAction, type ThemeSource } from '../shared/shortcuts';
import { createWireClient } from '../shared/wire-client';

const client = createWireClient({
  disconnectedMessage: 'Not connected to the Socket Inspector engine.',
  restartEngine: () => ipcRenderer.invoke(Channels.engine.restart),
});

/** The page-side port Electron hands over (a DOM MessagePort). */
type RendererPort = IpcRendererEvent['ports'][number];

let port: RendererPort | null = null;

ipcRenderer.on(Channels.engine.port, (event: IpcRendererEvent) => {
  const next = event.ports[0];
  if (!next) return;
  port?.close();
  port = next;
  next.onmessage = (ev: { data: unknown }) => {
    const data = ev.data;
    if (data instanceof Uint8Array) client.receive(data);
    else if (data instanceof ArrayBuffer) client.receive(new Uint8Array(data));
  };
  client.open({ send: (frame) => next.postMessage(frame) });
});

ipcRenderer.on(Channels.engine.status, (_event: IpcRendererEvent, status: EngineStatus) => {
  if (status?.state === 'stopped') {
    port?.close();
    port = null;
    client.lost({ detail: String(status.detail), canRestart: true });
  } else if (status?.state === 'starting') {
    client.reconnecting();
  }
});

// Every load asks anew: a reloaded page gets a fresh port, and the engine forgets the old one.
ipcRenderer.send(Channels.engine.connect);

/**
 * The shape of a request to open a file: kind and a path string, copied field by field. The
 * main process checks paths fully (it can ask the platform what is absolute); this keeps junk
 * from reaching the page's listeners or the main process at all.
 */
function asOpenFileRequest(value: unknown): OpenFileRequest | null {
  if (value === null || typeof value !== 'object') return null;
  const { kind, path } = value as { kind?: unknown; path?: unknown };
  if (kind !== 'capture' && kind !== 'workspace') return null;
  if (typeof path !== 'string' || path.length === 0 || path.length >= 4096 || path.includes('\0')) return null;
  return { kind, path };
}

// Files to open are held until the page listens (the main process sends a file the app was
// started with as soon as the page has loaded, before the page has subscribed), then handed to
// every listener once the page's current work is done, so all listeners of a first render get
// them. A few at most.
const openFileListeners = new Set<{ listener: (request: OpenFileRequest) => void }>();
const heldOpenFiles: OpenFileRequest[] = [];
const MAX_HELD_OPEN_FILES = 20;
let handOverScheduled = false;

function scheduleHandOver(): void {
  if (handOverScheduled || openFileListeners.size === 0 || heldOpenFiles.length === 0) return;
  handOverScheduled = true;
  setTimeout(() => {
    handOverScheduled = false;
    if (openFileListeners.size === 0) return;
    for (const request of heldOpenFiles.splice(0)) for (const { listener } of [...openFileListeners]) listener({ ...request });
  }, 0);
}

ipcRenderer.on(Channels.app.openFile, (_event: IpcRendererEvent, value: unknown) => {
  const request = asOpenFileRequest(value);
  if (!request || heldOpenFiles.length >= MAX_HELD_OPEN_FILES) return;
  heldOpenFiles.push(request);
  scheduleHandOver();
});

const api: InspectorApi = {
  ...client.api,
  /**
   * Calls `listener` with each action the application menu asks for (an item chosen, or its
   * keys pressed). Anything on the channel that is not an action is dropped, and so is the
   * Electron event. Returns a function that stops listening.
   */
  onMenuCommand(listener: (action: ShortcutAction) => void): () => void {
    const handler = (_event: IpcRendererEvent, action: unknown) => {
      if (isShortcutAction(action)) listener(action);
    };
    ipcRenderer.on(Channels.app.menuCommand, handler);
    return () => void ipcRenderer.removeListener(Channels.app.menuCommand, handler);
  },
  /** Tells the main process the theme the user chose, so native menus and dialogs follow it. */
  setThemeSource(source: ThemeSource): void {
    if (isThemeSource(source)) ipcRenderer.send(Channels.app.theme, source);
  },
  /**
   * The path on disk of a File the user chose or dropped (Electron's webUtils); '' for a File
   * that has none (one the page made itself) or anything that is not a File.
   */
  pathForFile(file: File): string {
    try {
      return webUtils.getPathForFile(file);
    } catch {
      return '';
    }
  },
  /**
   * Asks where to save with the system's save dialog, starting from `suggestedName` (a file name
   * without a folder; its extension picks the file types offered). Resolves with the chosen
   * path, or null when the user cancelled; rejects with the reason when the main process
   * refused the name or could not show the dialog.
   */
  async chooseSavePath(suggestedName: string): Promise<string | null> {
    const result = (await ipcRenderer.invoke(Channels.app.chooseSavePath, suggestedName)) as Result<string | null>;
    if (!result.ok) throw new Error(result.message);
    return result.value;
  },
  /**
   * Calls `listener` with each file the app asks the page to open (Open Recent, a file opened
   * with the app); files that came before anyone listened are handed over once the page has
   * subscribed. Anything on the channel that is not a request is dropped, and so is the
   * Electron event. Returns a function that stops listening.
   */
  onOpenFile(listener: (request: OpenFileRequest) => void): () => void {
    const entry = { listener };
    openFileListeners.add(entry);
    scheduleHandOver();
    return () => void openFileListeners.delete(entry);
  },
  /** Tells the main process the page opened this file, so Open Recent lists it first. */
  noteRecentFile(request: OpenFileRequest): void {
    const checked = asOpenFileRequest(request);
    if (checked) ipcRenderer.send(Channels.app.recentFileOpened, checked);
  },
};

contextBridge.exposeInMainWorld(BRIDGE_KEY, api);
