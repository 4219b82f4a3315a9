import path from 'node:path';
import type { CommandArgs, CommandName, CommandResults } from '../../shared/contract';
import type {
  ChunkData,
  ChunkPage,
  ConnectionInfo,
  EventBatch,
  ListenerInfo,
  PortEntry,
  RemovedTotals,
  ResponderConfig,
  SavedState,
  Settings,
  Snapshot,
  TaskInfo,
} from '../../shared/model';
import { fail, ok, type Result } from '../../shared/result';
import { AutoReplies } from './auto-replies';
import { defaultBatcherOptions, type BatcherOptions } from './batcher';
import { DEFAULT_CAPTURE_BUDGET } from './capture';
import { Connections } from './connections';
import { EngineCore, type Subscription } from './engine-core';
import { Endings } from './endings';
import { Inspection } from './inspection';
import { Listeners } from './listeners';
import { endProcess, listListeningPorts } from './ports';
import { RelayPairs } from './relay-pairs';
import { SavedStore } from './saved';
import { RepeatTasks } from './tasks';
import { multicastInterfaces } from './udp';
import { UdpSockets } from './udp-sockets';
import { CaptureFiles, readWorkspaceFile } from './capture-files';
import { Replays } from './replay';

export type { Subscription } from './engine-core';
export { MAX_CLOSED_RECORDS } from './endings';

/** Engine settings; every field has a sensible default. */
export interface EngineOptions {
  /** Bytes of chunk payload kept across all connections (default 256 MiB). */
  captureBudgetBytes?: number;
  /** Folder for saved messages and history; without one they last for the run only. */
  dataDir?: string;
  batcher?: Partial<BatcherOptions>;
  /** Closed connection records kept before the oldest are removed (default MAX_CLOSED_RECORDS). */
  maxClosedRecords?: number;
  /** How long our last bytes may sit unread after both FINs (default 30 s). */
  endLingerMs?: number;
  /** Folder in which uploads and exports kept for download get a private folder (default: the OS temp folder). */
  filesDir?: string;
}

/**
 * Owns every listener and connection, records their chunks within a byte budget, and streams
 * what happens to subscribers in acknowledged batches. Plain Node: no Electron here.
 * Each capability lives in a module of its own; the Engine builds them, hands each the others
 * it needs, and answers the commands through them.
 */
export class Engine {
  private readonly core: EngineCore;
  private readonly endings: Endings;
  private readonly replies: AutoReplies;
  private readonly connections: Connections;
  private readonly listeners: Listeners;
  private readonly relays: RelayPairs;
  private readonly udp: UdpSockets;
  private readonly tasks: RepeatTasks;
  private readonly saved: SavedStore;
  private readonly inspection: Inspection;
  private readonly files: CaptureFiles;
  private readonly replays: Replays;

  constructor(options: EngineOptions = {}) {
    this.core = new EngineCore(options.captureBudgetBytes ?? DEFAULT_CAPTURE_BUDGET, { ...defaultBatcherOptions, ...options.batcher });
    this.endings = new Endings(this.core, options.maxClosedRecords, options.endLingerMs);
    this.replies = new AutoReplies(this.core, this.endings);
    this.connections = new Connections(this.core, this.endings);
    this.listeners = new Listeners(this.core, this.connections, this.replies);
    this.relays = new RelayPairs(this.core, this.listeners, this.connections);
    this.udp = new UdpSockets(this.core, this.endings);
    this.tasks = new RepeatTasks(this.core);
    this.saved = new SavedStore(options.dataDir ? path.join(options.dataDir, 'saved.json') : undefined);
    this.inspection = new Inspection(this.core);
    this.files = new CaptureFiles(this.core, this.endings, options.filesDir);
    this.replays = new Replays(this.core, this.connections, this.listeners, this.tasks, this.endings);
  }

  /** Exports and uploads kept for the browser host (files the page uploads, exports it downloads). */
  get fileStore(): CaptureFiles['store'] {
    return this.files.store;
  }

  /** The private folder the capture spills payloads to, while it has one. */
  get captureFolder(): string | undefined {
    return this.core.capture.directory;
  }

  /** Receives every event from now on, in batches. Call ack(batch.id) after applying each. */
  subscribe(deliver: (batch: EventBatch) => void): Subscription {
    return this.core.subscribe(deliver);
  }

