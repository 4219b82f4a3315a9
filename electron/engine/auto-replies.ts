/**
 * Automatic replies on connections: which responder answers where (a listener's setting for its
 * clients, or a connection's own), and the host each one sends through, which stops reading from
 * a peer that does not read the replies.
 */
import type net from 'node:net';
import type { CommandArgs } from '../../shared/contract';
import type { ResponderConfig } from '../../shared/model';
import { fail, ok, type Result } from '../../shared/result';
import { updateReading, type EngineCore } from './engine-core';
import type { Endings } from './endings';
import { sendRefusal, type ConnectionEntry } from './entries';
import { createResponder, type ResponderHost } from './responders';

/** Automatic replies queued beyond this in a socket's send buffer stop reading from its peer. */
const AUTO_BACKLOG_BYTES = 1 << 20;

export class AutoReplies {
  constructor(
    private readonly core: EngineCore,
    private readonly endings: Endings,
  ) {}

  setResponder({ target, responder }: CommandArgs<'setResponder'>): Result<ResponderConfig> {
    const config = responder as ResponderConfig;
    if ('listenerId' in target) {
      const listener = this.core.listeners.get(target.listenerId);
      if (!listener) return fail({ code: 'NOT_FOUND', message: `No running listener has id ${target.listenerId}.` });
      if (listener.info.relay) return fail({ code: 'NOT_SUPPORTED', message: 'A relay forwards its clients to the target; it cannot also answer them automatically.' });
      listener.info.responder = config.kind === 'off' ? undefined : config;
      listener.responderShared = { counter: 0 };
      this.core.emit({ type: 'listener-updated', listener: { ...listener.info } });
      // Current clients follow the listener too, unless they have a setting of their own.
      for (const client of listener.clients) {
        if (!client.info.responder && client.info.state !== 'closed') this.startResponder(client, config);
      }
      return ok(config);
    }
    const entry = this.core.connections.get(target.connectionId);
    if (!entry) return fail({ code: 'NOT_FOUND', message: `No connection has id ${target.connectionId}.` });
    if (entry.info.state === 'closed') return fail({ code: 'CLOSED', message: 'This connection is closed; nothing will answer on it.' });
    if (entry.relay || entry.udp) {
      return fail({ code: 'NOT_SUPPORTED', message: 'Auto-replies answer TCP, TLS and Unix socket connections, not relay pairs or UDP sockets.' });
    }
    // "Off" on a connection is a setting of its own: it silences its listener's auto-reply there.
    entry.info.responder = config;
    this.startResponder(entry, config);
    this.core.emit({ type: 'connection-updated', connection: { ...entry.info } });
    return ok(config);
  }

  /** Replaces the connection's running responder with one for this config. */
  startResponder(entry: ConnectionEntry, config: ResponderConfig): void {
    this.endings.retireResponder(entry);
    const host: ResponderHost = {
      sendAuto: (bytes) => {
        if (sendRefusal(entry)) return 'closed';
        void this.core.write(entry, bytes, true);
        return this.checkAutoBacklog(entry) ? 'full' : 'ok';
      },
      whenWritable: (callback) => whenWritable(entry, callback),
      holdInput: (hold) => {
        if (entry.holds.responder === hold) return;
        entry.holds.responder = hold;
        updateReading(entry);
      },
      end: () => {
        if (!sendRefusal(entry)) this.endings.closeConnection({ connectionId: entry.info.id, mode: 'end' });
      },
      programUpdated: (info) => {
        // A program replaced by a newer one still reports its exit, unless the newer one is a
        // program too: the record shows the program that runs now.
        if (entry.programHost && entry.programHost !== host && entry.info.program?.state === 'running') return;
        entry.programHost = host;
        entry.info.program = info;
        // A program that exits after its closed connection was removed must not bring it back.
        if (this.core.connections.has(entry.info.id)) this.core.emit({ type: 'connection-updated', connection: { ...entry.info } });
      },
    };
    entry.responder = createResponder(config, host, entry.listener?.responderShared);
  }

  /**
   * True when automatic replies have filled the send buffer past AUTO_BACKLOG_BYTES: the peer
   * is not reading them. Reading from the peer then stops until the buffer drains, so a peer that
   * sends and never reads cannot make us queue replies without bound.
   */
  private checkAutoBacklog(entry: ConnectionEntry): boolean {
    const socket = entry.socket as net.Socket;
    if (socket.writableLength < AUTO_BACKLOG_BYTES) return false;
    if (!entry.holds.autoFull) {
      entry.holds.autoFull = true;
      updateReading(entry);
      whenWritable(entry, () => {
        entry.holds.autoFull = false;
        updateReading(entry);
      });
    }
    return true;
  }
}

/** Calls back once the connection's send buffer has drained (soon, if it is not full). */
function whenWritable(entry: ConnectionEntry, callback: () => void): void {
  const socket = entry.socket as net.Socket;
  if (!socket.writableNeedDrain || socket.destroyed) {
    queueMicrotask(callback);
    return;
  }
  entry.drainWaiters.push(callback);
  // One 'drain' listener per connection, however many wait on it.
  if (entry.drainWaiters.length === 1) {
    socket.once('drain', () => {
      for (const waiter of entry.drainWaiters.splice(0)) waiter();
    });
  }
}
