/**
 * The sandboxed preload: exposes InspectorApi on window.socketInspector as named functions, one
 * per command (each documented on InspectorApi in shared/contract.ts). ipcRenderer and the
 * MessagePort never reach the page. Commands, event batches and acknowledgements travel as the
 * wire's binary frames over a MessagePort straight to the engine process, the same frames the
 * browser host carries over its WebSocket; IPC only asks the main process for that port, hears
 * when the engine process stops, carries the menu's actions to the page and the page's theme
 * choice to the main process.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_KEY, Channels, type EngineStatus } from '../shared/channels';
import type { InspectorApi } from '../shared/contract';
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
};

contextBridge.exposeInMainWorld(BRIDGE_KEY, api);
