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
});
