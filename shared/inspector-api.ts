/**
 * What the renderer sees of a host (InspectorApi), and the messages between a page and the
 * engine. The commands' schemas and results are in contract.ts, which re-exports all of this.
 */
import type { CommandInput } from './contract';
import type { CommandName } from './channels';
import type { ChunkData, ChunkPage, ConnectionInfo, EventBatch, FileJob, ListenerInfo, PortEntry, RemovedTotals, ResponderConfig, SavedState, Settings, Snapshot, TaskInfo } from './model';
import type { Result } from './result';
import type { RowPage } from './reading';
import type { SearchMatch, SearchProgress } from './search';
import type { Decoded } from './decoded';
import type { Checksums } from './inspect';
import type { ShortcutAction, ThemeSource } from './shortcuts';

/**
 * Messages on the wire between a page and the engine: binary frames (see wire.ts), over the
 * browser host's WebSocket or the desktop app's MessagePort alike.
 */
export type WireClientMessage =
  | { kind: 'command'; id: number; name: CommandName; args: unknown }
  | { kind: 'ack'; batchId: number };
export type WireServerMessage =
  | { kind: 'result'; id: number; result: Result<unknown> }
  | { kind: 'batch'; batch: EventBatch };

/** A file the desktop app asks the page to open (Open Recent, a file opened with the app). */
export interface OpenFileRequest {
  kind: 'capture' | 'workspace';
  /** Absolute path on this machine. */
  path: string;
}

/** How the page's link to the engine stands, for the UI to show. */
export type LinkState = 'connecting' | 'open' | 'closed';

/** A change of the link, with what the person should know about it. */
export interface LinkStatus {
  state: LinkState;
  /** Why the link closed, in words. */
  detail?: string;
  /** Set when the host can start the engine again (restartEngine). */
  canRestart?: boolean;
}

/**
 * What the renderer sees of a host. One implementation per host (preload bridge, WebSocket);
 * the rest of the renderer does not know which one it has.
 */
