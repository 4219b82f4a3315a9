import { describe, expect, it } from 'vitest';
import type { Chunk, ConnectionInfo, EventBatch, SocketEvent } from '../../../shared/model';
import { addPage, appendLive, chunkAt, EMPTY_LIST, evictBefore, missingPages, PAGE_SIZE } from './chunkList';
import { createInspectorStore } from './store';

const enc = new TextEncoder();

function chunk(seq: number, connectionId = 'C1', text = `#${seq}`): Chunk {
  const data = enc.encode(text);
  return { connectionId, seq, direction: seq % 2 ? 'out' : 'in', time: 1000 + seq, offset: seq * 100, size: data.byteLength, data };
}

function connection(id: string, origin: 'accepted' | 'outgoing' = 'accepted'): ConnectionInfo {
  return {
    id,
    origin,
    transport: 'tcp',
    remote: { address: '127.0.0.1', port: 40000, family: 'IPv4' },
    state: 'open',
    createdAt: 0,
    bytesIn: 0,
    bytesOut: 0,
    chunksIn: 0,
    chunksOut: 0,
    droppedBytes: 0,
    droppedChunks: 0,
  };
}

let batchId = 1;
function batch(events: SocketEvent[]): EventBatch {
  return { id: batchId++, events, bytes: 0 };
}

describe('chunk list window', () => {
  it('appends in order, ignores duplicates, and older versions keep their view', () => {
    const a = appendLive(EMPTY_LIST, [chunk(0), chunk(1)]);
    const b = appendLive(a, [chunk(1), chunk(2)]);
    expect(b.tailEnd - b.tailStart).toBe(3);
    expect(a.tailEnd - a.tailStart).toBe(2);
    // Appending to the older version again must not clobber the newer one.
    const c = appendLive(a, [chunk(2, 'C1', 'other')]);
    expect(new TextDecoder().decode(chunkAt(b, 2)!.data)).toBe('#2');
    expect(new TextDecoder().decode(chunkAt(c, 2)!.data)).toBe('other');
  });

  it('caps the live tail and fetches older rows by page', () => {
    let list = EMPTY_LIST;
    for (let s = 0; s < 1000; s += 100) list = appendLive(list, Array.from({ length: 100 }, (_, i) => chunk(s + i)), 300);
    expect(list.tailEnd - list.tailStart).toBe(300);
    expect(chunkAt(list, 700)?.seq).toBe(700);
    expect(chunkAt(list, 699)).toBeUndefined();
    expect(missingPages(list, 500, 800)).toEqual([Math.floor(500 / PAGE_SIZE), Math.floor(699 / PAGE_SIZE)].filter((v, i, a) => a.indexOf(v) === i));
    const pageNo = Math.floor(600 / PAGE_SIZE);
    const page = Array.from({ length: PAGE_SIZE }, (_, i) => chunk(pageNo * PAGE_SIZE + i));
    list = addPage(list, pageNo, page, 0);
    expect(chunkAt(list, 600)?.seq).toBe(600);
    expect(missingPages(list, 600, 650)).toEqual([]);
  });

  it('forgets evicted chunks and never asks for them', () => {
    let list = appendLive(EMPTY_LIST, Array.from({ length: 10 }, (_, i) => chunk(i)));
    list = evictBefore(list, 4);
    expect(chunkAt(list, 3)).toBeUndefined();
    expect(chunkAt(list, 4)?.seq).toBe(4);
    expect(list.firstKeptSeq).toBe(4);
    expect(missingPages(evictBefore(EMPTY_LIST, 600), 0, 10)).toEqual([]);
  });
});

