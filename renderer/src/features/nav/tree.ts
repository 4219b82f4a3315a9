import { formatEndpoint, formatHostPort } from '../../../../shared/format';
import type { ConnectionInfo, ListenerInfo } from '../../../../shared/model';

/** One row of the connections tree, flattened in display order. */
export type TreeRow =
  | { kind: 'listener'; key: string; id: string; level: 1; childCount: number; expanded: boolean }
  /** A stopped listener whose clients are still listed. */
  | { kind: 'stopped-listener'; key: string; id: string; level: 1; childCount: number; expanded: boolean; where: string }
  | { kind: 'outgoing'; key: typeof OUTGOING_KEY; level: 1; childCount: number; expanded: boolean }
  /** The streams read from one capture file. */
  | { kind: 'opened'; key: string; jobId: string; fileName: string; level: 1; childCount: number; expanded: boolean }
  | { kind: 'udp'; key: string; id: string; level: 1 }
  | { kind: 'connection'; key: string; id: string; level: 2; parentKey: string };

/** The key of the "Outgoing connections" group. */
export const OUTGOING_KEY = 'outgoing';

/** The key of an opened file's group. */
export function openedKey(jobId: string): string {
  return `file:${jobId}`;
}

/** Rows that only group others: choosing one opens or closes it. */
export function isGroupRow(row: TreeRow): row is Extract<TreeRow, { kind: 'outgoing' | 'opened' }> {
  return row.kind === 'outgoing' || row.kind === 'opened';
}

/** Human words for a connection's state. */
export function describeState(c: ConnectionInfo): string {
  if (c.state === 'half-closed') return c.halfClosedBy === 'peer' ? 'half-closed (peer sent FIN)' : 'half-closed (you sent FIN)';
  return c.state;
}

/** Where a listener listens, as its row says it. */
export function listenerWhere(l: ListenerInfo): string {
  return l.transport === 'unix' ? l.address : formatHostPort(l.address, l.port);
}

/** A listener's kind in words: "TCP listener", "TLS listener", "Unix listener", "relay". */
export function listenerKind(l: ListenerInfo): string {
  if (l.relay) return 'relay';
  return `${l.transport === 'unix' ? 'Unix' : l.transport.toUpperCase()} listener`;
}

/** The far end of a connection as its row shows it. */
export function connectionPeer(c: ConnectionInfo): string {
  if (c.origin === 'bound') return 'datagrams';
  if (c.origin === 'relay') return `${formatEndpoint(c.remote)} ⇄ ${c.relay?.target ?? ''}`;
  if (c.origin === 'outgoing' && c.state === 'connecting' && c.remoteHost) return formatHostPort(c.remoteHost, c.remote.port);
  return formatEndpoint(c.remote);
}

/** Everything a filter may match in a connection, lower case. */
export function connectionText(c: ConnectionInfo, label: string | undefined): string {
  return [
    formatEndpoint(c.local),
    formatEndpoint(c.remote),
    c.remoteHost ?? '',
    describeState(c),
    c.transport,
    c.origin === 'bound' ? 'udp socket' : c.origin,
    c.relay?.target ?? '',
    label ?? '',
    c.firstLine ?? '',
  ]
    .join(' ')
    .toLowerCase();
}

/** Everything a filter may match in a listener, lower case. */
export function listenerText(l: ListenerInfo, label: string | undefined): string {
  return [listenerWhere(l), listenerKind(l), l.transport, l.relay ? formatHostPort(l.relay.targetHost, l.relay.targetPort) : '', label ?? ''].join(' ').toLowerCase();
}

/** Words of a filter, each of which must appear (in any order); "quoted words" must appear as written. */
export function filterTerms(filter: string): string[] {
  const terms: string[] = [];
  for (const m of filter.toLowerCase().matchAll(/"([^"]*)"?|(\S+)/g)) {
    const term = m[1] ?? m[2];
    if (term && term.trim()) terms.push(m[1] !== undefined ? term : term.trim());
  }
  return terms;
}

function matches(text: string, terms: readonly string[]): boolean {
  return terms.every((t) => text.includes(t));
}

export interface TreeInput {
  listenerOrder: readonly string[];
  listeners: Readonly<Record<string, ListenerInfo>>;
  connectionOrder: readonly string[];
  connections: Readonly<Record<string, ConnectionInfo>>;
  labels: Readonly<Record<string, string>>;
  /** Keys of parents the user collapsed. */
  collapsed: ReadonlySet<string>;
  filter: string;
}

