import { create, type StateCreator } from 'zustand';
import type { Chunk, ChunkPage, ConnectionInfo, EventBatch, ListenerInfo, Snapshot } from '../../../shared/model';
import type { LinkState } from '../api';

/**
 * A connection's chunks as the view sees them. `items` is append-only and shared between
 * versions; `end` says how many of them this version holds and `start` where the kept ones
 * begin, so each batch makes a new small object without copying a long array.
 */
export interface ChunkList {
  items: Chunk[];
  start: number;
  end: number;
  /** Sequence number of the first chunk the engine still keeps (those before were evicted). */
  firstKeptSeq: number;
}

interface HostSlice {
  link: LinkState;
  linkDetail?: string;
  setLink(link: LinkState, detail?: string): void;
}

interface ListenersSlice {
  listeners: Record<string, ListenerInfo>;
  listenerOrder: string[];
}

interface ConnectionsSlice {
  connections: Record<string, ConnectionInfo>;
  connectionOrder: string[];
}

interface TrafficSlice {
  chunks: Record<string, ChunkList>;
  /** Merges a page fetched from the engine (after a reload, or on selecting an old connection). */
  mergeChunkPage(connectionId: string, page: ChunkPage): void;
}

interface SelectionSlice {
  selectedId: string | null;
  select(id: string | null): void;
}

interface PumpSlice {
  applyBatch(batch: EventBatch): void;
  applySnapshot(snapshot: Snapshot): void;
}

export type InspectorState = HostSlice & ListenersSlice & ConnectionsSlice & TrafficSlice & SelectionSlice & PumpSlice;

type Slice<T> = StateCreator<InspectorState, [], [], T>;

const createHostSlice: Slice<HostSlice> = (set) => ({
  link: 'connecting',
  setLink: (link, linkDetail) => set({ link, linkDetail }),
});

const createListenersSlice: Slice<ListenersSlice> = () => ({ listeners: {}, listenerOrder: [] });

const createConnectionsSlice: Slice<ConnectionsSlice> = () => ({ connections: {}, connectionOrder: [] });

const emptyList = (): ChunkList => ({ items: [], start: 0, end: 0, firstKeptSeq: 0 });

/** Appends chunks in seq order, ignoring ones already present (a fetched page may overlap events). */
function appendChunks(list: ChunkList | undefined, incoming: Chunk[]): ChunkList {
  let base = list ?? emptyList();
  // Another version may already have appended past our end: fork rather than clobber.
  if (base.items.length !== base.end) base = { ...base, items: base.items.slice(0, base.end) };
  const items = base.items;
  let lastSeq = base.end > base.start ? items[base.end - 1]!.seq : -1;
  for (const c of incoming) {
    if (c.seq <= lastSeq) continue;
    items.push(c);
    lastSeq = c.seq;
  }
  return { ...base, items, end: items.length };
}

function dropBefore(list: ChunkList, firstKeptSeq: number): ChunkList {
  let start = list.start;
  while (start < list.end && list.items[start]!.seq < firstKeptSeq) start++;
  if (start > 4096 && start * 2 > list.end) {
    // Let go of evicted chunks once they are most of the array.
    const items = list.items.slice(start, list.end);
    return { items, start: 0, end: items.length, firstKeptSeq };
  }
  return { ...list, start, firstKeptSeq };
}

const createTrafficSlice: Slice<TrafficSlice> = (set) => ({
  chunks: {},
  mergeChunkPage: (connectionId, page) =>
    set((s) => {
      const current = s.chunks[connectionId];
      const known = current ? current.items.slice(current.start, current.end) : [];
      const merged = [...page.chunks, ...known].sort((a, b) => a.seq - b.seq);
      const list = appendChunks(undefined, merged);
      return { chunks: { ...s.chunks, [connectionId]: dropBefore(list, page.firstKeptSeq) } };
    }),
});

const createSelectionSlice: Slice<SelectionSlice> = (set) => ({
  selectedId: null,
  select: (selectedId) => set({ selectedId }),
});

