import { create, type StateCreator } from 'zustand';
import type { Chunk, ConnectionInfo, EventBatch, FileJob, ListenerInfo, RemovedTotals, SavedState, Settings, Snapshot, TaskInfo } from '../../../shared/model';
import { addPage, appendLive, EMPTY_LIST, evictBefore, type ChunkList } from './chunkList';

export type { ChunkList };
import type { LinkStatus } from '../../../shared/contract';
import type { LineEnding } from '../../../shared/bytes';
import type { ThemeSource } from '../../../shared/shortcuts';
import { loadTheme, saveTheme } from './theme';
import type { FramingSpec, ViewMode } from '../../../shared/reading';
import type { DecoderChoice } from '../../../shared/decoded';
import type { SearchMatch, SearchProgress, SearchQuery } from '../../../shared/search';

/** How the traffic of a connection is shown. */
export type Display = 'text' | 'hex';

/** What the window keeps for each connection while the user looks at others. */
export interface ConnectionView {
  display: Display;
  /** Chunks, Lines, Stream or Frames. */
  mode: ViewMode;
  /** Its own framing for the Frames view; without one, its listener's, else LF. */
  framing?: FramingSpec;
  /** Stream view: chunks of one direction further apart than this start a new row; null merges all. */
  mergeMs: number | null;
  /** The decoder whose one-line summary each row shows. */
  decoder: DecoderChoice;
  /** The message being typed, and how it becomes bytes. */
  draft: string;
  hex: boolean;
  ending: LineEnding;
  /** Whether the traffic follows new rows (false once the user scrolled up). */
  follow: boolean;
  /** A UDP socket's destination. */
  udpHost?: string;
  udpPort?: string;
}

/** A view for a connection never looked at. */
export const DEFAULT_VIEW: ConnectionView = { display: 'text', mode: 'chunks', mergeMs: null, decoder: 'none', draft: '', hex: false, ending: 'none', follow: true };

/** The find bar (Ctrl+F) and the search it ran. */
export interface FindState {
  open: boolean;
  query: SearchQuery;
  /** The selected connection, or every connection. */
  scope: 'connection' | 'all';
  searchId: string | null;
  /** The connection searched when the scope was one connection. */
  searchedId: string | null;
  progress: SearchProgress | null;
  error: string | null;
  /** The matches, once the search is done (in capture order, per connection). */
  matches: SearchMatch[];
  /** The search whose matches are loaded: the find bar fetches them (and goes to the first) once. */
  matchesOf: string | null;
  /** Which match next/previous is on, or -1. */
  current: number;
  onlyMatching: boolean;
  /** Bumped to ask the find bar to take focus. */
  focusN: number;
  /** Bumped to ask the view to scroll to the current match. */
  revealN: number;
}

export const EMPTY_FIND: FindState = {
  open: false,
  query: { kind: 'text', pattern: '', caseSensitive: false, direction: 'both' },
  scope: 'connection',
  searchId: null,
  searchedId: null,
  progress: null,
  error: null,
  matches: [],
  matchesOf: null,
  current: -1,
  onlyMatching: false,
  focusN: 0,
  revealN: 0,
};

/**
 * Where each connection's traffic was scrolled to. Kept outside the store: scrolling must not
 * re-render anything.
 */
export const scrollMemory = new Map<string, number>();

/** The four things the New bar creates. */
export type NewKind = 'listen' | 'connect' | 'udp' | 'relay';

interface HostSlice {
  /** How the link to the engine stands, and why it closed. */
  link: LinkStatus;
  setLink(link: LinkStatus): void;
  /** The engine's settings, once known. */
  settings: Settings | null;
  /** The host's network interfaces, for multicast. */
  interfaces: Snapshot['interfaces'];
  setSettings(settings: Settings): void;
}

interface ListenersSlice {
  listeners: Record<string, ListenerInfo>;
  listenerOrder: string[];
}

interface ConnectionsSlice {
  connections: Record<string, ConnectionInfo>;
  connectionOrder: string[];
  /** Closed connections no longer listed, and what they carried. */
  removed: RemovedTotals;
}

interface TrafficSlice {
  chunks: Record<string, ChunkList>;
  /** Stores a page of older chunks fetched from the engine for rows the live tail lacks. */
  addChunkPage(connectionId: string, pageNo: number, chunks: Chunk[], firstKeptSeq: number): void;
}

