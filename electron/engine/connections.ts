/**
 * Stream connections (TCP, TLS and Unix sockets): dialing out, watching each socket whether it was
 * dialed or accepted, and sending on them.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { CommandArgs } from '../../shared/contract';
import { formatHostPort } from '../../shared/format';
import type { ConnectionInfo } from '../../shared/model';
import { fail, ok, type Result } from '../../shared/result';
import type { EngineCore } from './engine-core';
import type { Endings } from './endings';
import { endpoint, family, newConnectionInfo, newEntryState, openClients, sendRefusal, unwrapError, type ConnectionEntry } from './entries';
import { explainError } from './errors';
import { defaultCaCertificates, explainTlsError, loadCaFile, tlsDetails } from './tls';

export class Connections {
  constructor(
    private readonly core: EngineCore,
    private readonly endings: Endings,
  ) {}

  async connect({ host, port, timeoutMs, tls: tlsOptions }: CommandArgs<'connect'>): Promise<Result<ConnectionInfo>> {
    const remote = { address: host, port, family: family(undefined, host) };
    if (!tlsOptions) return this.dial({ host, port }, { transport: 'tcp', remote, remoteHost: host }, timeoutMs, formatHostPort(host, port));
    const servername = tlsOptions.servername || (net.isIP(host) ? undefined : host);
    // A trusted CA file adds to the CAs trusted anyway; it does not replace them.
    let ca: string[] | undefined;
    if (tlsOptions.caPath) {
      try {
        ca = [...defaultCaCertificates(), ...(await loadCaFile(tlsOptions.caPath))];
      } catch (err) {
        return fail(explainTlsError(err, { host, port }));
      }
    }
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
            ...(ca ? { ca } : {}),
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

  register(
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
      // A relay forwards first and records after, so recording never delays the forward path
      // (the buffer is not changed by either: the pipe writes it, the record keeps it).
      entry.relay?.c2s.push(buf);
      this.core.record(entry, 'in', buf);
      // After the chunk is recorded, so an automatic reply always follows what it answers.
      entry.responder?.onData(buf);
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
      // A connection that ends during the handshake is a TLS matter too: Node reports a peer
      // that closes (FIN) before it finishes as ECONNRESET, which is not a reset.
      const tlsFailure =
        /^(ERR_SSL|ERR_TLS|CERT_|DEPTH_|UNABLE_|SELF_SIGNED|EPROTO)/.test(code) || (op === 'connect' && code === 'ECONNRESET');
      entry.info.error =
        entry.info.transport === 'unix'
          ? explainError(e, { op, path: entry.info.origin === 'accepted' ? entry.info.local?.address : remote.address })
          : entry.info.transport === 'tls' && tlsFailure
            ? explainTlsError(e, { host: entry.info.remoteHost ?? remote.address, port: remote.port })
            : explainError(e, { op, host: entry.info.remoteHost ?? remote.address, port: remote.port });
    });
    socket.on('close', () => this.endings.onClose(entry));
    return entry;
  }

  markOpen(entry: ConnectionEntry, announce = true): void {
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
}
