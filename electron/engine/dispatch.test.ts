import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../../shared/contract';
import { allMalformedCases, UNKNOWN_COMMAND_NAMES } from '../../shared/contract.fixtures';
import type { Chunk, ConnectionInfo, ListenerInfo, Snapshot } from '../../shared/model';
import type { Result } from '../../shared/result';
import { dispatchCommand } from './dispatch';
import { Engine } from './engine';

let engine: Engine;

beforeEach(() => {
  engine = new Engine();
});

afterEach(async () => {
  await engine.shutdown();
});

function value<T>(result: Result<unknown>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.message}`);
  return result.value as T;
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Proves the engine still serves real sockets: listen, connect, send, and see the bytes arrive. */
async function expectEngineWorks(): Promise<void> {
  const listener = value<ListenerInfo>(await dispatchCommand(engine, 'startListener', { host: '127.0.0.1', port: 0 }));
  expect(listener.port).toBeGreaterThan(0);
  const client = value<ConnectionInfo>(
    await dispatchCommand(engine, 'connect', { host: '127.0.0.1', port: listener.port }),
  );
  expect(client.state).toBe('open');
  const sent = value<{ bytes: number }>(
    await dispatchCommand(engine, 'send', { connectionId: client.id, data: new TextEncoder().encode('still alive') }),
  );
  expect(sent.bytes).toBe(11);
  const received = await until(async () => {
    const snap = value<Snapshot>(await dispatchCommand(engine, 'getSnapshot', {}));
    const accepted = snap.connections.find((c) => c.origin === 'accepted' && c.listenerId === listener.id);
    if (!accepted || accepted.bytesIn < 11) return undefined;
    const page = value<{ chunks: Chunk[] }>(await dispatchCommand(engine, 'getChunks', { connectionId: accepted.id }));
    return page.chunks.filter((c) => c.direction === 'in');
  }, 'the sent bytes to reach the listener');
  const text = received.map((c) => new TextDecoder().decode(c.data)).join('');
  expect(text).toBe('still alive');
}

describe('dispatchCommand', () => {
  const cases = allMalformedCases();

  it('covers every command with malformed cases', () => {
    const covered = new Set(cases.map((c) => c.command));
    expect([...covered].sort()).toEqual([...COMMAND_NAMES].sort());
  });

  it.each(cases.map((c) => [c.command, c.label, c] as const))('refuses %s with %s', async (_name, _label, c) => {
    const result = await dispatchCommand(engine, c.command, c.input);
    expect(result).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
    if (result.ok) return;
    if (c.field !== undefined) expect(result.field?.split('.')[0]).toBe(c.field);
    else expect(result.message).toContain(c.names);
    for (const field of c.innocent) expect(result.message).not.toContain(field);
  });

  it.each(UNKNOWN_COMMAND_NAMES.map((name) => [String(name), name]))('refuses the unknown command %s', async (_label, name) => {
    const result = await dispatchCommand(engine, name, { host: '127.0.0.1', port: 0 });
    expect(result).toMatchObject({ ok: false, code: 'UNKNOWN_COMMAND' });
    if (!result.ok) {
      expect(result.message).toMatch(/^Unknown command/);
      expect(result.message.length).toBeLessThan(120);
    }
  });

  it('keeps an unknown command name short in its message', async () => {
    const result = await dispatchCommand(engine, 'x'.repeat(10_000), {});
    expect(result).toMatchObject({ ok: false, code: 'UNKNOWN_COMMAND' });
    if (!result.ok) expect(result.message.length).toBeLessThan(120);
  });

  it('turns arguments that throw when read into an error result', async () => {
    const hostile = {
      get host(): string {
        throw new Error('getter exploded');
      },
      port: 0,
    };
    const result = await dispatchCommand(engine, 'startListener', hostile);
    expect(result).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
    if (!result.ok) expect(result.message).toContain('getter exploded');
    expect(engine.snapshot().listeners).toHaveLength(0);
  });

  it('turns a throw inside the engine into an INTERNAL error result', async () => {
    class FailingEngine extends Engine {
      override async execute(): Promise<never> {
        throw new Error('disk on fire');
      }
    }
    const failing = new FailingEngine();
    try {
      const result = await dispatchCommand(failing, 'getSnapshot', {});
      expect(result).toMatchObject({ ok: false, code: 'INTERNAL' });
      if (!result.ok) expect(result.message).toContain('disk on fire');
    } finally {
      await failing.shutdown();
    }
  });

  it('creates nothing for malformed input, and the engine still works after all of it', async () => {
    for (const c of cases) {
      const result = await dispatchCommand(engine, c.command, c.input);
      expect(result.ok).toBe(false);
    }
    for (const name of UNKNOWN_COMMAND_NAMES) {
      expect((await dispatchCommand(engine, name, {})).ok).toBe(false);
    }
    const snap = value<Snapshot>(await dispatchCommand(engine, 'getSnapshot', {}));
    expect(snap.listeners).toEqual([]);
    expect(snap.connections).toEqual([]);
    await expectEngineWorks();
  });

  it('reports ids that do not exist as NOT_FOUND, not as bad input', async () => {
    for (const name of ['send', 'closeConnection', 'getChunks'] as const) {
      const input =
        name === 'send'
          ? { connectionId: 'C999', data: Uint8Array.of(1) }
          : name === 'closeConnection'
            ? { connectionId: 'C999', mode: 'end' }
            : { connectionId: 'C999' };
      expect(await dispatchCommand(engine, name, input)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    }
    expect(await dispatchCommand(engine, 'stopListener', { listenerId: 'L999' })).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
  });
});
