/**
 * Helpers for engine tests: an engine with a recording subscriber, real loopback clients and
 * servers, and waiting. Everything a test opens is registered and torn down after it, pass or fail.
 */
import net from 'node:net';
import { afterEach } from 'vitest';
import type { ConnectionInfo, EventBatch, SocketEvent } from '../../../shared/model';
import type { Result } from '../../../shared/result';
import { Engine, type EngineOptions } from '../engine';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Runs fn after the current test, pass or fail (last registered, first run). */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/** The value of an ok Result; throws with the error otherwise. */
export function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.code}: ${r.message}`);
  return r.value;
}

/** An engine plus a subscriber that records every event and acknowledges each batch. */
export function makeEngine(options?: EngineOptions, autoAck = true) {
  const engine = new Engine(options);
  const events: SocketEvent[] = [];
  const batches: EventBatch[] = [];
  const sub = engine.subscribe((batch) => {
    batches.push(batch);
    events.push(...batch.events);
    if (autoAck) sub.ack(batch.id);
  });
  cleanups.push(() => engine.shutdown());
  return { engine, events, batches, sub };
}

/** Waits until cond() holds, polling every 5 ms; throws naming what after ms. */
export async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A connection's record as the engine has it now. */
export function conn(engine: Engine, id: string): ConnectionInfo {
  const c = engine.snapshot().connections.find((x) => x.id === id);
  if (!c) throw new Error(`no connection ${id}`);
  return c;
}

/** A plain Node client on loopback, half-open aware. */
export function client(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
    cleanups.push(() => s.destroy());
  });
}

/** A plain Node server on loopback, half-open aware. */
export function server(onConnection: (s: net.Socket) => void = () => undefined, host = '127.0.0.1'): Promise<{ srv: net.Server; port: number }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    onConnection(s);
  });
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  );
  return new Promise((resolve) => srv.listen(0, host, () => resolve({ srv, port: (srv.address() as net.AddressInfo).port })));
}

/** Everything a socket receives, and a promise of its end of file. */
export function received(socket: net.Socket): { data: () => Buffer; ended: Promise<void> } {
  const parts: Buffer[] = [];
  socket.on('data', (d: Buffer) => parts.push(d));
  const ended = new Promise<void>((r) => socket.once('end', () => r()));
  return { data: () => Buffer.concat(parts), ended };
}

/** The chunk events of one connection, in order. */
export function chunkEvents(events: SocketEvent[], connectionId: string) {
  return events.flatMap((e) => (e.type === 'chunk' && e.chunk.connectionId === connectionId ? [e.chunk] : []));
}
