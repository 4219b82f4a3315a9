// The preload's bridge, with contextBridge and ipcRenderer replaced by stand-ins that record
// what the page would get and what would cross to the main process.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BRIDGE_KEY, Channels, COMMAND_NAMES } from '../shared/channels';
import type { InspectorApi } from '../shared/contract';
import type { EventBatch } from '../shared/model';

const fake = vi.hoisted(() => {
  const exposed = new Map<string, unknown>();
  const rendererListeners = new Map<string, ((event: unknown, ...args: unknown[]) => void)[]>();
  const invoked: { channel: string; args: unknown[] }[] = [];
  const sent: { channel: string; args: unknown[] }[] = [];
  return {
    exposed,
    rendererListeners,
    invoked,
    sent,
    electron: {
      contextBridge: {
        exposeInMainWorld(key: string, api: unknown) {
          exposed.set(key, api);
        },
      },
      ipcRenderer: {
        invoke(channel: string, ...args: unknown[]) {
          invoked.push({ channel, args });
          return Promise.resolve({ ok: true, value: channel });
        },
        send(channel: string, ...args: unknown[]) {
          sent.push({ channel, args });
        },
        on(channel: string, fn: (event: unknown, ...args: unknown[]) => void) {
          rendererListeners.set(channel, [...(rendererListeners.get(channel) ?? []), fn]);
        },
      },
    },
  };
});

vi.mock('electron', () => fake.electron);

const batch = (id: number): EventBatch => ({ id, events: [], bytes: 0 });
const fromMain = (b: EventBatch) => {
  for (const fn of fake.rendererListeners.get(Channels.events) ?? []) fn({ sender: 'ipc-event-object' }, b);
};

let api: InspectorApi;
beforeAll(async () => {
  await import('./preload');
  api = fake.exposed.get(BRIDGE_KEY) as InspectorApi;
});

describe('preload bridge', () => {
  it('exposes named functions only, one per command plus onEvents and ack', () => {
    expect(Object.keys(api).sort()).toEqual([...COMMAND_NAMES, 'ack', 'onEvents'].sort());
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
    expect(fake.exposed.size).toBe(1);
  });

  it('sends each command on its own channel with its arguments', async () => {
    const result = await api.startListener({ host: '127.0.0.1', port: 0 });
    expect(result).toEqual({ ok: true, value: Channels.command.startListener });
    expect(fake.invoked.at(-1)).toEqual({ channel: Channels.command.startListener, args: [{ host: '127.0.0.1', port: 0 }] });
    await api.getSnapshot();
    expect(fake.invoked.at(-1)?.channel).toBe(Channels.command.getSnapshot);
  });

  it('hands batches that came before the first listener to it, without the Electron event', () => {
    fromMain(batch(1));
    fromMain(batch(2));
    const seen: unknown[][] = [];
    const unsubscribe = api.onEvents((...args: unknown[]) => seen.push(args));
    expect(seen).toEqual([[batch(1)], [batch(2)]]);
    fromMain(batch(3));
    expect(seen).toEqual([[batch(1)], [batch(2)], [batch(3)]]);

    unsubscribe();
    fromMain(batch(4));
    expect(seen).toHaveLength(3);
  });

  it('keeps delivering to other listeners when one throws', () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const seen: number[] = [];
    const offBad = api.onEvents(() => {
      throw new Error('broken listener');
    });
    const offGood = api.onEvents((b) => seen.push(b.id));
    fromMain(batch(5));
    expect(seen).toEqual([5]);
    expect(errors).toHaveBeenCalled();
    offBad();
    offGood();
    errors.mockRestore();
  });

  it('acknowledges on the ack channel', () => {
    api.ack(42);
    expect(fake.sent.at(-1)).toEqual({ channel: Channels.ack, args: [42] });
  });
});