const createPumpSlice: Slice<PumpSlice> = (set) => ({
  applySnapshot: (snapshot) =>
    set((s) => {
      const listeners: Record<string, ListenerInfo> = {};
      for (const l of snapshot.listeners) listeners[l.id] = l;
      const connections: Record<string, ConnectionInfo> = { ...s.connections };
      const order = [...s.connectionOrder];
      for (const c of snapshot.connections) {
        if (!connections[c.id]) order.push(c.id);
        connections[c.id] = c;
      }
      return {
        listeners,
        listenerOrder: snapshot.listeners.map((l) => l.id),
        connections,
        connectionOrder: order,
      };
    }),

  applyBatch: (batch) =>
    set((s) => {
      let listeners = s.listeners;
      let listenerOrder = s.listenerOrder;
      let connections = s.connections;
      let connectionOrder = s.connectionOrder;
      let selectedId = s.selectedId;
      const chunkGroups = new Map<string, Chunk[]>();
      const evictions = new Map<string, number>();
      const touchListeners = () => {
        if (listeners === s.listeners) listeners = { ...s.listeners };
      };
      const touchConnections = () => {
        if (connections === s.connections) connections = { ...s.connections };
      };
      for (const ev of batch.events) {
        switch (ev.type) {
          case 'listener-started':
            touchListeners();
            listeners[ev.listener.id] = ev.listener;
            if (!listenerOrder.includes(ev.listener.id)) listenerOrder = [...listenerOrder, ev.listener.id];
            break;
          case 'listener-updated':
            if (listeners[ev.listener.id]) {
              touchListeners();
              listeners[ev.listener.id] = ev.listener;
            }
            break;
          case 'listener-stopped':
            touchListeners();
            delete listeners[ev.listener.id];
            listenerOrder = listenerOrder.filter((id) => id !== ev.listener.id);
            break;
          case 'connection-opened':
            touchConnections();
            if (!connections[ev.connection.id]) connectionOrder = [...connectionOrder, ev.connection.id];
            connections[ev.connection.id] = ev.connection;
            // The first client a listener accepts is shown when nothing else is.
            if (selectedId === null && ev.connection.origin === 'accepted') selectedId = ev.connection.id;
            break;
          case 'connection-updated':
          case 'connection-closed': {
            touchConnections();
            if (!connections[ev.connection.id]) connectionOrder = [...connectionOrder, ev.connection.id];
            connections[ev.connection.id] = ev.connection;
            break;
          }
          case 'chunk': {
            const id = ev.chunk.connectionId;
            const existing = connections[id];
            if (existing) {
              touchConnections();
              connections[id] = { ...existing, ...ev.counters };
            }
            let group = chunkGroups.get(id);
            if (!group) chunkGroups.set(id, (group = []));
            group.push(ev.chunk);
            break;
          }
          case 'chunks-evicted': {
            evictions.set(ev.connectionId, ev.firstKeptSeq);
            const existing = connections[ev.connectionId];
            if (existing) {
              touchConnections();
              connections[ev.connectionId] = {
                ...existing,
                droppedBytes: ev.droppedBytes,
                droppedChunks: ev.droppedChunks,
              };
            }
            break;
          }
        }
      }
      let chunks = s.chunks;
      if (chunkGroups.size || evictions.size) {
        chunks = { ...s.chunks };
        for (const [id, group] of chunkGroups) chunks[id] = appendChunks(chunks[id], group);
        for (const [id, firstKeptSeq] of evictions) {
          const list = chunks[id];
          if (list) chunks[id] = dropBefore(list, firstKeptSeq);
        }
      }
      return { listeners, listenerOrder, connections, connectionOrder, chunks, selectedId };
    }),
});

/** Builds a store; the app uses one, tests make their own. */
export function createInspectorStore() {
  return create<InspectorState>()((...a) => ({
    ...createHostSlice(...a),
    ...createListenersSlice(...a),
    ...createConnectionsSlice(...a),
    ...createTrafficSlice(...a),
    ...createSelectionSlice(...a),
    ...createPumpSlice(...a),
  }));
}

/** The app's one store. */
export const useInspector = createInspectorStore();
