/**
 * How connections end. However one does (peer FIN or reset, Close, Reset, an idle limit, its
 * program's exit, shutdown), the same code updates its record, frees what it held and tells
 * subscribers; closed records are then removed, and what they carried is kept in the totals.
 */
import type net from 'node:net';
import type { CommandArgs } from '../../shared/contract';
import type { ConnectionInfo, RemovedTotals } from '../../shared/model';
import { fail, ok, type Result } from '../../shared/result';
import type { EngineCore } from './engine-core';
import type { ConnectionEntry } from './entries';

/** How long our last bytes may sit unread after both sides sent FIN before the connection is dropped. */
const END_LINGER_MS = 30_000;

/** Closed connection records kept; past this many, the oldest are removed (totals stay exact). */
export const MAX_CLOSED_RECORDS = 10_000;

export class Endings {
  /** Ids of closed connections, oldest first: past MAX_CLOSED_RECORDS the oldest are removed. */
  private readonly closedIds = new Set<string>();
  readonly removed: RemovedTotals = { connections: 0, bytesIn: 0, bytesOut: 0 };
  /** Programs told to stop whose processes are not gone yet. */
  readonly programsExiting = new Set<Promise<void>>();

  constructor(
    private readonly core: EngineCore,
    private readonly maxClosedRecords = MAX_CLOSED_RECORDS,
    private readonly endLingerMs = END_LINGER_MS,
  ) {}

  closeConnection({ connectionId, mode }: CommandArgs<'closeConnection'>): Result<ConnectionInfo> {
    const entry = this.core.connections.get(connectionId);
    if (!entry) return fail({ code: 'NOT_FOUND', message: `No connection has id ${connectionId}.` });
    if (entry.info.state === 'closed') return ok({ ...entry.info });
    if (entry.udp) {
      entry.localClose = 'end';
      entry.socket.destroy();
      return ok({ ...entry.info });
    }
    if (entry.relay) {
      // Dropping a pair: both sides go, with FIN (end) or RST (reset).
      entry.localClose = mode;
      const client = entry.socket as net.Socket;
      if (mode === 'reset') {
        client.resetAndDestroy();
        entry.relay.upstream.resetAndDestroy();
      } else {
        client.end();
        entry.relay.upstream.end();
      }
      return ok({ ...entry.info });
    }
    if (mode === 'reset') {
      entry.localClose = 'reset';
      if (entry.info.state === 'connecting') entry.socket.destroy();
      else entry.socket.resetAndDestroy();
    } else if (entry.info.state === 'connecting') {
      entry.localClose = 'end';
      entry.socket.destroy();
    } else {
      entry.localClose = 'end';
      entry.socket.end();
      if (entry.info.state === 'open') {
        entry.info.state = 'half-closed';
        entry.info.halfClosedBy = 'local';
        entry.info.halfClosedAt = Date.now();
        this.core.emit({ type: 'connection-updated', connection: { ...entry.info } });
        this.uncount(entry);
      }
    }
    return ok({ ...entry.info });
  }

  onPeerEnd(entry: ConnectionEntry): void {
    // When we had already sent FIN, both sides now have: 'close' follows and finishes the record.
    if (entry.info.state === 'open') {
      entry.info.state = 'half-closed';
      entry.info.halfClosedBy = 'peer';
      entry.info.halfClosedAt = Date.now();
      this.core.emit({ type: 'connection-updated', connection: { ...entry.info } });
    }
    this.uncount(entry);
  }

  /**
   * The peer of a listener's client sent FIN and its responder has nothing more to send. By
   * default our side closes too, after what we are still sending, as the tutorial servers do;
   * a listener that keeps connections half-open closes them once idle too long. Outgoing
   * connections stay half-open: the user opened them and decides.
   */
  afterPeerFinished(entry: ConnectionEntry): void {
    const listener = entry.listener;
    if (!listener || entry.info.state !== 'half-closed' || entry.info.halfClosedBy !== 'peer') return;
    const halfOpen = listener.info.halfOpen;
    if (!halfOpen) {
      this.closeConnection({ connectionId: entry.info.id, mode: 'end' });
      this.lingerAfterEnd(entry);
      return;
    }
    const idleMs = halfOpen.idleSeconds * 1000;
    const check = () => {
      entry.endTimer = undefined;
      if (entry.info.state !== 'half-closed' || entry.localClose) return;
      const left = entry.lastActivity + idleMs - Date.now();
      if (left > 0) {
        entry.endTimer = setTimeout(check, left);
        return;
      }
      entry.localClose = 'idle';
      (entry.socket as net.Socket).end();
      this.lingerAfterEnd(entry);
    };
    entry.endTimer = setTimeout(check, idleMs);
  }

  /**
   * After both FINs only our unsent bytes keep a connection alive. A peer that finished sending
   * but never reads them would keep it (and its descriptor) for ever: without progress for
   * endLingerMs, it is destroyed.
   */
  private lingerAfterEnd(entry: ConnectionEntry): void {
    const socket = entry.socket as net.Socket;
    // bytesWritten counts what is still buffered too: what reached the kernel is the difference.
    const dispatched = () => socket.bytesWritten - socket.writableLength;
    let written = dispatched();
    const check = () => {
      entry.endTimer = undefined;
      if (socket.destroyed) return;
      if (dispatched() === written) {
        entry.info.error ??= {
          code: 'ETIMEDOUT',
          message: `Dropped: the peer finished sending but read nothing more of what was left for ${this.endLingerMs / 1000} s.`,
        };
        socket.destroy();
        return;
      }
      written = dispatched();
      entry.endTimer = setTimeout(check, this.endLingerMs);
    };
    if (entry.endTimer) clearTimeout(entry.endTimer);
    entry.endTimer = setTimeout(check, this.endLingerMs);
  }

