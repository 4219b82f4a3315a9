/**
 * The sandboxed preload: exposes InspectorApi on window.socketInspector as named functions, one
 * per command (each documented on InspectorApi in shared/contract.ts). ipcRenderer and the
 * MessagePort never reach the page. Commands, event batches and acknowledgements travel as the
 * wire's binary frames over a MessagePort straight to the engine process, the same frames the
 * browser host carries over its WebSocket; IPC only asks the main process for that port and
 * hears when the engine process stops.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_KEY, Channels, type EngineStatus } from '../shared/channels';
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

contextBridge.exposeInMainWorld(BRIDGE_KEY, client.api);
