/**
 * A replay as server: a listener whose every client gets the captured server's chunks, each
 * after the client has sent what the captured client had by then. Each client is played by a
 * session that is its connection's responder, so it hears the client's bytes and FIN through
 * the same path auto-replies do, and ends with the connection however it ends.
 */
import type net from 'node:net';
import { formatHostPort } from '../../shared/format';
import type { ListenerInfo } from '../../shared/model';
import type { Result } from '../../shared/result';
import type { Connections } from './connections';
import type { EngineCore } from './engine-core';
import type { Endings } from './endings';
import { acceptedPeer, type ConnectionEntry, type ListenerEntry } from './entries';
import type { Listeners } from './listeners';
import { ReplayPlayer, type PlayOutcome, type ReplayOptions } from './replay-player';
import type { Responder } from './responders';
import type { ReplayPlan } from './replay-source';
import type { TaskControl } from './tasks';

export class ServerReplay {
  /** Sessions whose connections are still open, playing or done. */
  private readonly sessions = new Set<ServerSession>();
  private listener: ListenerEntry | undefined;
  private control: TaskControl | undefined;
  /** Clients accepted so far. */
  private served = 0;
  /** The newest client: the task's progress is its progress. */
  private current: ServerSession | undefined;
  private stopping = false;

  constructor(
    readonly core: EngineCore,
    private readonly connections: Connections,
    private readonly listeners: Listeners,
    readonly endings: Endings,
    readonly plan: ReplayPlan,
    readonly options: ReplayOptions,
  ) {}

  /** Starts the listener (port 0: any free port); its clients are this replay's. */
  listen(host: string, port: number): Promise<Result<ListenerInfo>> {
    return this.listeners.listenTcp(host, port, { transport: 'tcp' }, undefined, (listener, socket) => this.accept(listener, socket));
  }

  /** Runs as the task: until stopped, or until its listener is stopped and its last client gone. */
  run(control: TaskControl, listenerId: string): void {
    this.control = control;
    this.listener = this.core.listeners.get(listenerId);
    const where = this.listener ? formatHostPort(this.listener.info.address, this.listener.info.port) : '';
    this.setStatus(`listening on ${where}: waiting for a client`, true);
    // 'close' comes once the listener stopped and the clients it kept are gone.
    this.listener?.server.once('close', () => {
      if (!control.running) return;
      this.setStatus(`${this.clientsWord()} served; the listener was stopped`, true);
      control.finish('stopped');
    });
  }

  /** Stop: the listener stops and its replay clients are closed. */
  stop(): void {
    this.stopping = true;
    const id = this.listener?.info.id;
    if (id && this.core.listeners.has(id)) this.listeners.stopListener({ listenerId: id, closeClients: true });
    // Clients the listener no longer holds (it was stopped and kept them) go too.
    for (const s of this.sessions) s.close();
    this.setStatus(`stopped: ${this.clientsWord()} served`, true);
  }

  /** At shutdown: every session stops; the engine closes the listener and sockets itself. */
  shutdown(): void {
    this.stopping = true;
    for (const s of this.sessions) s.stopPlaying();
    this.control?.finish('stopped');
  }

  private accept(listener: ListenerEntry, socket: net.Socket): void {
    const entry = this.connections.register(socket, {
      origin: 'accepted',
      transport: 'tcp',
      listenerId: listener.info.id,
      remote: acceptedPeer(socket, listener),
      state: 'open',
    });
    this.listeners.adopt(listener, entry);
    this.served += 1;
    const session = new ServerSession(this, entry, this.served);
    // Before the first 'data' event: the session hears every byte the client sends.
    entry.responder = session;
    this.sessions.add(session);
    this.current = session;
    this.core.emit({ type: 'connection-opened', connection: { ...entry.info } });
    this.core.emit({ type: 'listener-updated', listener: { ...listener.info } });
    if (this.control) {
      const replay = this.control.info.replay!;
      replay.clients = this.served;
      replay.chunksSent = 0;
      replay.bytesSent = 0;
      this.control.info.sent = 0;
    }
    void session.run();
  }