describe('store', () => {
  it('applies a batch in one update: connections, counters, chunks and the first accepted selection', () => {
    const store = createInspectorStore();
    let updates = 0;
    store.subscribe(() => updates++);
    store.getState().applyBatch(
      batch([
        { type: 'connection-opened', connection: connection('C1') },
        { type: 'connection-opened', connection: connection('C2') },
        { type: 'chunk', chunk: chunk(0, 'C1'), counters: { bytesIn: 2, bytesOut: 0, chunksIn: 1, chunksOut: 0 } },
        { type: 'chunk', chunk: chunk(1, 'C1'), counters: { bytesIn: 2, bytesOut: 2, chunksIn: 1, chunksOut: 1 } },
      ]),
    );
    expect(updates).toBe(1);
    const s = store.getState();
    expect(s.connectionOrder).toEqual(['C1', 'C2']);
    expect(s.selectedId).toBe('C1');
    expect(s.connections.C1).toMatchObject({ bytesIn: 2, bytesOut: 2, chunksIn: 1, chunksOut: 1 });
    expect(chunkAt(s.chunks.C1!, 1)?.direction).toBe('out');
  });

  it('does not steal the selection, and outgoing connections are not auto-selected', () => {
    const store = createInspectorStore();
    store.getState().applyBatch(batch([{ type: 'connection-opened', connection: connection('C1', 'outgoing') }]));
    expect(store.getState().selectedId).toBeNull();
    store.getState().select('C1');
    store.getState().applyBatch(batch([{ type: 'connection-opened', connection: connection('C2') }]));
    expect(store.getState().selectedId).toBe('C1');
  });

  it('lists ten thousand connections opened in one batch, in order', () => {
    const store = createInspectorStore();
    const events: SocketEvent[] = Array.from({ length: 10_000 }, (_, i) => ({ type: 'connection-opened', connection: connection(`C${i + 1}`) }));
    store.getState().applyBatch(batch(events));
    const s = store.getState();
    expect(s.connectionOrder).toHaveLength(10_000);
    expect(s.connectionOrder[9_999]).toBe('C10000');
    expect(Object.keys(s.connections)).toHaveLength(10_000);
  });

  it('records evictions: the dropped counts and the first kept chunk', () => {
    const store = createInspectorStore();
    store.getState().applyBatch(
      batch([
        { type: 'connection-opened', connection: connection('C1') },
        ...[0, 1, 2].map((i): SocketEvent => ({ type: 'chunk', chunk: chunk(i * 2), counters: { bytesIn: 0, bytesOut: 0, chunksIn: 0, chunksOut: 0 } })),
        { type: 'chunks-evicted', connectionId: 'C1', droppedBytes: 100, droppedChunks: 2, firstKeptSeq: 2 },
      ]),
    );
    const s = store.getState();
    expect(s.connections.C1).toMatchObject({ droppedBytes: 100, droppedChunks: 2 });
    expect(s.chunks.C1!.firstKeptSeq).toBe(2);
  });
});

describe('removed connections', () => {
  it('go from the list, their chunks and the selection, and the totals follow the engine', () => {
    const store = createInspectorStore();
    store.getState().applyBatch(
      batch([
        { type: 'connection-opened', connection: connection('C1') },
        { type: 'connection-opened', connection: connection('C2') },
        { type: 'connection-opened', connection: connection('C3') },
        { type: 'chunk', chunk: chunk(0, 'C2'), counters: { bytesIn: 2, bytesOut: 0, chunksIn: 1, chunksOut: 0 } },
      ]),
    );
    store.getState().select('C2');
    store.getState().applyBatch(batch([{ type: 'connections-removed', ids: ['C1', 'C2'], totals: { connections: 2, bytesIn: 2, bytesOut: 0 } }]));
    const s = store.getState();
    expect(s.connectionOrder).toEqual(['C3']);
    expect(Object.keys(s.connections)).toEqual(['C3']);
    expect(s.chunks.C2).toBeUndefined();
    expect(s.selectedId).toBeNull();
    expect(s.removed).toEqual({ connections: 2, bytesIn: 2, bytesOut: 0 });
  });

  it('a chunk and the removal of its connection in one batch leave nothing behind', () => {
    const store = createInspectorStore();
    store.getState().applyBatch(
      batch([
        { type: 'connection-opened', connection: connection('C1') },
        { type: 'chunk', chunk: chunk(0, 'C1'), counters: { bytesIn: 2, bytesOut: 0, chunksIn: 1, chunksOut: 0 } },
        { type: 'connections-removed', ids: ['C1'], totals: { connections: 1, bytesIn: 2, bytesOut: 0 } },
      ]),
    );
    expect(store.getState().connectionOrder).toEqual([]);
    expect(store.getState().chunks.C1).toBeUndefined();
  });
});