  onClose(entry: ConnectionEntry): void {
    this.retireResponder(entry);
    if (entry.endTimer) clearTimeout(entry.endTimer);
    entry.endTimer = undefined;
    const info = entry.info;
    info.closeReason = closeReason(entry);
    info.state = 'closed';
    info.closedAt = Date.now();
    this.uncount(entry);
    entry.listener?.clients.delete(entry);
    this.core.emit({ type: 'connection-closed', connection: { ...info } });
    this.closedIds.add(info.id);
    if (this.closedIds.size > this.maxClosedRecords) {
      this.removeConnections([...take(this.closedIds, this.closedIds.size - this.maxClosedRecords)]);
    }
  }

  /** A record that was never a socket (a stream read from a file) joins the closed records. */
  adoptClosed(entry: ConnectionEntry): void {
    this.closedIds.add(entry.info.id);
    if (this.closedIds.size > this.maxClosedRecords) {
      this.removeConnections([...take(this.closedIds, this.closedIds.size - this.maxClosedRecords)]);
    }
  }

  removeClosed({ connectionId, listenerId, jobId }: CommandArgs<'removeClosed'>): Result<{ removed: number; totals: RemovedTotals }> {
    let ids: string[];
    if (connectionId !== undefined) {
      const entry = this.core.connections.get(connectionId);
      if (!entry) return fail({ code: 'NOT_FOUND', message: `No connection has id ${connectionId}.` });
      if (entry.info.state !== 'closed') {
        return fail({ code: 'NOT_CLOSED', message: 'This connection is still open: close or reset it first, then remove it.' });
      }
      ids = [connectionId];
    } else {
      ids = [...this.closedIds].filter((id) => {
        const info = this.core.connections.get(id)?.info;
        return (listenerId === undefined || info?.listenerId === listenerId) && (jobId === undefined || info?.source?.jobId === jobId);
      });
    }
    this.removeConnections(ids);
    return ok({ removed: ids.length, totals: { ...this.removed } });
  }

  /** Forgets closed connections and their captures; what they carried is added to the totals. */
  private removeConnections(ids: string[]): void {
    if (ids.length === 0) return;
    for (const id of ids) {
      const entry = this.core.connections.get(id);
      this.closedIds.delete(id);
      if (!entry) continue;
      this.core.connections.delete(id);
      this.core.capture.release(entry.capture);
      this.removed.connections += 1;
      this.removed.bytesIn += entry.info.bytesIn;
      this.removed.bytesOut += entry.info.bytesOut;
    }
    this.core.emit({ type: 'connections-removed', ids, totals: { ...this.removed } });
  }

  /** A client that is no longer open (either side sent FIN, or it closed) stops counting as one. */
  private uncount(entry: ConnectionEntry): void {
    const listener = entry.listener;
    if (!listener || !entry.counted) return;
    entry.counted = false;
    listener.info.clientCount -= 1;
    if (this.core.listeners.has(listener.info.id)) this.core.emit({ type: 'listener-updated', listener: { ...listener.info } });
  }

  /** Stops a connection's responder; a program's process is waited for at shutdown. */
  retireResponder(entry: ConnectionEntry): void {
    const responder = entry.responder;
    if (!responder) return;
    entry.responder = null;
    responder.dispose();
    const gone = responder.whenGone?.();
    if (gone) {
      this.programsExiting.add(gone);
      void gone.then(() => this.programsExiting.delete(gone));
    }
  }

  /** At shutdown: every connection goes, and its program is told to stop. */
  destroyAll(): void {
    for (const c of this.core.connections.values()) {
      c.localClose ??= 'shutdown';
      this.retireResponder(c);
      c.relay?.upstream.destroy();
      c.socket.destroy();
    }
  }
}

/** Why a connection closed, in words, decided once when it does. */
function closeReason(entry: ConnectionEntry): string {
  const { info, localClose } = entry;
  if (info.state === 'connecting') return info.error ? `could not connect: ${info.error.message}` : 'connect cancelled';
  if (localClose === 'reset') return 'reset by you (RST sent)';
  if (localClose === 'listener-stopped') return 'closed when its listener stopped';
  if (localClose === 'shutdown') return 'closed on shutdown';
  if (info.error) return info.error.message;
  if (localClose === 'idle') return `closed after ${entry.listener?.info.halfOpen?.idleSeconds ?? '?'} s idle while half-open`;
  if (localClose === 'end') return info.state === 'half-closed' && info.halfClosedBy === 'peer' ? 'closed (peer closed first)' : 'closed by you';
  return 'closed by peer';
}

/** The first n values of a set, in insertion order. */
function* take<T>(set: Set<T>, n: number): Generator<T> {
  if (n <= 0) return;
  for (const v of set) {
    yield v;
    if (--n === 0) return;
  }
}