  /**
   * One handler per command; the mapped type makes a command without a handler a compile error.
   */
  private readonly handlers: { [K in CommandName]: (args: CommandArgs<K>) => Result<CommandResults[K]> | Promise<Result<CommandResults[K]>> } = {
    getSnapshot: () => ok(this.snapshot()),
    startListener: (a) => this.startListener(a),
    stopListener: (a) => this.stopListener(a),
    connect: (a) => this.connect(a),
    send: (a) => this.send(a),
    closeConnection: (a) => this.closeConnection(a),
    getChunks: (a) => this.getChunks(a),
    getChunkData: (a) => this.getChunkData(a),
    setSettings: (a) => this.setSettings(a),
    broadcast: (a) => this.broadcast(a),
    startRepeat: (a) => this.startRepeat(a),
    stopTask: (a) => this.stopTask(a),
    getSaved: () => this.getSaved(),
    setSaved: (a) => this.setSaved(a),
    listenUnix: (a) => this.listenUnix(a),
    connectUnix: (a) => this.connectUnix(a),
    bindUdp: (a) => this.bindUdp(a),
    sendUdp: (a) => this.sendUdp(a),
    udpMembership: (a) => this.udpMembership(a),
    startRelay: (a) => this.startRelay(a),
    relayControl: (a) => this.relayControl(a),
    relayInject: (a) => this.relayInject(a),
    removeClosed: (a) => this.removeClosed(a),
    setResponder: (a) => this.setResponder(a),
    listPorts: () => this.listPorts(),
    endProcess: (a) => this.endProcess(a),
    getRows: (a) => this.inspection.getRows(a),
    readStream: (a) => this.inspection.readStream(a),
    decodeRange: (a) => this.inspection.decodeRange(a),
    checksumRange: (a) => this.inspection.checksumRange(a),
    startSearch: (a) => this.inspection.startSearch(a),
    cancelSearch: (a) => this.inspection.cancelSearch(a),
    getSearchMatches: (a) => this.inspection.getSearchMatches(a),
    exportCapture: (a) => this.files.exportCapture(a),
    openCapture: (a) => this.files.openCapture(a),
    cancelFileJob: (a) => this.files.cancel(a),
    clearCapture: (a) => this.files.clearCapture(a),
    startReplay: (a) => this.replays.start(a),
    readWorkspaceFile: (a) => readWorkspaceFile(a.filePath),
  };

  /** Runs a command whose arguments were already parsed by the contract's schema. */
  async execute<K extends CommandName>(name: K, args: CommandArgs<K>): Promise<Result<CommandResults[K]>> {
    const handler = this.handlers[name] as ((args: CommandArgs<K>) => Result<CommandResults[K]> | Promise<Result<CommandResults[K]>>) | undefined;
    if (!handler) return fail({ code: 'UNKNOWN_COMMAND', message: `Unknown command "${String(name)}"` });
    return handler(args);
  }

  snapshot(): Snapshot {
    return {
      listeners: [...this.core.listeners.values()].map((l) => ({ ...l.info })),
      connections: [...this.core.connections.values()].map((c) => ({ ...c.info })),
      settings: this.settings(),
      tasks: this.tasks.list(),
      interfaces: multicastInterfaces(),
      removed: { ...this.endings.removed },
      jobs: this.files.list(),
    };
  }

  settings(): Settings {
    return { captureBudgetBytes: this.core.capture.budgetBytes };
  }

  setSettings({ captureBudgetMiB }: CommandArgs<'setSettings'>): Result<Settings> {
    this.core.reportEvictions(this.core.capture.setBudget(captureBudgetMiB * 1024 * 1024));
    return ok(this.settings());
  }

  startListener(args: CommandArgs<'startListener'>): Promise<Result<ListenerInfo>> {
    return this.listeners.startListener(args);
  }

  listenUnix(args: CommandArgs<'listenUnix'>): Promise<Result<ListenerInfo>> {
    return this.listeners.listenUnix(args);
  }

  bindUdp(args: CommandArgs<'bindUdp'>): Promise<Result<ConnectionInfo>> {
    return this.udp.bindUdp(args);
  }

  sendUdp(args: CommandArgs<'sendUdp'>): Promise<Result<{ bytes: number }>> {
    return this.udp.sendUdp(args);
  }

  udpMembership(args: CommandArgs<'udpMembership'>): Result<ConnectionInfo> {
    return this.udp.udpMembership(args);
  }

  stopListener(args: CommandArgs<'stopListener'>): Result<ListenerInfo> {
    return this.listeners.stopListener(args);
  }

  connect(args: CommandArgs<'connect'>): Promise<Result<ConnectionInfo>> {
    return this.connections.connect(args);
  }

  connectUnix(args: CommandArgs<'connectUnix'>): Promise<Result<ConnectionInfo>> {
    return this.connections.connectUnix(args);
  }

