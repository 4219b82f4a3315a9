/**
 * The data both processes talk about: listeners, connections, chunks, and the events that
 * stream from the engine to the renderer.
 */
import type { ErrorInfo } from './result';

/** Which way bytes went, seen from the inspector: received (in) or sent (out). */
export type Direction = 'in' | 'out';

/** Lifecycle of a TCP connection. half-closed: one side has sent FIN, the other may still write. */
export type ConnectionState = 'connecting' | 'open' | 'half-closed' | 'closed';

/** An address and port as the OS reports it. */
export interface Endpoint {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/** A running (or just stopped) TCP listener. */
export interface ListenerInfo {
  id: string;
  /** The host the user asked for (an IP literal or a name such as localhost). */
  requestedHost: string;
  /** The port the user asked for; 0 means "pick a free one". */
  requestedPort: number;
  /** Where the OS actually bound it. */
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
  state: 'listening' | 'stopped';
  startedAt: number;
  /** Clients currently connected. */
  clientCount: number;
  /** Clients accepted since it started. */
  acceptedCount: number;
}

/** Byte and chunk counters per direction. Exact, even when old payloads were evicted. */
export interface Counters {
  bytesIn: number;
  bytesOut: number;
  chunksIn: number;
  chunksOut: number;
}

/** One TCP connection: accepted by a listener, or opened by the user. */
export interface ConnectionInfo extends Counters {
  id: string;
  /** accepted: a client of one of our listeners; outgoing: a connection the user opened. */
  origin: 'accepted' | 'outgoing';
  listenerId?: string;
  local?: Endpoint;
  /** The peer. For an outgoing connection still connecting, what the user asked for. */
  remote: Endpoint;
  /** The host name as the user typed it, for outgoing connections. */
  remoteHost?: string;
  state: ConnectionState;
  /** Who sent the first FIN: the peer (it will send no more) or we did. */
  halfClosedBy?: 'peer' | 'local';
  createdAt: number;
  openedAt?: number;
  closedAt?: number;
  /** Why it closed, in words: "closed by peer", "reset by you", "connection refused"… */
  closeReason?: string;
  error?: ErrorInfo;
  /** Payload bytes and chunks no longer kept because the capture budget was reached. */
  droppedBytes: number;
  droppedChunks: number;
}

/** What one read delivered (in) or one send wrote (out), in order. */
export interface Chunk {
  connectionId: string;
  /** Position in the connection's record, from 0, in arrival order. */
  seq: number;
  direction: Direction;
  /** Milliseconds since the Unix epoch, with sub-millisecond precision where available. */
  time: number;
  /** Size of the whole chunk in bytes. */
  size: number;
  /** The bytes, or the first PREVIEW_BYTES of them when the chunk is larger. */
  data: Uint8Array;
}

/** Chunks larger than this reach the renderer as a preview of their first bytes. */
export const PREVIEW_BYTES = 4096;

/** Everything the engine reports, in the order it happened. */
export type SocketEvent =
  | { type: 'listener-started'; listener: ListenerInfo }
  | { type: 'listener-updated'; listener: ListenerInfo }
  | { type: 'listener-stopped'; listener: ListenerInfo }
  | { type: 'connection-opened'; connection: ConnectionInfo }
  | { type: 'connection-updated'; connection: ConnectionInfo }
  | { type: 'connection-closed'; connection: ConnectionInfo }
  | { type: 'chunk'; chunk: Chunk; counters: Counters }
  | { type: 'chunks-evicted'; connectionId: string; droppedBytes: number; droppedChunks: number; firstKeptSeq: number };

/** A group of events delivered together; the receiver acknowledges it by id. */
export interface EventBatch {
  id: number;
  events: SocketEvent[];
  /** Payload bytes in this batch, counted for flow control. */
  bytes: number;
}

/** The state a renderer needs when it starts or reconnects. */
export interface Snapshot {
  listeners: ListenerInfo[];
  connections: ConnectionInfo[];
  settings: Settings;
}

/** Engine settings the user can change. */
export interface Settings {
  /** Payload bytes of captured chunks kept, across all connections. */
  captureBudgetBytes: number;
}

/** All the bytes of one chunk. */
export interface ChunkData {
  seq: number;
  data: Uint8Array;
}

/** A page of a connection's recorded chunks. */
export interface ChunkPage {
  chunks: Chunk[];
  /** Sequence number of the oldest chunk still kept; those before it were evicted. */
  firstKeptSeq: number;
  droppedBytes: number;
}