interface SelectionSlice {
  /** The selected connection's id, or a listener's (its details and actions). */
  selectedId: string | null;
  select(id: string | null): void;
  /** Asks the connections tree to move keyboard focus to this row once it is shown. */
  focusRequest: { id: string; n: number } | null;
  requestFocus(id: string): void;
}

interface ViewsSlice {
  views: Record<string, ConnectionView>;
  setView(id: string, patch: Partial<ConnectionView>): void;
  /** Names the user gave connections and listeners. */
  labels: Record<string, string>;
  setLabel(id: string, label: string): void;
  /** Framing a listener's clients inherit (a client's own framing wins). */
  listenerFraming: Record<string, FramingSpec>;
  setListenerFraming(id: string, framing: FramingSpec | undefined): void;
  find: FindState;
  setFind(patch: Partial<FindState>): void;
}

interface SavedSlice {
  /** Saved messages and send history, once loaded from the host. */
  saved: SavedState | null;
  setSaved(saved: SavedState): void;
}

interface UiSlice {
  /** The ports view, and the filter it opens with. */
  portsOpen: boolean;
  portsFilter: string;
  openPorts(filter?: string): void;
  closePorts(): void;
  /** Which New form is open, if any. */
  newForm: NewKind | null;
  openNew(kind: NewKind | null): void;
  helpOpen: boolean;
  setHelpOpen(open: boolean): void;
  settingsOpen: boolean;
  setSettingsOpen(open: boolean): void;
  /** Light, dark, or as the system says. */
  theme: ThemeSource;
  setTheme(theme: ThemeSource): void;
  /** A listener row's menu asked for its Auto-reply editor or its Send to all clients box. */
  listenerAction: { id: string; what: 'auto-reply' | 'broadcast'; n: number } | null;
  openListenerAction(id: string, what: 'auto-reply' | 'broadcast'): void;
  /** A file dialog the menu, a shortcut or a button asked for; n changes on every ask. */
  fileDialog: { kind: FileDialogKind; n: number; scope?: ExportScope } | null;
  openFileDialog(kind: FileDialogKind | null): void;
  /** Opens the export dialog for these connections. */
  openExport(scope: ExportScope): void;
  /** Exports and opened files, running and recent, newest last. */
  jobs: Record<string, FileJob>;
  jobOrder: string[];
  /** Jobs this page started, and what to do when each ends: download an export, select what was opened. */
  followUps: Record<string, 'download' | 'select'>;
  setFollowUp(jobId: string, what: 'download' | 'select' | null): void;
}

/** What an export covers: one connection, a listener's or relay's, an opened file's streams, or all. */
export type ExportScope = { connectionId: string } | { listenerId: string } | { jobId: string } | { all: true };

/** What the file actions open: choose a capture file, export, choose a workspace file, save the workspace. */
export type FileDialogKind = 'open-capture' | 'export' | 'open-workspace' | 'save-workspace';

interface TasksSlice {
  tasks: Record<string, TaskInfo>;
  taskOrder: string[];
}

interface PumpSlice {
  applyBatch(batch: EventBatch): void;
  applySnapshot(snapshot: Snapshot): void;
}

export type InspectorState = HostSlice &
  ListenersSlice &
  ConnectionsSlice &
  TrafficSlice &
  SelectionSlice &
  SavedSlice &
  ViewsSlice &
  TasksSlice &
  UiSlice &
  PumpSlice;

type Slice<T> = StateCreator<InspectorState, [], [], T>;

const createHostSlice: Slice<HostSlice> = (set) => ({
  link: { state: 'connecting' },
  setLink: (link) => set({ link }),
  settings: null,
  interfaces: [],
  setSettings: (settings) => set({ settings }),
});

const createListenersSlice: Slice<ListenersSlice> = () => ({ listeners: {}, listenerOrder: [] });

const NO_REMOVED: RemovedTotals = { connections: 0, bytesIn: 0, bytesOut: 0 };

const createConnectionsSlice: Slice<ConnectionsSlice> = () => ({ connections: {}, connectionOrder: [], removed: NO_REMOVED });

const createSavedSlice: Slice<SavedSlice> = (set) => ({ saved: null, setSaved: (saved) => set({ saved }) });

const createTasksSlice: Slice<TasksSlice> = () => ({ tasks: {}, taskOrder: [] });