  send(args: CommandArgs<'send'>): Promise<Result<{ bytes: number }>> {
    return this.connections.send(args);
  }

  broadcast(args: CommandArgs<'broadcast'>): Promise<Result<{ connections: number; bytes: number }>> {
    return this.connections.broadcast(args);
  }

  startRepeat(args: CommandArgs<'startRepeat'>): Result<TaskInfo> {
    return this.tasks.startRepeat(args);
  }

  stopTask(args: CommandArgs<'stopTask'>): Result<TaskInfo> {
    return this.tasks.stopTask(args);
  }

  setResponder(args: CommandArgs<'setResponder'>): Result<ResponderConfig> {
    return this.replies.setResponder(args);
  }

  async listPorts(): Promise<Result<PortEntry[]>> {
    try {
      const ports = await listListeningPorts();
      return ok(ports.map((p) => (p.pid === process.pid ? { ...p, self: true } : p)));
    } catch (err) {
      return fail({ code: 'PORTS_UNAVAILABLE', message: `Could not list the ports on this machine: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  async endProcess({ pid, signal }: CommandArgs<'endProcess'>): Promise<Result<{ pid: number; exited: boolean }>> {
    try {
      return ok(await endProcess(pid, signal));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return fail({ code: /No process/.test(message) ? 'ESRCH' : /Not allowed/.test(message) ? 'EPERM' : 'EINVAL', message });
    }
  }

  getSaved(): Result<SavedState> {
    return ok(this.saved.get());
  }

  setSaved(state: CommandArgs<'setSaved'>): Result<SavedState> {
    const problem = this.saved.set(state);
    return problem ? fail({ code: 'NOT_SAVED', message: problem }) : ok(state);
  }

  closeConnection(args: CommandArgs<'closeConnection'>): Result<ConnectionInfo> {
    return this.endings.closeConnection(args);
  }

  getChunks({ connectionId, fromSeq, limit }: CommandArgs<'getChunks'>): Result<ChunkPage> {
    const entry = this.core.connections.get(connectionId);
    if (!entry) return fail({ code: 'NOT_FOUND', message: `No connection has id ${connectionId}.` });
    const read = this.core.capture.read(entry.capture, fromSeq, limit);
    const peers = entry.udp?.peers;
    const chunks = peers ? read.map((c) => (peers.has(c.seq) ? { ...c, peer: peers.get(c.seq)! } : c)) : read;
    return ok({ chunks, firstKeptSeq: entry.capture.firstKeptSeq, droppedBytes: entry.capture.droppedBytes });
  }

  getChunkData({ connectionId, seq }: CommandArgs<'getChunkData'>): Result<ChunkData> {
    const entry = this.core.connections.get(connectionId);
    if (!entry) return fail({ code: 'NOT_FOUND', message: `No connection has id ${connectionId}.` });
    const data = this.core.capture.readData(entry.capture, seq);
    if (!data) {
      if (entry.capture.indexOf(seq) >= 0) {
        return fail({ code: 'READ_FAILED', message: `Chunk ${seq} is kept but its bytes could not be read back: ${this.core.capture.reason ?? 'read error'}` });
      }
      return fail({
        code: seq < entry.capture.firstKeptSeq ? 'EVICTED' : 'NOT_FOUND',
        message:
          seq < entry.capture.firstKeptSeq
            ? `Chunk ${seq} is no longer kept: the capture budget was reached and older chunks were dropped.`
            : `Connection ${connectionId} has no chunk ${seq}.`,
      });
    }
    return ok({ seq, data });
  }

  /** Stops every listener and destroys every socket; used when the app quits and by tests. */
  async shutdown(): Promise<void> {
    this.core.closed = true;
    const servers = this.listeners.closeAll();
    this.tasks.stopAll();
    this.inspection.dispose();
    this.replays.stopAll();
    this.files.dispose();
    this.endings.destroyAll();
    this.core.dispose();
    // Programs get their SIGTERM, and SIGKILL after the grace period: none outlives the engine.
    await Promise.all([...servers, ...this.endings.programsExiting]);
  }

  startRelay(args: CommandArgs<'startRelay'>): Promise<Result<ListenerInfo>> {
    return this.relays.startRelay(args);
  }

  relayControl(args: CommandArgs<'relayControl'>): Result<ConnectionInfo> {
    return this.relays.relayControl(args);
  }

  relayInject(args: CommandArgs<'relayInject'>): Result<{ bytes: number }> {
    return this.relays.relayInject(args);
  }

  removeClosed(args: CommandArgs<'removeClosed'>): Result<{ removed: number; totals: RemovedTotals }> {
    return this.endings.removeClosed(args);
  }
}
