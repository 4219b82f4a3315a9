/**
 * Listeners on TCP addresses (plain or TLS) and Unix socket paths: starting and stopping them,
 * saying who holds an address in use, and taking in their clients.
 */
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { CommandArgs } from '../../shared/contract';
import { formatHostPort } from '../../shared/format';
import type { ListenerInfo, ListenerTlsInfo } from '../../shared/model';
import { fail, ok, type ErrorInfo, type Result } from '../../shared/result';
import type { AutoReplies } from './auto-replies';
import type { Connections } from './connections';
import type { EngineCore } from './engine-core';
import { acceptedPeer, family, type ConnectionEntry, type ListenerEntry } from './entries';
import { explainError } from './errors';
import { findPortHolder } from './ports';
import { inspectSocketPath, notASocket, removeStaleSocket } from './socket-path';
import { generateSelfSigned, loadPemFiles, tlsDetails, type PemPair } from './tls';

/**
 * Connections the kernel may hold complete but not yet accepted (it caps this at
 * net.core.somaxconn, 4,096 on current Linux). Node's default of 511 drops the SYNs of a burst
 * of clients while the engine is busy, and each dropped SYN costs its client a one-second
 * retransmission: a tool that takes floods of connections should queue them instead.
 */
export const LISTEN_BACKLOG = 4096;

/** Takes in a listener's new client. */
type AcceptClient = (listener: ListenerEntry, socket: net.Socket) => void;

export class Listeners {
  private nextListenerId = 1;

  constructor(
    private readonly core: EngineCore,
    private readonly connections: Connections,
    private readonly replies: AutoReplies,
  ) {}

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

  /**
   * A listener on a TCP address (plain, TLS or relay): port in use explained with its holder.
   * A relay passes its own accept, which pairs each client with the target: listeners need not
   * know about relays.
   */
  listenTcp(
    host: string,
    port: number,
    kind: Pick<ListenerInfo, 'transport'> & Partial<Pick<ListenerInfo, 'tls' | 'relay' | 'halfOpen'>>,
    server?: net.Server,
    accept?: AcceptClient,
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
      accept,
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

  /** Starts a server on a TCP address or a socket path and registers it as a listener. */
  private listenOn(
    where: net.ListenOptions,
    describe: (server: net.Server) => Pick<ListenerInfo, 'transport' | 'requestedHost' | 'requestedPort' | 'address' | 'port' | 'family'> &
      Partial<Pick<ListenerInfo, 'tls' | 'relay' | 'halfOpen'>>,
    explain: (err: Error) => Promise<ErrorInfo>,
    server: net.Server = net.createServer({ allowHalfOpen: true }),
    accept: AcceptClient = (listener, socket) => this.accept(listener, socket),
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
        if (server instanceof tls.Server) server.on('secureConnection', (socket: tls.TLSSocket) => accept(entry, socket));
        else server.on('connection', (socket) => accept(entry, socket));
        server.on('error', () => {
          // After listening, a server error is per accept (EMFILE and such); the server goes on.
        });
        this.core.emit({ type: 'listener-started', listener: { ...entry.info } });
        resolve(ok({ ...entry.info }));
      };
      server.once('error', onError);
      server.once('listening', onListening);
      try {
        server.listen({ ...where, backlog: LISTEN_BACKLOG });
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

  private accept(listener: ListenerEntry, socket: net.Socket): void {
    const unix = listener.info.transport === 'unix';
    const entry = this.connections.register(socket, {
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
  adopt(listener: ListenerEntry, entry: ConnectionEntry): void {
    entry.listener = listener;
    listener.clients.add(entry);
    entry.counted = true;
    listener.info.clientCount += 1;
    listener.info.acceptedCount += 1;
    this.connections.markOpen(entry, false);
  }

  /** At shutdown: every listener stops, and every socket it accepted goes, handshake done or not. */
  closeAll(): Array<Promise<void>> {
    const servers = [...this.core.listeners.values()].map((l) => {
      const closed = new Promise<void>((r) => l.server.close(() => r()));
      for (const raw of l.raw) raw.destroy();
      return closed;
    });
    this.core.listeners.clear();
    return servers;
  }
}
