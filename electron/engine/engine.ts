import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import type { CommandArgs, CommandName, CommandResults } from '../../shared/contract';
import type {
  ChunkData,
  ChunkPage,
  ConnectionInfo,
  EventBatch,
  ListenerInfo,
  ListenerTlsInfo,
  PortEntry,
  RelayDirectionInfo,
  RelayPairInfo,
  RemovedTotals,
  ResponderConfig,
  SavedState,
  Settings,
  Snapshot,
  TaskInfo,
} from '../../shared/model';
import { fail, ok, type ErrorInfo, type Result } from '../../shared/result';
import { defaultBatcherOptions, type BatcherOptions } from './batcher';
import { DEFAULT_CAPTURE_BUDGET } from './capture';
import { formatHostPort } from '../../shared/format';
import { AutoReplies } from './auto-replies';
import { EngineCore, updateRelayReading, type Subscription } from './engine-core';
import { Endings } from './endings';
import { explainError } from './errors';
import { explainTlsError, generateSelfSigned, loadPemFiles, tlsDetails, type PemPair } from './tls';
import { endProcess, findPortHolder, listListeningPorts } from './ports';
import {
  acceptedPeer,
  endpoint,
  family,
  newConnectionInfo,
  newEntryState,
  openClients,
  sendRefusal,
  unwrapError,
  type ConnectionEntry,
  type ListenerEntry,
} from './entries';
import { Pipe } from './relay';
import { SavedStore } from './saved';
import { inspectSocketPath, notASocket, removeStaleSocket } from './socket-path';
import { RepeatTasks } from './tasks';
import { multicastInterfaces } from './udp';
import { UdpSockets } from './udp-sockets';

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
  /** How long our last bytes may sit unread after both FINs (default END_LINGER_MS). */
  endLingerMs?: number;
}

/**
 * Owns every listener and connection, records their chunks within a byte budget, and streams
 * what happens to subscribers in acknowledged batches. Plain Node: no Electron here.
 */
export class Engine {
  private readonly core: EngineCore;
  private readonly endings: Endings;
  private readonly replies: AutoReplies;
  private readonly udp: UdpSockets;
  private readonly tasks: RepeatTasks;
  private nextListenerId = 1;
  private readonly saved: SavedStore;