const createUiSlice: Slice<UiSlice> = (set) => ({
  portsOpen: false,
  portsFilter: '',
  openPorts: (filter = '') => set({ portsOpen: true, portsFilter: filter, helpOpen: false, settingsOpen: false }),
  closePorts: () => set({ portsOpen: false }),
  newForm: null,
  openNew: (newForm) => set(newForm ? { newForm, portsOpen: false, helpOpen: false, settingsOpen: false } : { newForm }),
  fileDialog: null,
  openFileDialog: (kind) => set((s) => ({ fileDialog: kind ? { kind, n: (s.fileDialog?.n ?? 0) + 1 } : null })),
  openExport: (scope) => set((s) => ({ fileDialog: { kind: 'export', n: (s.fileDialog?.n ?? 0) + 1, scope } })),
  jobs: {},
  jobOrder: [],
  followUps: {},
  setFollowUp: (jobId, what) =>
    set((s) => {
      const followUps = { ...s.followUps };
      if (what) followUps[jobId] = what;
      else delete followUps[jobId];
      return { followUps };
    }),
  helpOpen: false,
  setHelpOpen: (helpOpen) => set(helpOpen ? { helpOpen, portsOpen: false, settingsOpen: false } : { helpOpen }),
  theme: loadTheme(),
  setTheme: (theme) => {
    saveTheme(theme);
    set({ theme });
  },
  settingsOpen: false,
  setSettingsOpen: (settingsOpen) => set(settingsOpen ? { settingsOpen, portsOpen: false, helpOpen: false } : { settingsOpen }),
  listenerAction: null,
  openListenerAction: (id, what) =>
    set((s) => ({ selectedId: id, portsOpen: false, helpOpen: false, listenerAction: { id, what, n: (s.listenerAction?.n ?? 0) + 1 } })),
});

const createViewsSlice: Slice<ViewsSlice> = (set) => ({
  views: {},
  setView: (id, patch) => set((s) => ({ views: { ...s.views, [id]: { ...(s.views[id] ?? DEFAULT_VIEW), ...patch } } })),
  listenerFraming: {},
  setListenerFraming: (id, framing) =>
    set((s) => {
      const listenerFraming = { ...s.listenerFraming };
      if (framing) listenerFraming[id] = framing;
      else delete listenerFraming[id];
      return { listenerFraming };
    }),
  find: EMPTY_FIND,
  setFind: (patch) => set((s) => ({ find: { ...s.find, ...patch } })),
  labels: {},
  setLabel: (id, label) =>
    set((s) => {
      const labels = { ...s.labels };
      if (label.trim()) labels[id] = label.trim();
      else delete labels[id];
      return { labels };
    }),
});

const createTrafficSlice: Slice<TrafficSlice> = (set) => ({
  chunks: {},
  addChunkPage: (connectionId, pageNo, chunks, firstKeptSeq) =>
    set((s) => ({
      chunks: { ...s.chunks, [connectionId]: addPage(s.chunks[connectionId] ?? EMPTY_LIST, pageNo, chunks, firstKeptSeq) },
    })),
});

const createSelectionSlice: Slice<SelectionSlice> = (set) => ({
  selectedId: null,
  select: (selectedId) => set({ selectedId }),
  focusRequest: null,
  requestFocus: (id) => set((s) => ({ focusRequest: { id, n: (s.focusRequest?.n ?? 0) + 1 } })),
});

