/**
 * What every capability of the engine shares: the records of listeners and connections, the
 * capture store their chunks are recorded in, and the subscribers who hear what happens, with
 * flow control when they fall behind.
 */
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { PREVIEW_BYTES, type Chunk, type Counters, type Direction, type Endpoint, type EventBatch, type SocketEvent } from '../../shared/model';
import type { ErrorInfo } from '../../shared/result';
import { Batcher, type BatcherOptions } from './batcher';
import { CaptureStore, type ConnectionCapture } from './capture';
import type { ConnectionEntry, ListenerEntry } from './entries';
import { explainError } from './errors';
import { firstLineOf } from '../../shared/bytes';

/** A subscriber's handle: acknowledge batches, or stop receiving. */
export interface Subscription {
  ack(batchId: number): void;
  close(): void;
}

export class EngineCore {
  readonly listeners = new Map<string, ListenerEntry>();
  readonly connections = new Map<string, ConnectionEntry>();
  readonly capture: CaptureStore;
  /** Set at shutdown: nothing new is started after it. */
  closed = false;
  private readonly batchers = new Set<Batcher>();
  private nextConnectionId = 1;
  /** Subscribers that are behind on their batches. */
  private pressuredSubscribers = 0;

  constructor(
    captureBudgetBytes: number,
    private readonly batcherOptions: BatcherOptions,
  ) {
    this.capture = new CaptureStore(captureBudgetBytes);
  }

  /** Receives every event from now on, in batches. Call ack(batch.id) after applying each. */
  subscribe(deliver: (batch: EventBatch) => void): Subscription {
    let wasPressured = false;
    const batcher = new Batcher(
      deliver,
      (pressured) => {
        if (pressured === wasPressured) return;
        wasPressured = pressured;
        this.pressuredSubscribers += pressured ? 1 : -1;
        this.applyFlowControl();
      },
      this.batcherOptions,
    );
    this.batchers.add(batcher);
    return {
      ack: (batchId) => batcher.ack(batchId),
      close: () => {
        this.batchers.delete(batcher);
        batcher.close();
      },
    };
  }

  /** True while a subscriber is behind: sockets are not read, and datagrams are not streamed. */
  get pressured(): boolean {
    return this.pressuredSubscribers > 0;
  }

  /** The id of a new connection record. */
  newConnectionId(): string {
    return `C${this.nextConnectionId++}`;
  }

  emit(event: SocketEvent, bytes = 0): void {
    for (const b of this.batchers) b.push(event, bytes);
  }

  record(entry: ConnectionEntry, direction: Direction, data: Uint8Array, auto = false, peer?: Endpoint): void {
    const time = now();
    entry.lastActivity = time;
    const { chunk, counters, touched } = this.store(entry, direction, data, time, auto, peer);
    const shown = preview(chunk);
    if (entry.udp && this.pressured) {
      // A datagram source cannot be paused: while the window is behind, it is captured but not
      // streamed, and counted so the window can say so.
      entry.info.udp!.notStreamed += 1;
      if (entry.info.udp!.notStreamed % 256 === 1) this.emit({ type: 'connection-updated', connection: { ...entry.info } });
    } else {
      this.emit({ type: 'chunk', chunk: shown, counters }, shown.data.byteLength + EVENT_COST);
    }
    this.reportEvictions(touched);
  }

  /**
   * Records a chunk read from a capture file: its own time, and no chunk event (a file of a
   * million packets would flood the window); the caller sends the record's counters as it goes.
   */
  recordFromFile(entry: ConnectionEntry, direction: Direction, data: Uint8Array, time: number, peer?: Endpoint): ConnectionCapture[] {
    entry.lastActivity = time;
    return this.store(entry, direction, data, time, false, peer).touched;
  }