/**
 * The tree as rows: each listener (TCP, TLS, Unix, relay) with its clients, stopped listeners
 * whose clients are still listed, UDP sockets, and outgoing connections under their own
 * heading. With a filter, a parent that matches keeps all its children; otherwise only the
 * children that match are shown, under their parent, and every parent is open.
 */
export function buildTree(input: TreeInput): TreeRow[] {
  const terms = filterTerms(input.filter);
  const children = new Map<string, string[]>();
  const outgoing: string[] = [];
  const udp: string[] = [];
  const files = new Map<string, { fileName: string; ids: string[] }>();
  for (const id of input.connectionOrder) {
    const c = input.connections[id];
    if (!c) continue;
    if (c.origin === 'opened' && c.source) {
      let file = files.get(c.source.jobId);
      if (!file) files.set(c.source.jobId, (file = { fileName: c.source.fileName, ids: [] }));
      file.ids.push(id);
    } else if (c.origin === 'bound') udp.push(id);
    else if (c.listenerId && (c.origin === 'accepted' || c.origin === 'relay')) {
      let list = children.get(c.listenerId);
      if (!list) children.set(c.listenerId, (list = []));
      list.push(id);
    } else outgoing.push(id);
  }
  const rows: TreeRow[] = [];
  const connectionMatches = (id: string) => matches(connectionText(input.connections[id]!, input.labels[id]), terms);
  type ParentRow = Extract<TreeRow, { expanded: boolean }>;
  const addParent = (parent: ParentRow, kids: string[], parentMatches: boolean) => {
    const shownKids = terms.length === 0 || parentMatches ? kids : kids.filter(connectionMatches);
    if (terms.length > 0 && !parentMatches && shownKids.length === 0) return;
    const expanded = terms.length > 0 ? true : !input.collapsed.has(parent.key);
    rows.push({ ...parent, childCount: kids.length, expanded } as ParentRow);
    if (expanded) for (const id of shownKids) rows.push({ kind: 'connection', key: id, id, level: 2, parentKey: parent.key });
  };
  for (const id of input.listenerOrder) {
    const l = input.listeners[id];
    if (!l) continue;
    const kids = children.get(id) ?? [];
    children.delete(id);
    const parentMatches = terms.length > 0 && matches(listenerText(l, input.labels[id]), terms);
    addParent({ kind: 'listener', key: id, id, level: 1, childCount: 0, expanded: true }, kids, parentMatches);
  }
  // Clients of listeners that were stopped stay listed under where they were accepted.
  for (const [id, kids] of children) {
    const first = input.connections[kids[0]!]!;
    const where = `${formatEndpoint(first.local)} (stopped)`;
    const parentMatches = terms.length > 0 && matches(`${where} ${input.labels[id] ?? ''}`.toLowerCase(), terms);
    addParent({ kind: 'stopped-listener', key: id, id, level: 1, childCount: 0, expanded: true, where }, kids, parentMatches);
  }
  for (const id of udp) {
    if (terms.length === 0 || connectionMatches(id)) rows.push({ kind: 'udp', key: id, id, level: 1 });
  }
  if (outgoing.length > 0) {
    const parentMatches = terms.length > 0 && matches('outgoing connections', terms);
    addParent({ kind: 'outgoing', key: OUTGOING_KEY, level: 1, childCount: 0, expanded: true }, outgoing, parentMatches);
  }
  for (const [jobId, file] of files) {
    const parentMatches = terms.length > 0 && matches(`${file.fileName} opened file`.toLowerCase(), terms);
    addParent({ kind: 'opened', key: openedKey(jobId), jobId, fileName: file.fileName, level: 1, childCount: 0, expanded: true }, file.ids, parentMatches);
  }
  return rows;
}

/** The index of the row a key belongs to, or -1. */
export function rowIndex(rows: readonly TreeRow[], key: string): number {
  return rows.findIndex((r) => r.key === key);
}

/** Where the tree's keyboard focus goes for a key press, or null when the key is not the tree's. */
export function moveFocus(rows: readonly TreeRow[], index: number, key: string): number | null {
  if (rows.length === 0) return null;
  const row = rows[index];
  switch (key) {
    case 'ArrowDown':
      return Math.min(rows.length - 1, index + 1);
    case 'ArrowUp':
      return Math.max(0, index - 1);
    case 'Home':
      return 0;
    case 'End':
      return rows.length - 1;
    case 'ArrowLeft':
      // To the parent of a child row.
      if (row?.kind === 'connection') return rowIndex(rows, row.parentKey);
      return index;
    case 'ArrowRight':
      // Into an open parent's first child.
      if (row && 'expanded' in row && row.expanded && rows[index + 1]?.level === 2) return index + 1;
      return index;
    default:
      return null;
  }
}