const createPumpSlice: Slice<PumpSlice> = (set) => ({
  applySnapshot: (snapshot) =>
    set((s) => {
      const listeners: Record<string, ListenerInfo> = {};
      for (const l of snapshot.listeners) listeners[l.id] = l;
      // Merged, not replaced: events applied before the snapshot arrived may be newer than it.
      const connections: Record<string, ConnectionInfo> = { ...s.connections };
      const order = [...s.connectionOrder];
      for (const c of snapshot.connections) {
        if (!connections[c.id]) order.push(c.id);
        connections[c.id] = c;
      }
      const tasks: Record<string, TaskInfo> = {};
      for (const t of snapshot.tasks) tasks[t.id] = t;
      return {
        tasks,
        taskOrder: snapshot.tasks.map((t) => t.id),
        settings: snapshot.settings,
        interfaces: snapshot.interfaces,
        listeners,
        listenerOrder: snapshot.listeners.map((l) => l.id),
        connections,
        connectionOrder: order,
        removed: snapshot.removed,
        jobs: Object.fromEntries((snapshot.jobs ?? []).map((j) => [j.id, j])),
        jobOrder: (snapshot.jobs ?? []).map((j) => j.id),
      };
    }),

  applyBatch: (batch) =>
    set((s) => {
      let listeners = s.listeners;
      let listenerOrder = s.listenerOrder;
      let connections = s.connections;
      let connectionOrder = s.connectionOrder;
      // One copy of the order per batch, then pushes: thousands of accepts in a batch stay linear.
      const addConnection = (id: string) => {
        if (connectionOrder === s.connectionOrder) connectionOrder = [...s.connectionOrder];
        connectionOrder.push(id);
      };
      let selectedId = s.selectedId;
      let tasks = s.tasks;
      let taskOrder = s.taskOrder;
      let removed = s.removed;
      let find = s.find;
      let jobs = s.jobs;
      let jobOrder = s.jobOrder;
      const gone = new Set<string>();
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
            if (selectedId === ev.listener.id) selectedId = null;
            break;
          case 'connection-opened':
            touchConnections();
            if (!connections[ev.connection.id]) addConnection(ev.connection.id);
            connections[ev.connection.id] = ev.connection;
            // The first client a listener accepts is shown when nothing else is, or when its
            // listener is what is shown.
            if (
              (selectedId === null || (selectedId === ev.connection.listenerId && !connectionOrder.some((id) => connections[id]?.listenerId === selectedId && id !== ev.connection.id))) &&
              (ev.connection.origin === 'accepted' || ev.connection.origin === 'relay')
            )
              selectedId = ev.connection.id;
            break;
          case 'connection-updated':
          case 'connection-closed': {
            touchConnections();
            if (!connections[ev.connection.id]) addConnection(ev.connection.id);
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
          case 'search-progress':
            if (find.searchId === ev.searchId) find = { ...find, progress: ev.progress };
            break;
          case 'file-job':
            if (jobs === s.jobs) jobs = { ...s.jobs };
            if (!jobs[ev.job.id]) jobOrder = [...jobOrder, ev.job.id];
            jobs[ev.job.id] = ev.job;
            break;
          case 'task-updated':
            if (tasks === s.tasks) tasks = { ...s.tasks };
            if (!tasks[ev.task.id]) taskOrder = [...taskOrder, ev.task.id];
            tasks[ev.task.id] = ev.task;
            break;
          case 'connections-removed': {
            touchConnections();
            for (const id of ev.ids) {
              delete connections[id];
              gone.add(id);
              chunkGroups.delete(id);
              evictions.delete(id);
              if (selectedId === id) selectedId = null;
            }
            removed = ev.totals;
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
      if (gone.size > 0) connectionOrder = connectionOrder.filter((id) => !gone.has(id));
      let chunks = s.chunks;
      if (chunkGroups.size || evictions.size || gone.size) {
        chunks = { ...s.chunks };
        for (const id of gone) delete chunks[id];
        for (const [id, group] of chunkGroups) chunks[id] = appendLive(chunks[id] ?? EMPTY_LIST, group);
        for (const [id, firstKeptSeq] of evictions) {
          const list = chunks[id];
          chunks[id] = evictBefore(list ?? EMPTY_LIST, firstKeptSeq);
        }
      }
      let views = s.views;
      let labels = s.labels;
      if (gone.size > 0) {
        views = { ...views };
        labels = { ...labels };
        for (const id of gone) {
          delete views[id];
          delete labels[id];
          scrollMemory.delete(id);
        }
      }
      if (jobOrder.length > 30) {
        // The engine keeps the last 20 ended jobs; the page forgets as many.
        const drop = jobOrder.slice(0, jobOrder.length - 30).filter((id) => jobs[id]?.state !== 'running');
        if (drop.length > 0) {
          jobs = { ...jobs };
          for (const id of drop) delete jobs[id];
          jobOrder = jobOrder.filter((id) => jobs[id]);
        }
      }
      return { listeners, listenerOrder, connections, connectionOrder, chunks, selectedId, tasks, taskOrder, removed, views, labels, find, jobs, jobOrder };
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
    ...createSavedSlice(...a),
    ...createViewsSlice(...a),
    ...createTasksSlice(...a),
    ...createUiSlice(...a),
    ...createPumpSlice(...a),
  }));
}

/** The app's one store. */
export const useInspector = createInspectorStore();