  constructor(options: EngineOptions = {}) {
    this.core = new EngineCore(options.captureBudgetBytes ?? DEFAULT_CAPTURE_BUDGET, { ...defaultBatcherOptions, ...options.batcher });
    this.endings = new Endings(this.core, options.maxClosedRecords, options.endLingerMs);
    this.replies = new AutoReplies(this.core, this.endings);
    this.udp = new UdpSockets(this.core, this.endings);
    this.tasks = new RepeatTasks(this.core);
    this.saved = new SavedStore(options.dataDir ? path.join(options.dataDir, 'saved.json') : undefined);
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
    };
  }

  settings(): Settings {
    return { captureBudgetBytes: this.core.capture.budgetBytes };
  }

  setSettings({ captureBudgetMiB }: CommandArgs<'setSettings'>): Result<Settings> {
    this.core.reportEvictions(this.core.capture.setBudget(captureBudgetMiB * 1024 * 1024));
    return ok(this.settings());
  }

  async startListener({ host, port, tls: tlsOptions, halfOpen }: CommandArgs<'startListener'>): Promise<Result<ListenerInfo>> {
    let server: net.Server | undefined;
    let tlsInfo: ListenerTlsInfo | undefined;
    if (tlsOptions) {
      let pem: PemPair;
      try {
        pem =
          tlsOptions.certificate === 'self-signed'
            ? await generateSelfSigned()
            : await loadPemFiles(tlsOptions.certificate.certPath, tlsOptions.certificate.keyPath);
      } catch (err) {
        return fail({ code: 'TLS_CERTIFICATE', message: err instanceof Error ? err.message : String(err) });
      }
      const x509 = new X509Certificate(pem.cert);
      tlsInfo = {
        selfSigned: tlsOptions.certificate === 'self-signed' || x509.subject === x509.issuer,
        subject: x509.subject.replace(/\n/g, ', '),
        fingerprint256: x509.fingerprint256,
        requestClientCert: tlsOptions.requestClientCert,
      };
      // Client certificates are requested, not required: the connection shows what was sent.
      server = tls.createServer({ cert: pem.cert, key: pem.key, requestCert: tlsOptions.requestClientCert, rejectUnauthorized: false, allowHalfOpen: true });
    }
    const kind = tlsInfo ? { transport: 'tls' as const, tls: tlsInfo } : { transport: 'tcp' as const };
    return this.listenTcp(host, port, halfOpen ? { ...kind, halfOpen } : kind, server);
  }

  /** A listener on a TCP address (plain, TLS or relay): port in use explained with its holder. */
  private listenTcp(
    host: string,
    port: number,
    kind: Pick<ListenerInfo, 'transport'> & Partial<Pick<ListenerInfo, 'tls' | 'relay' | 'halfOpen'>>,
    server?: net.Server,
  ): Promise<Result<ListenerInfo>> {
    return this.listenOn(
      { host, port },
      (srv) => {
        const addr = srv.address() as net.AddressInfo;
        return { ...kind, requestedHost: host, requestedPort: port, address: addr.address, port: addr.port, family: family(addr.family, addr.address) };
      },
      async (err) => {
        const explained = explainError(err, { op: 'listen', host, port });
        return explained.code === 'EADDRINUSE' ? this.explainPortInUse(explained, host, port) : explained;
      },
      server,
    );
  }

  async listenUnix({ path: socketPath, removeStale, halfOpen }: CommandArgs<'listenUnix'>): Promise<Result<ListenerInfo>> {
    if (removeStale) {
      const state = await inspectSocketPath(socketPath);
      if (state.kind === 'other') return fail(notASocket(socketPath, state.what));
      if (state.kind === 'stale') {
        try {
          const changed = await removeStaleSocket(socketPath, state);
          if (changed) return fail(changed);
        } catch (err) {
          return fail(explainError(err, { op: 'listen', path: socketPath }));
        }
      }
    }
    return this.listenOn(
      { path: socketPath },
      () => ({ transport: 'unix', requestedHost: socketPath, requestedPort: 0, address: socketPath, port: 0, family: 'unix', ...(halfOpen ? { halfOpen } : {}) }),
      async (err) => {
        const explained = explainError(err, { op: 'listen', path: socketPath });
        if (explained.code !== 'EADDRINUSE') return explained;
        const state = await inspectSocketPath(socketPath);
        if (state.kind === 'other') return notASocket(socketPath, state.what);
        if (state.kind !== 'stale') return explained;
        return {
          code: 'STALE_SOCKET',
          message: `A socket file is left at ${socketPath} by a server that is no longer running (nothing accepts connections on it).`,
          hint: 'Remove the stale file and listen again.',
        };
      },
    );
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

  /** Starts a server on a TCP address or a socket path and registers it as a listener. */
  private listenOn(
    where: net.ListenOptions,
    describe: (server: net.Server) => Pick<ListenerInfo, 'transport' | 'requestedHost' | 'requestedPort' | 'address' | 'port' | 'family'> &
      Partial<Pick<ListenerInfo, 'tls' | 'relay' | 'halfOpen'>>,
    explain: (err: Error) => Promise<ErrorInfo>,
    server: net.Server = net.createServer({ allowHalfOpen: true }),
  ): Promise<Result<ListenerInfo>> {
    if (this.core.closed) return Promise.resolve(fail({ code: 'SHUT_DOWN', message: 'The engine is shutting down.' }));
    return new Promise((resolve) => {
      const onError = (err: Error) => {
        server.removeListener('listening', onListening);
        server.close();
        void explain(err).then((e) => resolve(fail(e)));
      };
      const onListening = () => {
        server.removeListener('error', onError);
        const entry: ListenerEntry = {
          server,
          clients: new Set(),
          responderShared: { counter: 0 },
          raw: new Set(),
          info: {
            id: `L${this.nextListenerId++}`,
            ...describe(server),
            state: 'listening',
            startedAt: Date.now(),
            clientCount: 0,
            acceptedCount: 0,
          },
        };
        this.core.listeners.set(entry.info.id, entry);
        server.on('connection', (raw: net.Socket) => {
          entry.raw.add(raw);
          raw.once('close', () => entry.raw.delete(raw));
        });
        // A TLS server's clients count once their handshake is done; a failed handshake is not a connection.
        if (server instanceof tls.Server) server.on('secureConnection', (socket: tls.TLSSocket) => this.accept(entry, socket));
        else server.on('connection', (socket) => this.accept(entry, socket));
        server.on('error', () => {
          // After listening, a server error is per accept (EMFILE and such); the server goes on.
        });
        this.core.emit({ type: 'listener-started', listener: { ...entry.info } });
        resolve(ok({ ...entry.info }));
      };
      server.once('error', onError);
      server.once('listening', onListening);
      try {
        server.listen(where);
      } catch (err) {
        onError(err as Error);
      }
    });
  }

  stopListener({ listenerId, closeClients }: CommandArgs<'stopListener'>): Result<ListenerInfo> {
    const entry = this.core.listeners.get(listenerId);
    if (!entry) return fail({ code: 'NOT_FOUND', message: `No running listener has id ${listenerId}.` });
    this.core.listeners.delete(listenerId);
    entry.info.state = 'stopped';
    // server.close() stops accepting at once but calls back only when every client is gone:
    // stopping must not wait on clients the user chose to keep.
    entry.server.close();
    if (closeClients) {
      for (const client of entry.clients) {
        client.localClose = 'listener-stopped';
        client.socket.destroy();
      }
    }
    this.core.emit({ type: 'listener-stopped', listener: { ...entry.info } });
    return ok({ ...entry.info });
  }

  connect({ host, port, timeoutMs, tls: tlsOptions }: CommandArgs<'connect'>): Promise<Result<ConnectionInfo>> {
    const remote = { address: host, port, family: family(undefined, host) };
    if (!tlsOptions) return this.dial({ host, port }, { transport: 'tcp', remote, remoteHost: host }, timeoutMs, formatHostPort(host, port));
    const servername = tlsOptions.servername || (net.isIP(host) ? undefined : host);
    return this.dial(
      { host, port },
      { transport: 'tls', remote, remoteHost: host },
      timeoutMs,
      formatHostPort(host, port),
      {
        // Verification is done here rather than by Node, so a refused certificate's chain can
        // still be shown to the user.
        open: () =>
          tls.connect({
            host,
            port,
            servername,
            ALPNProtocols: tlsOptions.alpn.length ? tlsOptions.alpn : undefined,
            rejectUnauthorized: false,
            // Checked below, against the name the user expects.
            checkServerIdentity: (_host, cert) => tls.checkServerIdentity(servername ?? host, cert),
          }),
        verify: tlsOptions.verify,
      },
    );
  }

  connectUnix({ path: socketPath, timeoutMs }: CommandArgs<'connectUnix'>): Promise<Result<ConnectionInfo>> {
    return this.dial({ path: socketPath }, { transport: 'unix', remote: { address: socketPath, port: 0, family: 'unix' } }, timeoutMs, socketPath);
  }

  /** Opens an outgoing connection and resolves once it is open, or with why it is not. */
  private dial(
    where: net.NetConnectOpts,
    init: Pick<ConnectionInfo, 'transport' | 'remote'> & Partial<ConnectionInfo>,
    timeoutMs: number,
    label: string,
    secure?: { open: () => tls.TLSSocket; verify: boolean },
  ): Promise<Result<ConnectionInfo>> {
    if (this.core.closed) return Promise.resolve(fail({ code: 'SHUT_DOWN', message: 'The engine is shutting down.' }));
    return new Promise((resolve) => {
      const socket = secure ? secure.open() : new net.Socket({ allowHalfOpen: true });
      const entry = this.register(socket, { origin: 'outgoing', state: 'connecting', ...init });
      let settled = false;
      const timer = setTimeout(() => {
        const err = Object.assign(new Error(`connect ETIMEDOUT ${label}`), { code: 'ETIMEDOUT' });
        socket.destroy(err);
      }, timeoutMs);
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        if (secure) {
          const tlsSocket = socket as tls.TLSSocket;
          entry.info.tls = tlsDetails(tlsSocket);
          if (secure.verify && !tlsSocket.authorized) {
            // Refused: the record keeps the chain, and the error says why and where to see it.
            const reason = Object.assign(new Error(String(tlsSocket.authorizationError)), {
              code: String(tlsSocket.authorizationError),
              cert: tlsSocket.getPeerCertificate(),
            });
            entry.info.error = { ...explainTlsError(reason, { host: entry.info.remoteHost, port: entry.info.remote.port }), connectionId: entry.info.id };
            socket.destroy();
            return;
          }
        }
        settled = true;
        this.markOpen(entry);
        resolve(ok({ ...entry.info }));
      });
      socket.once('close', () => {
        clearTimeout(timer);
        if (!settled) {
          settled = true;
          resolve(fail(entry.info.error ?? { code: 'ECONNABORTED', message: `Connecting to ${label} was cancelled.` }));
        }
      });
      this.core.emit({ type: 'connection-opened', connection: { ...entry.info } });
      try {
        // tls.connect has already started connecting.
        if (!secure) socket.connect(where);
      } catch (err) {
        socket.destroy(err as Error);
      }
    });
  }

  async send({ connectionId, data }: CommandArgs<'send'>): Promise<Result<{ bytes: number }>> {
    const entry = this.core.connections.get(connectionId);
    if (!entry) return fail({ code: 'NOT_FOUND', message: `No connection has id ${connectionId}.` });
    const refused = sendRefusal(entry);
    if (refused) return fail(refused);
    if (data.byteLength === 0) return fail({ code: 'EMPTY', message: 'Nothing to send: the message is empty.' });
    const error = await this.core.write(entry, data, false);
    return error ? fail(error) : ok({ bytes: data.byteLength });
  }

  async broadcast({ listenerId, data }: CommandArgs<'broadcast'>): Promise<Result<{ connections: number; bytes: number }>> {
    const listener = this.core.listeners.get(listenerId);
    if (!listener) return fail({ code: 'NOT_FOUND', message: `No running listener has id ${listenerId}.` });
    if (data.byteLength === 0) return fail({ code: 'EMPTY', message: 'Nothing to send: the message is empty.' });
    const targets = openClients(listener);
    if (targets.length === 0) {
      return fail({ code: 'NO_CLIENTS', message: `No open client of ${formatHostPort(listener.info.address, listener.info.port)} to send to.` });
    }
    await Promise.all(targets.map((c) => this.core.write(c, data, false)));
    return ok({ connections: targets.length, bytes: data.byteLength * targets.length });
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

  /** Names who holds a port: one of our own listeners, or another process when the OS shows it. */
  private async explainPortInUse(error: ErrorInfo, host: string, port: number): Promise<ErrorInfo> {
    const ours = [...this.core.listeners.values()].find((l) => l.info.port === port);
    if (ours) {
      return {
        ...error,
        message: `Port ${port} is already in use: this app's own listener on ${formatHostPort(ours.info.address, port)} holds it.`,
        hint: 'Stop that listener first, or choose another port (0 picks a free one).',
      };
    }
    const holder = await findPortHolder(port, host).catch(() => null);
    if (!holder) return error;
    return {
      ...error,
      holder,
      message: `Port ${port} is already in use: it is held by ${holder.name}, pid ${holder.pid}.`,
      hint: `Choose another port (port 0 picks a free one), or end ${holder.name} if you no longer need it.`,
    };
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
    const servers = [...this.core.listeners.values()].map((l) => {
      const closed = new Promise<void>((r) => l.server.close(() => r()));
      for (const raw of l.raw) raw.destroy();
      return closed;
    });
    this.core.listeners.clear();
    this.tasks.stopAll();
    this.endings.destroyAll();
    this.core.dispose();
    // Programs get their SIGTERM, and SIGKILL after the grace period: none outlives the engine.
    await Promise.all([...servers, ...this.endings.programsExiting]);
  }

  async startRelay({ host, port, targetHost, targetPort, timeoutMs }: CommandArgs<'startRelay'>): Promise<Result<ListenerInfo>> {
    const result = await this.listenTcp(host, port, { transport: 'tcp', relay: { targetHost, targetPort } });
    // Set before any client can arrive: accepts come in later turns of the event loop.
    if (result.ok) this.core.listeners.get(result.value.id)!.relayTimeoutMs = timeoutMs;
    return result;
  }

  relayControl({ connectionId, direction, ...settings }: CommandArgs<'relayControl'>): Result<ConnectionInfo> {
    const entry = this.core.connections.get(connectionId);
    if (!entry?.relay) return fail({ code: 'NOT_FOUND', message: `No relay pair has id ${connectionId}.` });
    const clean = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    entry.relay[direction].configure(clean);
    this.syncRelay(entry, true);
    return ok({ ...entry.info });
  }

  relayInject({ connectionId, direction, data }: CommandArgs<'relayInject'>): Result<{ bytes: number }> {
    const entry = this.core.connections.get(connectionId);
    if (!entry?.relay) return fail({ code: 'NOT_FOUND', message: `No relay pair has id ${connectionId}.` });
    if (entry.info.state === 'closed') return fail({ code: 'CLOSED', message: 'This relay pair is closed.' });
    const upstream = entry.relay.upstreamState;
    if (upstream === 'failed' || upstream === 'closed') {
      return fail({
        code: 'NO_TARGET',
        message: upstream === 'failed' ? 'This pair has no target: the relay could not reach it.' : 'This pair has no target any more: the target closed its side.',
      });
    }
    if (data.byteLength === 0) return fail({ code: 'EMPTY', message: 'Nothing to send: the message is empty.' });
    const bytes = new Uint8Array(data);
    this.core.record(entry, direction === 'c2s' ? 'in' : 'out', bytes, true);
    entry.relay[direction].push(bytes);
    return ok({ bytes: bytes.byteLength });
  }

  /** A relay's client: connect to the target, then forward both ways through two pipes. */
  private acceptRelay(listener: ListenerEntry, client: net.Socket, target: { targetHost: string; targetPort: number }): void {
    const { targetHost, targetPort } = target;
    const label = formatHostPort(targetHost, targetPort);
    const direction = (): RelayDirectionInfo => ({ paused: false, latencyMs: 0, kbps: 0, queuedBytes: 0, forwardedBytes: 0, finForwarded: false });
    const entry = this.register(client, {
      origin: 'relay',
      transport: 'tcp',
      listenerId: listener.info.id,
      remote: acceptedPeer(client, listener),
      state: 'open',
      relay: { target: label, upstream: 'connecting', c2s: direction(), s2c: direction() },
    });
    this.adopt(listener, entry);
    // A deeper write buffer than the 16 KiB default, so forwarding 64 KiB reads does not stop
    // and restart the client's reads on every chunk.
    // (net.Socket passes stream options on to Duplex; its type does not list them.)
    const upstream = new net.Socket({ allowHalfOpen: true, writableHighWaterMark: 1 << 20 } as net.SocketConstructorOpts);
    upstream.setNoDelay(true);
    const updateReading = () => updateRelayReading(entry);
    const changed = () => this.syncRelay(entry, false);
    const r = {
      upstream,
      upstreamState: 'connecting' as RelayPairInfo['upstream'],
      c2s: new Pipe(() => upstream, changed, updateReading),
      s2c: new Pipe(() => client, changed, updateReading),
      lastEmit: 0,
      emitTimer: null,
    };
    entry.relay = r;
    const timer = setTimeout(() => upstream.destroy(Object.assign(new Error(`connect ETIMEDOUT ${label}`), { code: 'ETIMEDOUT' })), listener.relayTimeoutMs ?? 10_000);
    upstream.once('connect', () => {
      clearTimeout(timer);
      r.upstreamState = 'open';
      r.c2s.open();
      r.s2c.open();
      this.syncRelay(entry, true);
    });
    upstream.on('data', (buf: Buffer) => {
      this.core.record(entry, 'out', buf);
      r.s2c.push(buf);
    });
    upstream.on('end', () => r.s2c.end());
    upstream.on('error', (err) => {
      const e = unwrapError(err);
      if (r.upstreamState === 'connecting') {
        const why = explainError(e, { op: 'connect', host: targetHost, port: targetPort });
        entry.info.error = { ...why, message: `The relay could not reach its target: ${why.message}` };
        r.upstreamState = 'failed';
        // Said at once, and the client is closed cleanly (FIN, then our side goes), not reset:
        // it did nothing wrong.
        this.syncRelay(entry, true);
        r.c2s.close();
        client.end(() => client.destroy());
      } else {
        entry.info.error = explainError(e, { op: 'socket', host: targetHost, port: targetPort });
      }
    });
    upstream.on('close', (hadError) => {
      clearTimeout(timer);
      if (r.upstreamState !== 'failed') r.upstreamState = 'closed';
      // A reset from the target is passed on as a reset to the client.
      if (hadError && !client.destroyed && r.upstreamState !== 'failed') client.resetAndDestroy();
      this.syncRelay(entry, true);
    });
    client.on('close', (hadError) => {
      r.c2s.close();
      r.s2c.close();
      if (hadError) upstream.resetAndDestroy();
      else if (!upstream.destroyed) upstream.end();
    });
    this.core.emit({ type: 'connection-opened', connection: { ...entry.info } });
    this.core.emit({ type: 'listener-updated', listener: { ...listener.info } });
    upstream.connect({ host: targetHost, port: targetPort });
  }

  /** Copies the pipes' state into the record and tells subscribers, about ten times a second. */
  private syncRelay(entry: ConnectionEntry, now: boolean): void {
    const r = entry.relay;
    // A removed pair is gone for subscribers: a late update must not bring it back.
    if (!r || !entry.info.relay || !this.core.connections.has(entry.info.id)) return;
    entry.info.relay = { ...entry.info.relay, upstream: r.upstreamState, c2s: { ...r.c2s.state }, s2c: { ...r.s2c.state } };
    const t = Date.now();
    if (now || t - r.lastEmit >= 100) {
      r.lastEmit = t;
      if (r.emitTimer) clearTimeout(r.emitTimer);
      r.emitTimer = null;
      this.core.emit({ type: 'connection-updated', connection: { ...entry.info } });
    } else if (!r.emitTimer) {
      r.emitTimer = setTimeout(() => {
        r.emitTimer = null;
        this.syncRelay(entry, true);
      }, 100);
    }
  }

  private accept(listener: ListenerEntry, socket: net.Socket): void {
    if (listener.info.relay) return this.acceptRelay(listener, socket, listener.info.relay);
    const unix = listener.info.transport === 'unix';
    const entry = this.register(socket, {
      origin: 'accepted',
      transport: listener.info.transport,
      listenerId: listener.info.id,
      // A Unix client's own end is usually unnamed: the listener's path is what identifies it.
      remote: unix
        ? { address: '(unnamed client)', port: 0, family: 'unix' }
        : acceptedPeer(socket, listener),
      ...(unix ? { local: { address: listener.info.address, port: 0, family: 'unix' as const } } : {}),
      state: 'open',
    });
    // Server side: what was negotiated, and the client's certificate when one was requested and sent.
    if (socket instanceof tls.TLSSocket) entry.info.tls = tlsDetails(socket);
    this.adopt(listener, entry);
    this.core.emit({ type: 'connection-opened', connection: { ...entry.info } });
    this.core.emit({ type: 'listener-updated', listener: { ...listener.info } });
    if (listener.info.responder) this.replies.startResponder(entry, listener.info.responder);
  }

  /** A listener's new client: counted as open, and its local address read. */
  private adopt(listener: ListenerEntry, entry: ConnectionEntry): void {
    entry.listener = listener;
    listener.clients.add(entry);
    entry.counted = true;
    listener.info.clientCount += 1;
    listener.info.acceptedCount += 1;
    this.markOpen(entry, false);
  }

  private register(
    socket: net.Socket,
    init: Pick<ConnectionInfo, 'origin' | 'transport' | 'remote' | 'state'> & Partial<ConnectionInfo>,
  ): ConnectionEntry {
    const id = this.core.newConnectionId();
    const info = newConnectionInfo(id, init);
    const entry: ConnectionEntry = { info, socket, ...newEntryState(id) };
    this.core.connections.set(id, entry);
    socket.setNoDelay(true);
    if (this.core.pressured) {
      entry.holds.flow = true;
      socket.pause();
    }
    socket.on('data', (buf: Buffer) => {
      this.core.record(entry, 'in', buf);
      // After the chunk is recorded, so an automatic reply always follows what it answers.
      entry.responder?.onData(buf);
      entry.relay?.c2s.push(buf);
    });
    socket.on('end', () => {
      this.endings.onPeerEnd(entry);
      if (entry.relay) return entry.relay.c2s.end();
      const finished = () => this.endings.afterPeerFinished(entry);
      if (entry.responder) entry.responder.onPeerEnd(finished);
      else finished();
    });
    socket.on('error', (err) => {
      const e = unwrapError(err);
      const remote = entry.info.remote;
      const op = entry.info.state === 'connecting' ? 'connect' : 'socket';
      const code = String((e as NodeJS.ErrnoException)?.code ?? '');
      entry.info.error =
        entry.info.transport === 'unix'
          ? explainError(e, { op, path: entry.info.origin === 'accepted' ? entry.info.local?.address : remote.address })
          : entry.info.transport === 'tls' && /^(ERR_SSL|ERR_TLS|CERT_|DEPTH_|UNABLE_|SELF_SIGNED|EPROTO)/.test(code)
            ? explainTlsError(e, { host: entry.info.remoteHost ?? remote.address, port: remote.port })
            : explainError(e, { op, host: entry.info.remoteHost ?? remote.address, port: remote.port });
    });
    socket.on('close', () => this.endings.onClose(entry));
    return entry;
  }

  private markOpen(entry: ConnectionEntry, announce = true): void {
    const s = entry.socket as net.Socket;
    entry.info.state = 'open';
    entry.info.openedAt = Date.now();
    if (entry.info.transport === 'unix') {
      entry.info.local ??= { address: '(unnamed)', port: 0, family: 'unix' };
    } else {
      entry.info.local = endpoint(s.localAddress, s.localPort, s.localFamily);
      entry.info.remote = endpoint(s.remoteAddress, s.remotePort, s.remoteFamily) ?? entry.info.remote;
    }
    if (announce) this.core.emit({ type: 'connection-updated', connection: { ...entry.info } });
  }

  removeClosed(args: CommandArgs<'removeClosed'>): Result<{ removed: number; totals: RemovedTotals }> {
    return this.endings.removeClosed(args);
  }
}
