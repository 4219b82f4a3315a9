/**
 * The engine's records of its listeners and connections, and the small helpers every capability
 * uses on them.
 */
import type net from 'node:net';
import type { ConnectionInfo, Endpoint, ListenerInfo, RelayPairInfo } from '../../shared/model';
import type { ErrorInfo } from '../../shared/result';
import { ConnectionCapture } from './capture';
import type { Pipe } from './relay';
import type { Responder, ResponderHost, ResponderShared } from './responders';
import type { UdpEndpoint } from './udp';

export interface ListenerEntry {
  info: ListenerInfo;
  server: net.Server;
  clients: Set<ConnectionEntry>;
  /** {{counter}} and such, shared by the responders of all its clients. */
  responderShared: ResponderShared;
  /** Every accepted socket, handshake done or not, so shutdown can end them all. */
  raw: Set<net.Socket>;
  /** For a relay: how long to wait for the target. */
  relayTimeoutMs?: number;
}

/**
 * What the engine needs of a connection's transport. A net.Socket (plain, TLS or Unix) is one;
 * a bound UDP socket is adapted to it (it cannot be paused, and it writes only with a destination).
 */
export interface Io {
  readonly destroyed: boolean;
  write(data: Uint8Array, done: (err?: Error | null) => void): unknown;
  end(): unknown;
  destroy(): unknown;
  resetAndDestroy(): unknown;
  pause(): unknown;
  resume(): unknown;
}

export interface ConnectionEntry {
  info: ConnectionInfo;
  socket: Io;
  /** For a bound UDP socket: the endpoint, and the peer of each kept datagram by seq. */
  udp?: { endpoint: UdpEndpoint; peers: Map<number, Endpoint> };
  /** For a relay pair: the connection to the target, and the two directions between them. */
  relay?: {
    upstream: net.Socket;
    /** How the target side is doing; the record's relay line is built from this at each sync. */
    upstreamState: RelayPairInfo['upstream'];
    c2s: Pipe;
    s2c: Pipe;
    lastEmit: number;
    emitTimer: NodeJS.Timeout | null;
  };
  capture: ConnectionCapture;
  listener?: ListenerEntry;
  /** Set when the user asked for the close, so the reason says who closed it. */
  localClose?: 'end' | 'reset' | 'listener-stopped' | 'shutdown' | 'idle';
  /**
   * Why reading from the peer is stopped. flow: the window is behind. autoFull: automatic replies
   * the peer does not read fill our send buffer. responder: a responder's own queue (delayed
   * replies, a program's stdin) is full. Any of them pauses the socket, so what the peer sends
   * waits in the kernel, not in memory.
   */
  holds: { flow: boolean; autoFull: boolean; responder: boolean };
  /** Callbacks waiting for the socket's send buffer to drain. */
  drainWaiters: Array<() => void>;
  /** The running auto-responder: the connection's own setting, else its listener's. */
  responder: Responder | null;
  /** The responder host whose program the record shows. */
  programHost?: ResponderHost;
  /** Counted in its listener's clientCount: open, neither side has sent FIN. */
  counted: boolean;
  /** When bytes last went either way (ms since the epoch), for the half-open idle limit. */
  lastActivity: number;
  /** The half-open idle limit, or the wait for our last bytes to go after the peer's FIN. */
  endTimer?: NodeJS.Timeout;
}

export function family(f: string | number | undefined, address: string): 'IPv4' | 'IPv6' {
  if (f === 'IPv6' || f === 6) return 'IPv6';
  if (f === 'IPv4' || f === 4) return 'IPv4';
  return address.includes(':') ? 'IPv6' : 'IPv4';
}

/** Node reports "::ffff:127.0.0.1" for IPv4 peers of dual-stack sockets; people expect 127.0.0.1. */
export function endpoint(address: string | undefined, port: number | undefined, fam?: string | number): Endpoint | undefined {
  if (!address || port === undefined) return undefined;
  const plain = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  return { address: plain, port, family: family(plain === address ? fam : 'IPv4', plain) };
}

/** Node's own connect errors can be an AggregateError (one try per address): use its first code. */
export function unwrapError(err: unknown): unknown {
  const e = err as { code?: string; errors?: unknown[] };
  if (e && !e.code && Array.isArray(e.errors) && e.errors.length > 0) return e.errors[0];
  return err;
}

/**
 * The peer of an accepted socket. Its address is read at accept; a peer that reset before then
 * has none (the OS no longer knows it), and is labelled so rather than shown as "?:0".
 */
export function acceptedPeer(socket: net.Socket, listener: ListenerEntry): Endpoint {
  return (
    endpoint(socket.remoteAddress, socket.remotePort, socket.remoteFamily) ?? {
      address: '(reset before it was accepted)',
      port: 0,
      family: listener.info.family === 'unix' ? 'IPv4' : listener.info.family,
    }
  );
}

/** What every new connection entry starts with: an empty capture, reading, no responder. */
export function newEntryState(id: string): Pick<ConnectionEntry, 'capture' | 'holds' | 'drainWaiters' | 'responder' | 'counted' | 'lastActivity'> {
  return {
    capture: new ConnectionCapture(id),
    holds: { flow: false, autoFull: false, responder: false },
    drainWaiters: [],
    responder: null,
    counted: false,
    lastActivity: Date.now(),
  };
}

/** A new connection record: zero counters, created now. */
export function newConnectionInfo(
  id: string,
  init: Pick<ConnectionInfo, 'origin' | 'transport' | 'remote' | 'state'> & Partial<ConnectionInfo>,
): ConnectionInfo {
  return { id, createdAt: Date.now(), bytesIn: 0, bytesOut: 0, chunksIn: 0, chunksOut: 0, droppedBytes: 0, droppedChunks: 0, ...init };
}

/** The clients "Send to all clients" reaches: open ones, not those where either side sent FIN. */
export function openClients(listener: ListenerEntry): ConnectionEntry[] {
  return [...listener.clients].filter((c) => c.info.state === 'open' && !c.socket.destroyed);
}

/** Why nothing can be sent on this connection now, or null when it can send. */
export function sendRefusal(entry: ConnectionEntry): ErrorInfo | null {
  const { state, halfClosedBy } = entry.info;
  if (entry.udp) {
    return { code: 'NEEDS_DESTINATION', message: 'A UDP socket sends each datagram to an address: give a destination host and port.' };
  }
  if (state === 'connecting') return { code: 'NOT_CONNECTED', message: 'Still connecting: wait until the connection is open.' };
  if (state === 'closed' || entry.socket.destroyed) {
    return { code: 'CLOSED', message: 'This connection is closed; nothing can be sent on it.', hint: 'Connect again to send.' };
  }
  if (state === 'half-closed' && halfClosedBy === 'local') {
    return { code: 'EPIPE', message: 'You already closed the sending side of this connection (FIN sent).', hint: 'Connect again to send more.' };
  }
  return null;
}