export interface InspectorApi {
  /** Listeners and connections as they are now. */
  getSnapshot(): Promise<Result<Snapshot>>;
  /** Starts a TCP listener; port 0 picks a free port (the result says which). */
  startListener(args: CommandInput<'startListener'>): Promise<Result<ListenerInfo>>;
  /** Stops accepting; its clients stay open unless closeClients is true. */
  stopListener(args: CommandInput<'stopListener'>): Promise<Result<ListenerInfo>>;
  /** Opens a TCP connection; resolves once connected, or with the reason it failed. */
  connect(args: CommandInput<'connect'>): Promise<Result<ConnectionInfo>>;
  /** Writes bytes to a connection; they are recorded as an out chunk. */
  send(args: CommandInput<'send'>): Promise<Result<{ bytes: number }>>;
  /** Closes gracefully (end: sends FIN) or resets (reset: sends RST). */
  closeConnection(args: CommandInput<'closeConnection'>): Promise<Result<ConnectionInfo>>;
  /** Reads a connection's recorded chunks from fromSeq on. */
  getChunks(args: CommandInput<'getChunks'>): Promise<Result<ChunkPage>>;
  /** The full bytes of one recorded chunk (events and pages carry only a preview of large ones). */
  getChunkData(args: CommandInput<'getChunkData'>): Promise<Result<ChunkData>>;
  /** Changes settings for this run; a smaller capture budget evicts the oldest chunks at once. */
  setSettings(args: CommandInput<'setSettings'>): Promise<Result<Settings>>;
  /** Sets the auto-responder of a listener (for all its clients) or of one connection. */
  setResponder(args: CommandInput<'setResponder'>): Promise<Result<ResponderConfig>>;
  /** Sends the same bytes to every open client of a listener. */
  broadcast(args: CommandInput<'broadcast'>): Promise<Result<{ connections: number; bytes: number }>>;
  /** Sends bytes N times, or every intervalMs until stopped, to a connection or a listener's clients. */
  startRepeat(args: CommandInput<'startRepeat'>): Promise<Result<TaskInfo>>;
  /** Stops a repeat task. */
  stopTask(args: CommandInput<'stopTask'>): Promise<Result<TaskInfo>>;
  /** The listening TCP and UDP sockets on this machine, with their owners where visible. */
  listPorts(args: CommandInput<'listPorts'>): Promise<Result<PortEntry[]>>;
  /** Signals a process (after the user confirmed); says whether it has exited. */
  endProcess(args: CommandInput<'endProcess'>): Promise<Result<{ pid: number; exited: boolean }>>;
  /** Saved messages and send history, kept across restarts. */
  getSaved(args: CommandInput<'getSaved'>): Promise<Result<SavedState>>;
  /** Replaces the saved messages and send history. */
  setSaved(args: CommandInput<'setSaved'>): Promise<Result<SavedState>>;
  /** Listens on a Unix domain socket path (a named pipe on Windows); removeStale clears a dead server's file first. */
  listenUnix(args: CommandInput<'listenUnix'>): Promise<Result<ListenerInfo>>;
  /** Connects to a Unix domain socket path (a named pipe on Windows). */
  connectUnix(args: CommandInput<'connectUnix'>): Promise<Result<ConnectionInfo>>;
  /** Binds a UDP socket; each datagram it receives is one chunk, with its sender. */
  bindUdp(args: CommandInput<'bindUdp'>): Promise<Result<ConnectionInfo>>;
  /** Sends one datagram from a bound UDP socket to host:port. */
  sendUdp(args: CommandInput<'sendUdp'>): Promise<Result<{ bytes: number }>>;
  /** Joins or leaves a multicast group on a bound UDP socket. */
  udpMembership(args: CommandInput<'udpMembership'>): Promise<Result<ConnectionInfo>>;
  /** Listens on host:port and forwards each client to the target, showing both directions. */
  startRelay(args: CommandInput<'startRelay'>): Promise<Result<ListenerInfo>>;
  /** Pauses or resumes one direction of a relay pair, or sets its latency and bandwidth limit. */
  relayControl(args: CommandInput<'relayControl'>): Promise<Result<ConnectionInfo>>;
  /** Sends bytes into one direction of a relay pair, as if that side had sent them. */
  relayInject(args: CommandInput<'relayInject'>): Promise<Result<{ bytes: number }>>;
  /** Forgets closed connections (one, a listener's, or all) and their captures; totals stay exact. */
  removeClosed(args: CommandInput<'removeClosed'>): Promise<Result<{ removed: number; totals: RemovedTotals }>>;
  /**
   * Rows of a connection's traffic read as chunks, lines, one stream per direction or frames,
   * with a decoder's one-line summary when asked; brings the reading up to date first.
   */
  getRows(args: CommandInput<'getRows'>): Promise<Result<RowPage>>;
  /** Bytes of one direction's stream (stream offsets), with the chunk boundaries inside them. */
  readStream(args: CommandInput<'readStream'>): Promise<Result<{ start: number; data: Uint8Array; boundaries: number[] }>>;
  /** Decodes a range of one direction's stream (JSON, MessagePack, CBOR, protobuf, …). */
  decodeRange(args: CommandInput<'decodeRange'>): Promise<Result<{ decoded: Decoded | null; bytes: number }>>;
  /** CRC-32, CRC-16/MODBUS, CRC-16/CCITT-FALSE, sum-8 and XOR-8 of a range of one direction's stream. */
  checksumRange(args: CommandInput<'checksumRange'>): Promise<Result<{ checksums: Checksums; bytes: number }>>;
  /** Starts searching the capture; progress comes as search-progress events. */
  startSearch(args: CommandInput<'startSearch'>): Promise<Result<{ searchId: string }>>;
  /** Stops a running search; the matches found so far are kept. */
  cancelSearch(args: CommandInput<'cancelSearch'>): Promise<Result<SearchProgress>>;
  /** A search's matches (all, or one connection's), in capture order. */
  getSearchMatches(args: CommandInput<'getSearchMatches'>): Promise<Result<{ matches: SearchMatch[]; total: number; progress: SearchProgress }>>;
  /**
   * Exports connections (one, a listener's or relay's, an opened file's, or all) as pcapng,
   * NDJSON, a transcript or raw bytes; progress comes as file-job events.
   */
  exportCapture(args: CommandInput<'exportCapture'>): Promise<Result<FileJob>>;
  /** Opens a pcap or pcapng file: each stream becomes a read-only connection; progress comes as file-job events. */
  openCapture(args: CommandInput<'openCapture'>): Promise<Result<FileJob>>;
  /** Stops a running export (its file is not kept) or open (what was read so far is kept). */
  cancelFileJob(args: CommandInput<'cancelFileJob'>): Promise<Result<FileJob>>;
  /** Forgets the captured bytes of connections, keeping the connections and their counters. */
  clearCapture(args: CommandInput<'clearCapture'>): Promise<Result<{ connections: number; bytes: number }>>;
  /** Replays a connection's client side against a server, or serves its server side to new clients; stopTask stops it. */
  startReplay(args: CommandInput<'startReplay'>): Promise<Result<TaskInfo>>;
  /** Reads a workspace file by its path (desktop: Open Recent, a file opened with the app); at most MAX_WORKSPACE_FILE_BYTES. */
  readWorkspaceFile(args: CommandInput<'readWorkspaceFile'>): Promise<Result<{ name: string; text: string }>>;
  /** Browser host: sends a file to the host for openCapture, reporting bytes sent. */
  uploadFile?(file: Blob, onProgress?: (sent: number) => void): Promise<Result<{ fileId: string }>>;
  /** Browser host: where the page downloads an export the host kept (FileJob.fileId). */
  downloadUrl?(fileId: string, name: string): string;
  /** Desktop: the path of a file the user chose or dropped. */
  pathForFile?(file: File): string;
  /** Desktop: asks where to save, with the system's dialog; null when the user cancelled. */
  chooseSavePath?(suggestedName: string): Promise<string | null>;
  /**
   * Receives event batches. The listener must call ack(batch.id) once the batch is applied:
   * the engine pauses sockets while too much is unacknowledged. Returns an unsubscribe.
   */
  onEvents(listener: (batch: EventBatch) => void): () => void;
  /** Acknowledges a batch so the engine may send more. */
  ack(batchId: number): void;
  /** Tells the listener how the link to the engine stands, now and on every change. Returns an unsubscribe. */
  onLink(listener: (status: LinkStatus) => void): () => void;
  /** Starts the engine again after it stopped (only where the host can: the desktop app). */
  restartEngine?(): Promise<Result<{ restarted: true }>>;
  /** Desktop only: the application menu asks the page for an action. Returns an unsubscribe. */
  onMenuCommand?(listener: (action: ShortcutAction) => void): () => void;
  /**
   * Desktop only: the menu (Open Recent) or a file opened with the app asks the page to open a
   * file by its path. Returns an unsubscribe.
   */
  onOpenFile?(listener: (request: OpenFileRequest) => void): () => void;
  /** Desktop only: the page opened this file (chosen, dropped, recent or opened with the app), so Open Recent lists it. */
  noteRecentFile?(request: OpenFileRequest): void;
  /** Desktop only: which theme the window uses, so native menus and dialogs follow it. */
  setThemeSource?(source: ThemeSource): void;
}
