import { describe, expect, it } from 'vitest';
import type { EventBatch, SocketEvent } from '../../shared/model';
import { Batcher, defaultBatcherOptions } from './batcher';

function chunk(connectionId: string, seq: number): SocketEvent {
  return {
    type: 'chunk',
    chunk: { connectionId, seq, direction: 'in', time: seq, offset: seq, size: 1, data: Uint8Array.of(seq & 0xff) },
    counters: { bytesIn: seq + 1, bytesOut: 0, chunksIn: seq + 1, chunksOut: 0 },
  };
}

describe('Batcher', () => {
  it('sends one batch per flush, and pressures above the high watermark until acked below the low one', () => {
    const batches: EventBatch[] = [];
    const pressure: boolean[] = [];
    const b = new Batcher((x) => batches.push(x), (p) => pressure.push(p), { ...defaultBatcherOptions, highWatermark: 100, lowWatermark: 40, maxBatchBytes: 1000 });
    b.push(chunk('C1', 0), 60);
    b.push(chunk('C1', 1), 60);
    b.flush();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.events).toHaveLength(2);
    expect(pressure).toEqual([true]);
    b.push(chunk('C1', 2), 10);
    b.flush();
    b.ack(batches[0]!.id);
    expect(pressure).toEqual([true, false]);
    b.close();
  });

  it('keeps only the newest chunk events of a flooding connection in a batch, in order, and everything else', () => {
    const batches: EventBatch[] = [];
    const b = new Batcher((x) => batches.push(x), () => undefined, { ...defaultBatcherOptions, liveChunksPerBatch: 5 });
    const opened: SocketEvent = { type: 'listener-stopped', listener: { id: 'L1' } as never };
    for (let i = 0; i < 20; i++) {
      b.push(chunk('C1', i), 10);
      if (i === 3) b.push(opened, 0);
      if (i < 3) b.push(chunk('C2', i), 10);
    }
    b.flush();
    const events = batches[0]!.events;
    const c1 = events.flatMap((e) => (e.type === 'chunk' && e.chunk.connectionId === 'C1' ? [e.chunk.seq] : []));
    const c2 = events.flatMap((e) => (e.type === 'chunk' && e.chunk.connectionId === 'C2' ? [e.chunk.seq] : []));
    expect(c1).toEqual([15, 16, 17, 18, 19]);
    expect(c2).toEqual([0, 1, 2]);
    expect(events).toContain(opened);
    // Only what was sent counts against flow control.
    expect(batches[0]!.bytes).toBe(8 * 10);
    // The next batch starts fresh.
    b.push(chunk('C1', 20), 10);
    b.flush();
    expect(batches[1]!.events).toHaveLength(1);
    b.close();
  });

  it('stretches the wait between batches under a flood, up to maxFlushMs, and shortens it again when the load falls', () => {
    const batches: EventBatch[] = [];
    const b = new Batcher((x) => batches.push(x), () => undefined, { ...defaultBatcherOptions, flushMs: 16, maxFlushMs: 250, floodEventsPerSecond: 4000 });
    const flood = () => {
      // 10,000 events between two batches is over 4,000 a second unless 2.5 s pass in between.
      for (let i = 0; i < 10_000; i++) b.push(chunk('C1', i), 10);
      b.flush();
    };
    flood(); // the first batch has no interval behind it to measure
    const seen = [b.interval];
    for (let i = 0; i < 6; i++) {
      flood();
      seen.push(b.interval);
    }
    expect(seen).toEqual([16, 32, 64, 128, 250, 250, 250]);
    // Each flooded batch carried the connection's newest 64 chunks only.
    expect(batches.every((x) => x.events.length === 64)).toBe(true);
    // A trickle (one event per batch, far under 4,000 a second): the wait halves back down.
    const trickle: number[] = [];
    for (let i = 0; i < 6; i++) {
      const until = performance.now() + 2;
      while (performance.now() < until) {
        // spin 2 ms: one event per 2 ms at most is 500 a second
      }
      b.push(chunk('C1', i), 10);
      b.flush();
      trickle.push(b.interval);
    }
    expect(trickle).toEqual([125, 62.5, 31.25, 16, 16, 16]);
    b.close();
  });

  it('keeps only the newest pending update of each listener, connection, task and record, where the newest was pushed, and every other event', () => {
    const batches: EventBatch[] = [];
    const b = new Batcher((x) => batches.push(x), () => undefined);
    const listener = (clientCount: number): SocketEvent => ({ type: 'listener-updated', listener: { id: 'L1', clientCount } as never });
    const opened = (id: string): SocketEvent => ({ type: 'connection-opened', connection: { id, state: 'open' } as never });
    const updated = (id: string, state: string): SocketEvent => ({ type: 'connection-updated', connection: { id, state } as never });
    for (let i = 1; i <= 3; i++) {
      b.push(opened(`C${i}`));
      b.push(listener(i));
    }
    b.push(updated('C1', 'half-closed'));
    b.push(updated('C2', 'half-closed'));
    b.push(updated('C1', 'closed'));
    b.push({ type: 'listener-updated', listener: { id: 'L2', clientCount: 9 } as never });
    for (let i = 1; i <= 3; i++) b.push({ type: 'chunks-evicted', connectionId: 'C3', droppedBytes: i * 10, droppedChunks: i, firstKeptSeq: i });
    b.flush();
    const seen = batches[0]!.events.map((e) =>
      e.type === 'listener-updated' ? `L:${e.listener.id}=${e.listener.clientCount}` : e.type === 'connection-opened' ? `open ${e.connection.id}` : e.type === 'connection-updated' ? `${e.connection.id} ${e.connection.state}` : e.type === 'chunks-evicted' ? `${e.connectionId} from ${e.firstKeptSeq}` : e.type,
    );
    expect(seen).toEqual(['open C1', 'open C2', 'open C3', 'L:L1=3', 'C2 half-closed', 'C1 closed', 'L:L2=9', 'C3 from 3']);
    // A new batch starts with nothing to supersede.
    b.push(listener(4));
    b.flush();
    expect(batches[1]!.events).toHaveLength(1);
    b.close();
  });

  it('counts a bulk transfer of few, large chunks as a flood by its bytes', () => {
    const b = new Batcher(() => undefined, () => undefined, { ...defaultBatcherOptions, flushMs: 16, maxFlushMs: 250, floodEventsPerSecond: 4000, floodBytesPerSecond: 16 << 20 });
    const big = (seq: number): SocketEvent => {
      const e = chunk('C1', seq);
      if (e.type === 'chunk') e.chunk.size = 64 << 10;
      return e;
    };
    b.push(big(0), 10);
    b.flush();
    // Twenty 64 KiB chunks between two batches: far under 4,000 events a second, but 1.25 MiB
    // is over 16 MiB a second unless 78 ms pass, and this takes far less.
    for (let i = 1; i < 21; i++) b.push(big(i), 10);
    b.flush();
    expect(b.interval).toBe(32);
    b.close();
  });

  it('holds batches for the stretched interval while a flood goes on, and sends what is pending once events stop for flushMs', async () => {
    const times: number[] = [];
    const b = new Batcher(() => times.push(performance.now()), () => undefined, { ...defaultBatcherOptions, flushMs: 50, maxFlushMs: 2000, floodEventsPerSecond: 1000 });
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 5000; i++) b.push(chunk('C1', i), 1);
      b.flush();
    }
    expect(b.interval).toBe(2000);
    expect(times).toHaveLength(10);
    // The flood goes on (an event every few ms for 500 ms, never 50 ms apart): nothing goes out
    // before the interval.
    const floodUntil = performance.now() + 500;
    while (performance.now() < floodUntil) {
      b.push(chunk('C1', 1), 1);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(times).toHaveLength(10);
    // It stops: what is pending goes out within about flushMs, not at the end of the interval.
    const stoppedAt = performance.now();
    await new Promise((r) => setTimeout(r, 600));
    expect(times).toHaveLength(11);
    expect(times[10]! - stoppedAt).toBeLessThan(400);
    // After a quiet spell, a single event goes out within about flushMs too.
    const pushedAt = performance.now();
    b.push(chunk('C1', 2), 1);
    await new Promise((r) => setTimeout(r, 600));
    expect(times).toHaveLength(12);
    expect(times[11]! - pushedAt).toBeLessThan(400);
    b.close();
  });

  it('counts only the chunk events it will send against the byte cap', () => {
    const batches: EventBatch[] = [];
    const b = new Batcher((x) => batches.push(x), () => undefined, { ...defaultBatcherOptions, liveChunksPerBatch: 4, maxBatchBytes: 100 });
    // 1,000 events of 10 bytes from one connection: only 4 are kept at a time, 40 bytes, under the cap.
    for (let i = 0; i < 1000; i++) b.push(chunk('C1', i), 10);
    expect(batches).toHaveLength(0);
    expect(b.backlog).toBe(40);
    // Twenty connections at once do reach the cap.
    for (let c = 0; c < 20; c++) b.push(chunk(`C${c + 2}`, 0), 10);
    expect(batches.length).toBeGreaterThan(0);
    b.close();
  });
});
