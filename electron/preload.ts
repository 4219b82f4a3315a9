/**
 * The sandboxed preload: exposes InspectorApi on window.socketInspector as named functions, one
 * per command. ipcRenderer itself never reaches the page. Imports stay limited to electron and
 * the channel constants so the bundle is tiny.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import type { InspectorApi } from '../shared/contract';
import type { EventBatch } from '../shared/model';
import { BRIDGE_KEY, Channels } from '../shared/channels';

type BatchListener = (batch: EventBatch) => void;

const listeners = new Set<BatchListener>();

// Batches can arrive after the document starts but before the page registers its listener;
// keep a few so the page sees them and acknowledges them (acks are cumulative, so dropping the
// oldest when the page is very late costs nothing but those events).
const EARLY_BATCH_LIMIT = 256;
let early: EventBatch[] | null = [];

ipcRenderer.on(Channels.events, (_event: IpcRendererEvent, batch: EventBatch) => {
  if (listeners.size === 0) {
    if (early) {
      early.push(batch);
      if (early.length > EARLY_BATCH_LIMIT) early.shift();
    }
    return;
  }
  deliver(batch);
});

function deliver(batch: EventBatch): void {
  for (const listener of [...listeners]) {
    try {
      listener(batch);
    } catch (err) {
      console.error('Socket Inspector: an event listener failed', err);
    }
  }
}

const api: InspectorApi = {
  /** Listeners and connections as they are now. */
  getSnapshot: () => ipcRenderer.invoke(Channels.command.getSnapshot, {}),
  /** Starts a TCP listener; port 0 picks a free port (the result says which). */
  startListener: (args) => ipcRenderer.invoke(Channels.command.startListener, args),
  /** Stops accepting; its clients stay open unless closeClients is true. */
  stopListener: (args) => ipcRenderer.invoke(Channels.command.stopListener, args),
  /** Opens a TCP connection; resolves once connected, or with the reason it failed. */
  connect: (args) => ipcRenderer.invoke(Channels.command.connect, args),
  /** Writes bytes to a connection; they are recorded as an out chunk. */
  send: (args) => ipcRenderer.invoke(Channels.command.send, args),
  /** Closes gracefully (end: sends FIN) or resets (reset: sends RST). */
  closeConnection: (args) => ipcRenderer.invoke(Channels.command.closeConnection, args),
  /** Reads a connection's recorded chunks from fromSeq on. */
  getChunks: (args) => ipcRenderer.invoke(Channels.command.getChunks, args),
  /** The full bytes of one recorded chunk (events carry only a preview of large ones). */
  getChunkData: (args) => ipcRenderer.invoke(Channels.command.getChunkData, args),
  /** Changes settings for this run, such as the capture budget. */
  setSettings: (args) => ipcRenderer.invoke(Channels.command.setSettings, args),
  /** Sets the auto-responder of a listener (for all its clients) or of one connection. */
  setResponder: (args) => ipcRenderer.invoke(Channels.command.setResponder, args),
  /** Sends the same bytes to every open client of a listener. */
  broadcast: (args) => ipcRenderer.invoke(Channels.command.broadcast, args),
  /** Sends bytes N times, or every intervalMs until stopped. */
  startRepeat: (args) => ipcRenderer.invoke(Channels.command.startRepeat, args),
  /** Stops a repeat task. */
  stopTask: (args) => ipcRenderer.invoke(Channels.command.stopTask, args),
  /** The listening sockets on this machine, with their owners where visible. */
  listPorts: (args) => ipcRenderer.invoke(Channels.command.listPorts, args),
  /** Signals a process the user chose to end. */
  endProcess: (args) => ipcRenderer.invoke(Channels.command.endProcess, args),
  /** Saved messages and send history. */
  getSaved: (args) => ipcRenderer.invoke(Channels.command.getSaved, args),
  /** Replaces saved messages and send history. */
  setSaved: (args) => ipcRenderer.invoke(Channels.command.setSaved, args),
  /** Listens on a Unix domain socket path or named pipe. */
  listenUnix: (args) => ipcRenderer.invoke(Channels.command.listenUnix, args),
  /** Connects to a Unix domain socket path or named pipe. */
  connectUnix: (args) => ipcRenderer.invoke(Channels.command.connectUnix, args),
  /** Binds a UDP socket. */
  bindUdp: (args) => ipcRenderer.invoke(Channels.command.bindUdp, args),
  /** Sends one UDP datagram to host:port. */
  sendUdp: (args) => ipcRenderer.invoke(Channels.command.sendUdp, args),
  /** Joins or leaves a multicast group. */
  udpMembership: (args) => ipcRenderer.invoke(Channels.command.udpMembership, args),
  /** Starts a relay: listen, and forward each client to a target. */
  startRelay: (args) => ipcRenderer.invoke(Channels.command.startRelay, args),
  /** Pauses, resumes, delays or throttles one direction of a relay pair. */
  relayControl: (args) => ipcRenderer.invoke(Channels.command.relayControl, args),
  /** Injects bytes into one direction of a relay pair. */
  relayInject: (args) => ipcRenderer.invoke(Channels.command.relayInject, args),
  /** Forgets closed connections (one, a listener's, or all) and their captured bytes. */
  removeClosed: (args) => ipcRenderer.invoke(Channels.command.removeClosed, args),
  /**
   * Receives event batches without the Electron event object. The first listener also gets the
   * batches that arrived before it. Call ack(batch.id) after applying each batch. Returns an
   * unsubscribe function.
   */
  onEvents: (listener) => {
    if (typeof listener !== 'function') throw new TypeError('onEvents needs a function');
    listeners.add(listener);
    const pending = early;
    early = null;
    if (pending) for (const batch of pending) deliver(batch);
    return () => {
      listeners.delete(listener);
    };
  },
  /** Acknowledges a batch (and every earlier one) so the engine may send more. */
  ack: (batchId) => {
    ipcRenderer.send(Channels.ack, batchId);
  },
};

contextBridge.exposeInMainWorld(BRIDGE_KEY, api);
