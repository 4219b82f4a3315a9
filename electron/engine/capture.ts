import type { Chunk } from '../../shared/model';

/** Rough bookkeeping cost of one chunk beyond its payload, so tiny chunks still count. */
const CHUNK_OVERHEAD = 96;

/** 256 MiB, the default capture budget. */
export const DEFAULT_CAPTURE_BUDGET = 256 * 1024 * 1024;

/** One connection's ordered record of chunks, oldest first. Evicted chunks are counted, not kept. */
export class ConnectionCapture {
  private chunks: Chunk[] = [];
  private head = 0;
  /** Sequence number the next chunk gets. */
  nextSeq = 0;
  droppedBytes = 0;
  droppedChunks = 0;
  /** Set once the connection is forgotten, so the store skips its queued entries. */
  released = false;

  constructor(readonly connectionId: string) {}

  get firstKeptSeq(): number {
    return this.head < this.chunks.length ? this.chunks[this.head]!.seq : this.nextSeq;
  }

  get keptCount(): number {
    return this.chunks.length - this.head;
  }

  push(chunk: Chunk): void {
    this.chunks.push(chunk);
  }

  /** Removes the oldest kept chunk and returns it. */
  evictOldest(): Chunk | undefined {
    if (this.head >= this.chunks.length) return undefined;
    const chunk = this.chunks[this.head]!;
    this.chunks[this.head] = undefined as unknown as Chunk;
    this.head += 1;
    this.droppedBytes += chunk.size;
    this.droppedChunks += 1;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    return chunk;
  }

  /** Kept chunks with seq >= fromSeq, at most limit of them. */
  read(fromSeq: number, limit: number): Chunk[] {
    const first = this.firstKeptSeq;
    const start = this.head + Math.max(0, fromSeq - first);
    return this.chunks.slice(start, Math.min(this.chunks.length, start + limit));
  }
}

/**
 * Keeps chunks within a byte budget shared by all connections. Over budget, the oldest
 * payloads (across every connection) are dropped first; counters elsewhere stay exact.
 */
export class CaptureStore {
  private order: ConnectionCapture[] = [];
  private orderHead = 0;
  private used = 0;

  constructor(private budget = DEFAULT_CAPTURE_BUDGET) {}

  get usedBytes(): number {
    return this.used;
  }

  get budgetBytes(): number {
    return this.budget;
  }

  setBudget(bytes: number): ConnectionCapture[] {
    this.budget = bytes;
    return this.enforce();
  }

  /** Records a chunk; returns the captures that lost chunks to make room. */
  add(capture: ConnectionCapture, chunk: Chunk): ConnectionCapture[] {
    capture.push(chunk);
    this.order.push(capture);
    this.used += chunk.data.byteLength + CHUNK_OVERHEAD;
    return this.used > this.budget ? this.enforce() : [];
  }

  /** Forgets a connection's chunks entirely (its bytes are released). */
  release(capture: ConnectionCapture): void {
    while (capture.keptCount > 0) {
      const c = capture.evictOldest()!;
      this.used -= c.data.byteLength + CHUNK_OVERHEAD;
    }
    capture.released = true;
  }

  private enforce(): ConnectionCapture[] {
    const touched = new Set<ConnectionCapture>();
    while (this.used > this.budget && this.orderHead < this.order.length) {
      const capture = this.order[this.orderHead]!;
      this.order[this.orderHead] = undefined as unknown as ConnectionCapture;
      this.orderHead += 1;
      if (capture.released) continue;
      const evicted = capture.evictOldest();
      if (!evicted) continue;
      this.used -= evicted.data.byteLength + CHUNK_OVERHEAD;
      touched.add(capture);
    }
    if (this.orderHead > 4096 && this.orderHead * 2 > this.order.length) {
      this.order = this.order.slice(this.orderHead);
      this.orderHead = 0;
    }
    return [...touched];
  }
}