  private store(
    entry: ConnectionEntry,
    direction: Direction,
    data: Uint8Array,
    time: number,
    auto: boolean,
    peer: Endpoint | undefined,
  ): { chunk: Chunk; counters: Counters; touched: ConnectionCapture[] } {
    const info = entry.info;
    // A read may be a small view into a large pooled buffer: copy it so the budget counts real memory.
    // Either way it becomes a plain Uint8Array: a Buffer would serialize itself as JSON numbers.
    const bytes =
      data.byteLength * 2 < data.buffer.byteLength
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (direction === 'in') {
      info.bytesIn += bytes.byteLength;
      info.chunksIn += 1;
    } else {
      info.bytesOut += bytes.byteLength;
      info.chunksOut += 1;
    }
    const chunk: Chunk = {
      connectionId: info.id,
      seq: entry.capture.nextSeq++,
      direction,
      time,
      offset: (direction === 'in' ? info.bytesIn : info.bytesOut) - bytes.byteLength,
      size: bytes.byteLength,
      data: bytes,
      ...(auto ? { auto: true } : {}),
      ...(peer ? { peer } : {}),
    };
    if (peer) entry.udp?.peers.set(chunk.seq, peer);
    if (info.firstLine === undefined && bytes.byteLength > 0) {
      // What the conversation opened with, for the connection's row in the list.
      info.firstLine = firstLineOf(bytes);
      this.emit({ type: 'connection-updated', connection: { ...info } });
    }
    const touched = this.capture.add(entry.capture, chunk);
    const counters: Counters = {
      bytesIn: info.bytesIn,
      bytesOut: info.bytesOut,
      chunksIn: info.chunksIn,
      chunksOut: info.chunksOut,
    };
    return { chunk, counters, touched };
  }

  /** Records bytes as an out chunk and writes them; resolves once the socket took them (backpressure). */
  write(entry: ConnectionEntry, data: Uint8Array, auto: boolean): Promise<ErrorInfo | null> {
    const bytes = new Uint8Array(data);
    this.record(entry, 'out', bytes, auto);
    return new Promise((resolve) => {
      entry.socket.write(bytes, (err) => {
        resolve(err ? explainError(err, { op: 'send', host: entry.info.remote.address, port: entry.info.remote.port }) : null);
      });
    });
  }

  /** Tells subscribers which connections lost their oldest chunks to the budget. */
  reportEvictions(touched: ConnectionCapture[]): void {
    for (const cap of touched) {
      const owner = this.connections.get(cap.connectionId);
      if (owner?.udp) {
        for (const seq of owner.udp.peers.keys()) {
          if (seq >= cap.firstKeptSeq) break;
          owner.udp.peers.delete(seq);
        }
      }
      if (owner) {
        owner.info.droppedBytes = cap.droppedBytes;
        owner.info.droppedChunks = cap.droppedChunks;
      }
      this.emit({
        type: 'chunks-evicted',
        connectionId: cap.connectionId,
        droppedBytes: cap.droppedBytes,
        droppedChunks: cap.droppedChunks,
        firstKeptSeq: cap.firstKeptSeq,
      });
    }
  }

  private applyFlowControl(): void {
    const pause = this.pressured;
    for (const entry of this.connections.values()) {
      if (entry.holds.flow === pause) continue;
      entry.holds.flow = pause;
      updateReading(entry);
    }
  }

  /** Ends every subscription and closes the capture store: the last step of shutdown. */
  dispose(): void {
    for (const b of this.batchers) b.close();
    this.batchers.clear();
    this.capture.close();
  }
}

/** Reads from the peer unless something holds it (see ConnectionEntry.holds). */
export function updateReading(entry: ConnectionEntry): void {
  if (entry.socket.destroyed) return;
  if (entry.relay) return updateRelayReading(entry);
  const { flow, autoFull, responder } = entry.holds;
  if (flow || autoFull || responder) entry.socket.pause();
  else entry.socket.resume();
}

/** Each side reads unless flow control or its direction's queue says stop. */
export function updateRelayReading(entry: ConnectionEntry): void {
  const r = entry.relay;
  if (!r) return;
  const client = entry.socket as net.Socket;
  const flow = entry.holds.flow;
  if (flow || r.c2s.backpressure) client.pause();
  else client.resume();
  if (flow || r.s2c.backpressure) r.upstream.pause();
  else r.upstream.resume();
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * What an event costs a subscriber beyond its payload bytes (decoding, an object, a store
 * entry), counted for flow control so a flood of tiny chunks is paced as well as large ones.
 */
const EVENT_COST = 128;

/** The chunk as subscribers see it: the first PREVIEW_BYTES of a large payload. */
function preview(chunk: Chunk): Chunk {
  // A copy, not a view: a view would keep the whole socket read buffer alive until the batch goes.
  return chunk.data.byteLength > PREVIEW_BYTES ? { ...chunk, data: chunk.data.slice(0, PREVIEW_BYTES) } : chunk;
}