describe('what the window keeps per connection', () => {
  const listener = {
    id: 'L1',
    requestedHost: '127.0.0.1',
    requestedPort: 0,
    address: '127.0.0.1',
    port: 5000,
    family: 'IPv4' as const,
    transport: 'tcp' as const,
    state: 'listening' as const,
    startedAt: 0,
    clientCount: 0,
    acceptedCount: 0,
  };

  it('keeps each connection’s view and name apart, and forgets them with the connection', () => {
    const store = createInspectorStore();
    const s = store.getState();
    s.applyBatch(batch([{ type: 'connection-opened', connection: connection('C1') }, { type: 'connection-opened', connection: connection('C2') }]));
    s.setView('C1', { display: 'hex', draft: 'abc' });
    s.setView('C1', { ending: 'crlf' });
    s.setView('C1', { mode: 'frames', framing: { kind: 'fixed', size: 4 }, decoder: 'auto' });
    s.setLabel('C2', '  billing  ');
    expect(store.getState().views.C1).toEqual({
      display: 'hex',
      mode: 'frames',
      framing: { kind: 'fixed', size: 4 },
      mergeMs: null,
      decoder: 'auto',
      draft: 'abc',
      hex: false,
      ending: 'crlf',
      follow: true,
    });
    expect(store.getState().views.C2).toBeUndefined();
    expect(store.getState().labels).toEqual({ C2: 'billing' });
    s.setLabel('C2', ' ');
    expect(store.getState().labels).toEqual({});
    s.applyBatch(batch([{ type: 'connections-removed', ids: ['C1'], totals: { connections: 1, bytesIn: 0, bytesOut: 0 } }]));
    expect(store.getState().views.C1).toBeUndefined();
  });

  it('a selected listener gives way to its first client; a stopped listener is no longer selected', () => {
    const store = createInspectorStore();
    const s = store.getState();
    s.applyBatch(batch([{ type: 'listener-started', listener }]));
    s.select('L1');
    s.applyBatch(batch([{ type: 'connection-opened', connection: { ...connection('C1'), listenerId: 'L1' } }]));
    expect(store.getState().selectedId).toBe('C1');
    // Later clients do not take the selection away.
    s.applyBatch(batch([{ type: 'connection-opened', connection: { ...connection('C2'), listenerId: 'L1' } }]));
    expect(store.getState().selectedId).toBe('C1');
    s.select('L1');
    s.applyBatch(batch([{ type: 'listener-stopped', listener }]));
    expect(store.getState().selectedId).toBeNull();
  });

  it('opens one New form at a time, and it replaces Ports, Help and Settings', () => {
    const store = createInspectorStore();
    const s = store.getState();
    s.openPorts('80');
    s.openNew('connect');
    expect(store.getState()).toMatchObject({ newForm: 'connect', portsOpen: false });
    s.setSettingsOpen(true);
    s.openNew('listen');
    expect(store.getState()).toMatchObject({ newForm: 'listen', settingsOpen: false });
    s.openNew(null);
    expect(store.getState().newForm).toBeNull();
  });
});

describe('reading and searching', () => {
  it('keeps a listener\'s framing for its clients, and applies search progress only to the search it belongs to', () => {
    const store = createInspectorStore();
    const s = store.getState();
    s.setListenerFraming('L1', { kind: 'delimiter', delimiterHex: '00', maxFrameBytes: 100 });
    expect(store.getState().listenerFraming.L1).toEqual({ kind: 'delimiter', delimiterHex: '00', maxFrameBytes: 100 });
    s.setFind({ searchId: 'S2' });
    const progress = { searchedBytes: 10, totalBytes: 20, matches: 1, done: false };
    s.applyBatch({ id: 1, bytes: 0, events: [{ type: 'search-progress', searchId: 'S1', progress }] });
    expect(store.getState().find.progress).toBeNull();
    s.applyBatch({ id: 2, bytes: 0, events: [{ type: 'search-progress', searchId: 'S2', progress }] });
    expect(store.getState().find.progress).toEqual(progress);
    s.setListenerFraming('L1', undefined);
    expect(store.getState().listenerFraming).toEqual({});
  });
});