  /** A session's progress; the newest client's is the task's. */
  progress(session: ServerSession, force: boolean): void {
    const control = this.control;
    if (!control || session !== this.current || !control.running) return;
    const replay = control.info.replay!;
    replay.chunksSent = session.player.chunksSent;
    replay.bytesSent = session.player.bytesSent;
    replay.status = `client ${session.number}: ${session.player.status}`;
    control.info.sent = session.player.chunksSent;
    control.update(force);
  }

  /** A session's connection closed (or another responder took it over). */
  forget(session: ServerSession): void {
    this.sessions.delete(session);
  }

  /** A session finished playing: its last words become the task's, while the task waits for more clients. */
  ended(session: ServerSession, words: string): void {
    if (this.stopping || session !== this.current) return;
    session.player.status = words;
    this.progress(session, true);
  }

  private setStatus(status: string, force: boolean): void {
    const control = this.control;
    if (!control) return;
    control.info.replay!.status = status;
    control.info.replay!.clients = this.served;
    control.update(force);
  }

  private clientsWord(): string {
    return `${this.served} client${this.served === 1 ? '' : 's'}`;
  }
}

/** One client of a server replay, played as its connection's responder. */
class ServerSession implements Responder {
  readonly player: ReplayPlayer;
  /** Set when the client finished sending: calling it lets our side close after our last bytes. */
  private finished: (() => void) | undefined;
  /** Playing ended: a FIN from the client now only needs our side closed. */
  private over = false;
  /** The connection went (closed, or another responder replaced this one). */
  private gone = false;

  constructor(
    private readonly owner: ServerReplay,
    readonly entry: ConnectionEntry,
    readonly number: number,
  ) {
    // Waiting for the client's bytes is always on as server: the mock answers requests, not time.
    this.player = new ReplayPlayer(owner.core, owner.plan, entry, { ...owner.options, waitForReplies: true }, false, () => owner.progress(this, false));
  }

  async run(): Promise<void> {
    let outcome: PlayOutcome;
    try {
      outcome = await this.player.play();
    } catch (err) {
      outcome = { state: 'failed', message: `The replay stopped unexpectedly: ${err instanceof Error ? err.message : String(err)}` };
    }
    this.over = true;
    const summary = this.player.summary();
    if (outcome.state === 'done') {
      if (outcome.closed) {
        this.owner.ended(this, `done: ${summary}; then ${outcome.closed}`);
      } else if (this.finished) {
        // The client already sent FIN: its connection closes after our last bytes, as any client's does.
        this.finished();
        this.owner.ended(this, `done: ${summary}; closed after the client did`);
      } else if (outcome.fin) {
        this.owner.endings.closeConnection({ connectionId: this.entry.info.id, mode: 'end' });
        this.owner.ended(this, `done: ${summary}; closed (FIN) as the captured server did`);
      } else {
        this.owner.ended(this, `done: ${summary}; left open (the captured server did not close)`);
      }
      return;
    }
    if (outcome.state === 'failed') this.owner.ended(this, `${outcome.message} (${summary})`);
    else if (this.gone && this.entry.info.state === 'closed') this.owner.ended(this, `the client's connection closed: ${summary}`);
    else if (this.gone) this.owner.ended(this, `another auto-reply took over this client: ${summary}`);
    else this.owner.ended(this, `stopped: ${summary}`);
  }

  /** Stops playing; the connection is left to whoever ends it. */
  stopPlaying(): void {
    this.player.stop();
  }

  /** Stops playing and closes the client (the replay was stopped). */
  close(): void {
    this.player.stop();
    if (this.entry.info.state === 'closed' || this.entry.socket.destroyed) return;
    this.entry.localClose = 'listener-stopped';
    this.entry.socket.destroy();
  }

  onData(): void {
    this.player.wake.notify();
  }

  onPeerEnd(finished: () => void): void {
    this.finished = finished;
    if (this.over) finished();
    else this.player.wake.notify();
  }

  dispose(): void {
    this.gone = true;
    this.player.stop();
    this.owner.forget(this);
  }
}
