import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { formatBytes } from '../../../../shared/format';
import type { ErrorInfo } from '../../../../shared/result';
import { useApi } from '../../api/context';
import type { InspectorApi } from '../../../../shared/contract';
import { ActionMenu, type MenuAction } from '../../components/ActionMenu';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useInspector } from '../../state/store';
import { buildTree, connectionPeer, describeState, isGroupRow, listenerKind, listenerWhere, moveFocus, rowIndex, type TreeRow } from './tree';

const ROW_HEIGHT = 48;

/** The id of the filter box (the Find shortcut focuses it). */
export const NAV_FILTER_ID = 'nav-filter';

/** How many connections are closed (a selector: a number, so rows re-render only when it changes). */
export function countClosed(connections: Record<string, { state: string; listenerId?: string; origin: string }>, listenerId?: string, outgoing = false): number {
  let n = 0;
  for (const id in connections) {
    const c = connections[id]!;
    if (c.state !== 'closed') continue;
    if (outgoing ? c.origin === 'outgoing' : listenerId === undefined || c.listenerId === listenerId) n++;
  }
  return n;
}

/**
 * The navigation: a filter box and the tree of listeners, relays, UDP sockets and outgoing
 * connections with their connections as children. Virtualized, one tab stop: arrow keys move,
 * Enter selects, Delete removes a closed connection, Shift+F10 opens a row's actions.
 */
export function NavPane() {
  const api = useApi();
  const [filter, setFilter] = useState('');
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [menuFor, setMenuFor] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const listenerOrder = useInspector(useShallow((s) => s.listenerOrder));
  const listeners = useInspector((s) => s.listeners);
  const connectionOrder = useInspector(useShallow((s) => s.connectionOrder));
  const labels = useInspector((s) => s.labels);
  // Without a filter the tree's shape depends only on which connections exist (their parent
  // never changes), so counters ticking under a flood do not rebuild it.
  const filterConnections = useInspector((s) => (filter.trim() ? s.connections : null));
  const closedCount = useInspector((s) => countClosed(s.connections));
  const removed = useInspector((s) => s.removed);
  const selectedId = useInspector((s) => s.selectedId);
  const select = useInspector((s) => s.select);
  const focusRequest = useInspector((s) => s.focusRequest);

  const rows = useMemo(
    () =>
      buildTree({
        listenerOrder,
        listeners,
        connectionOrder,
        connections: filterConnections ?? useInspector.getState().connections,
        labels,
        collapsed,
        filter,
      }),
    [listenerOrder, listeners, connectionOrder, filterConnections, labels, collapsed, filter],
  );

  const scrollRef = useRef<HTMLDivElement>(null);
  const [focusIndex, setFocusIndex] = useState(0);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    getItemKey: (i) => rows[i]!.key,
  });

  const focusRow = useCallback(
    (index: number) => {
      setFocusIndex(index);
      virtualizer.scrollToIndex(index, { align: 'auto' });
      requestAnimationFrame(() => {
        (scrollRef.current?.querySelector(`[data-index="${index}"]`) as HTMLElement | null)?.focus({ preventScroll: true });
      });
    },
    [virtualizer],
  );

  // Focus moves to what was just created (or asked for), once its row exists.
  const handled = useRef(0);
  useEffect(() => {
    if (!focusRequest || focusRequest.n === handled.current) return;
    const i = rowIndex(rows, focusRequest.id);
    if (i < 0) return;
    handled.current = focusRequest.n;
    focusRow(i);
  }, [focusRequest, rows, focusRow]);

  const safeFocus = Math.min(focusIndex, Math.max(0, rows.length - 1));

  const toggleCollapsed = useCallback((key: string) => {
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  }, []);

  const report = useCallback((p: Promise<{ ok: boolean } & Partial<ErrorInfo>>) => {
    void p.then((r) => setError(r.ok ? null : (r as ErrorInfo)));
  }, []);

  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>) => {
    // Keys with Ctrl, Alt or Cmd are the app's shortcuts, not the tree's.
    if (renaming || (e.target as HTMLElement).tagName === 'INPUT' || e.ctrlKey || e.altKey || e.metaKey) return;
    const row = rows[safeFocus];
    if (!row) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      if (isGroupRow(row)) toggleCollapsed(row.key);
      else select(row.id);
      return;
    }
    if (e.key === 'Delete' && !isGroupRow(row) && row.kind !== 'listener' && row.kind !== 'stopped-listener') {
      const c = useInspector.getState().connections[row.id];
      if (c?.state === 'closed') {
        e.preventDefault();
        report(api.removeClosed({ connectionId: row.id }));
        focusRow(Math.max(0, safeFocus - 1));
      }
      return;
    }
    if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
      e.preventDefault();
      setMenuFor(row.key);
      return;
    }
    if ((e.key === 'ArrowRight' || e.key === 'ArrowLeft') && 'expanded' in row) {
      if ((e.key === 'ArrowRight') !== row.expanded) {
        e.preventDefault();
        toggleCollapsed(row.key);
        return;
      }
    }
    const next = moveFocus(rows, safeFocus, e.key);
    if (next === null) return;
    e.preventDefault();
    focusRow(next);
  };

  return (
    <nav className="nav-pane" aria-label="Connections">
      <div className="nav-tools">
        <label className="visually-hidden" htmlFor={NAV_FILTER_ID}>
          Filter connections
        </label>
        <input
          id={NAV_FILTER_ID}
          type="search"
          className="nav-filter"
          placeholder="Filter: address, port, state, label…"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown' && rows.length > 0) {
              e.preventDefault();
              focusRow(0);
            } else if (e.key === 'Escape' && filter) {
              e.stopPropagation();
              setFilter('');
            }
          }}
          spellCheck={false}
          autoComplete="off"
        />
        <button
          type="button"
          className="mini"
          aria-disabled={closedCount === 0}
          onClick={() => {
            if (closedCount > 0) report(api.removeClosed({}));
          }}
          title="Forget every closed connection and its captured bytes"
        >
          Remove closed
        </button>
      </div>
      <p className="nav-summary muted small" aria-live="polite">
        {connectionOrder.length} {connectionOrder.length === 1 ? 'connection' : 'connections'}
        {filter.trim() ? `, ${rows.filter((r) => r.kind === 'connection' || r.kind === 'udp').length} shown` : ''}
        {removed.connections > 0 && (
          <span title={`They carried ${formatBytes(removed.bytesIn)} in and ${formatBytes(removed.bytesOut)} out`}> · {removed.connections} closed removed</span>
        )}
      </p>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      {rows.length === 0 && (
        <p className="muted small nav-empty">
          {filter.trim() ? 'Nothing matches the filter.' : 'Nothing yet. Start a listener, connect to a server, or bind a UDP socket with the New bar above.'}
        </p>
      )}
      <div ref={scrollRef} className="nav-scroll">
        <div
          role="tree"
          aria-label="Connections"
          className="nav-tree"
          style={{ height: virtualizer.getTotalSize() }}
          onKeyDown={onKeyDown}
        >
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index]!;
            return (
              <TreeRowView
                key={item.key}
                row={row}
                index={item.index}
                top={item.start}
                focusable={item.index === safeFocus}
                selected={'id' in row && row.id === selectedId}
                menuOpen={menuFor === row.key}
                onMenu={(open) => setMenuFor(open ? row.key : null)}
                renaming={renaming === row.key}
                onRename={setRenaming}
                onFocusRow={setFocusIndex}
                onToggle={toggleCollapsed}
                report={report}
                api={api}
              />
            );
          })}
        </div>
      </div>
    </nav>
  );
}

interface RowProps {
  row: TreeRow;
  index: number;
  top: number;
  focusable: boolean;
  selected: boolean;
  menuOpen: boolean;
  onMenu: (open: boolean) => void;
  renaming: boolean;
  onRename: (key: string | null) => void;
  onFocusRow: (index: number) => void;
  onToggle: (key: string) => void;
  report: (p: Promise<{ ok: boolean } & Partial<ErrorInfo>>) => void;
  api: InspectorApi;
}

const TreeRowView = memo(function TreeRowView(props: RowProps) {
  const { row, index, top, focusable, selected, onFocusRow, onToggle } = props;
  const select = useInspector((s) => s.select);
  const expandable = 'expanded' in row;
  return (
    <div
      role="treeitem"
      aria-level={row.level}
      aria-expanded={expandable ? row.expanded : undefined}
      aria-selected={selected}
      tabIndex={focusable ? 0 : -1}
      data-index={index}
      className={`tree-row level-${row.level}${selected ? ' selected' : ''}`}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
      onFocus={(e) => {
        if (e.target === e.currentTarget) onFocusRow(index);
      }}
      onClick={() => {
        onFocusRow(index);
        if (isGroupRow(row)) onToggle(row.key);
        else select(row.id);
      }}
    >
      {expandable ? (
        <button
          type="button"
          tabIndex={-1}
          className="twisty"
          aria-hidden="true"
          onClick={(e) => {
            e.stopPropagation();
            onToggle(row.key);
          }}
        >
          {row.expanded ? '▾' : '▸'}
        </button>
      ) : (
        <span className="twisty-space" />
      )}
      {row.kind === 'listener' ? (
        <ListenerRowContent {...props} id={row.id} childCount={row.childCount} />
      ) : row.kind === 'stopped-listener' ? (
        <GroupRowContent {...props} title={row.where} kind="stopped listener" childCount={row.childCount} listenerId={row.id} />
      ) : row.kind === 'outgoing' ? (
        <GroupRowContent {...props} title="Outgoing connections" kind="" childCount={row.childCount} />
      ) : row.kind === 'opened' ? (
        <GroupRowContent {...props} title={row.fileName} kind="opened capture file" childCount={row.childCount} jobId={row.jobId} />
      ) : (
        <ConnectionRowContent {...props} id={row.id} />
      )}
    </div>
  );
});

function RenameBox({ id, current, onDone, name }: { id: string; current: string; onDone: () => void; name: string }) {
  const setLabel = useInspector((s) => s.setLabel);
  const [value, setValue] = useState(current);
  // Escape cancels: the blur that follows the box going away must not save.
  const done = useRef(false);
  const finish = (save: boolean) => {
    if (done.current) return;
    done.current = true;
    if (save) setLabel(id, value);
    onDone();
  };
  return (
    <input
      className="rename-input"
      aria-label={`Name for ${name}`}
      autoFocus
      value={value}
      onClick={(e) => e.stopPropagation()}
      onChange={(e) => setValue(e.target.value)}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === 'Enter') finish(true);
        else if (e.key === 'Escape') finish(false);
      }}
      onBlur={() => finish(true)}
    />
  );
}

function ListenerRowContent({ id, childCount, menuOpen, onMenu, renaming, onRename, report, api, row }: RowProps & { id: string; childCount: number }) {
  const l = useInspector((s) => s.listeners[id]);
  const label = useInspector((s) => s.labels[id]);
  const closed = useInspector((s) => countClosed(s.connections, id));
  const select = useInspector((s) => s.select);
  const openListenerAction = useInspector((s) => s.openListenerAction);
  if (!l) return null;
  const where = listenerWhere(l);
  const actions: MenuAction[] = [
    { label: 'Stop', onSelect: () => report(api.stopListener({ listenerId: id, closeClients: false })) },
    { label: 'Stop and close clients', onSelect: () => report(api.stopListener({ listenerId: id, closeClients: true })), danger: true },
    ...(l.relay ? [] : [{ label: 'Auto-reply…', onSelect: () => openListenerAction(id, 'auto-reply') }]),
    { label: 'Send to all clients…', onSelect: () => openListenerAction(id, 'broadcast') },
    ...(closed > 0 ? [{ label: `Remove closed (${closed})`, onSelect: () => report(api.removeClosed({ listenerId: id })) }] : []),
    { label: 'Rename…', onSelect: () => onRename(row.key) },
  ];
  return (
    <span className="tree-content">
      <span className="tree-line">
        <span className="badge">{l.relay ? 'RELAY' : l.transport.toUpperCase()}</span>
        {renaming ? (
          <RenameBox id={id} current={label ?? ''} onDone={() => onRename(null)} name={where} />
        ) : (
          <span className="mono strong ellipsis">{label ?? where}</span>
        )}
        <span className="spacer" />
        <span className="small" title={`${l.acceptedCount} accepted since it started`}>
          {l.clientCount} {l.clientCount === 1 ? 'client' : 'clients'}
        </span>
        <ActionMenu label={`Actions for ${listenerKind(l)} ${where}`} actions={actions} open={menuOpen} onOpenChange={onMenu} />
      </span>
      <span className="tree-line small muted">
        <span className="ellipsis">
          {label ? `${where} · ` : ''}
          {l.relay ? `relay to ${l.relay.targetHost}:${l.relay.targetPort}` : listenerKind(l)}
          {childCount > 0 ? ` · ${childCount} listed` : ''}
        </span>
        <button
          type="button"
          tabIndex={-1}
          className="mini row-stop"
          onClick={(e) => {
            e.stopPropagation();
            select(id);
            report(api.stopListener({ listenerId: id, closeClients: false }));
          }}
          title="Stop accepting; open clients stay connected"
          aria-label={`Stop ${listenerKind(l)} ${where}`}
        >
          Stop
        </button>
      </span>
    </span>
  );
}

function GroupRowContent({
  title,
  kind,
  childCount,
  listenerId,
  jobId,
  menuOpen,
  onMenu,
  report,
  api,
}: RowProps & { title: string; kind: string; childCount: number; listenerId?: string; jobId?: string }) {
  const closed = useInspector((s) => (listenerId ? countClosed(s.connections, listenerId) : countClosed(s.connections, undefined, true)));
  const openExport = useInspector((s) => s.openExport);
  const actions: MenuAction[] = jobId
    ? [
        { label: 'Export these streams…', onSelect: () => openExport({ jobId }) },
        { label: `Remove (${childCount})`, onSelect: () => report(api.removeClosed({ jobId })) },
      ]
    : closed > 0
      ? [
          {
            label: `Remove closed (${closed})`,
            onSelect: () => {
              if (listenerId) report(api.removeClosed({ listenerId }));
              else {
                // Outgoing connections have no parent in the engine: remove them one by one.
                const all = useInspector.getState().connections;
                for (const id in all) if (all[id]!.origin === 'outgoing' && all[id]!.state === 'closed') report(api.removeClosed({ connectionId: id }));
              }
            },
          },
        ]
      : [];
  return (
    <span className="tree-content">
      <span className="tree-line">
        <span className="strong ellipsis">{title}</span>
        <span className="spacer" />
        <span className="small muted">{childCount}</span>
        {actions.length > 0 && <ActionMenu label={`Actions for ${kind ? `${kind} ${title}` : title}`} actions={actions} open={menuOpen} onOpenChange={onMenu} />}
      </span>
      {kind && <span className="tree-line small muted">{kind}</span>}
    </span>
  );
}

function ConnectionRowContent({ id, menuOpen, onMenu, renaming, onRename, report, api, row }: RowProps & { id: string }) {
  const c = useInspector((s) => s.connections[id]);
  const label = useInspector((s) => s.labels[id]);
  if (!c) return null;
  const peer = connectionPeer(c);
  const name = c.origin === 'bound' ? `UDP socket ${c.local ? `${c.local.address}:${c.local.port}` : ''}` : peer;
  const closable = c.state !== 'closed' && !(c.state === 'half-closed' && c.halfClosedBy === 'local');
  const actions: MenuAction[] = [];
  if (c.transport === 'udp') {
    if (c.state !== 'closed') actions.push({ label: 'Close', onSelect: () => report(api.closeConnection({ connectionId: id, mode: 'end' })) });
  } else {
    if (closable) actions.push({ label: 'Close', onSelect: () => report(api.closeConnection({ connectionId: id, mode: 'end' })) });
    if (c.state !== 'closed') actions.push({ label: 'Reset', onSelect: () => report(api.closeConnection({ connectionId: id, mode: 'reset' })), danger: true });
  }
  if (c.state === 'closed') actions.push({ label: 'Remove', onSelect: () => report(api.removeClosed({ connectionId: id })) });
  actions.push({ label: 'Rename…', onSelect: () => onRename(row.key) });
  const inLabel = c.origin === 'relay' ? 'c→s' : 'in';
  const outLabel = c.origin === 'relay' ? 's→c' : 'out';
  return (
    <span className="tree-content">
      <span className="tree-line">
        <span className={`dot state-${c.state}`} aria-hidden="true" />
        {c.transport !== 'tcp' && c.origin !== 'bound' && <span className="badge">{c.transport.toUpperCase()}</span>}
        {c.origin === 'bound' && <span className="badge">UDP</span>}
        <span className="mono ellipsis">{c.origin === 'bound' ? (c.local ? `${c.local.address}:${c.local.port}` : 'UDP socket') : peer}</span>
        <span className="spacer" />
        <span className="dir-in small">
          <span className="visually-hidden">{inLabel} </span>
          {formatBytes(c.bytesIn)}
        </span>
        <span className="dir-out small">
          <span className="visually-hidden">{outLabel} </span>
          {formatBytes(c.bytesOut)}
        </span>
        <ActionMenu label={`Actions for ${name}`} actions={actions} open={menuOpen} onOpenChange={onMenu} />
      </span>
      <span className="tree-line small">
        <span className={`state-label state-${c.state}`}>{describeState(c)}</span>
        {renaming ? (
          <RenameBox id={id} current={label ?? ''} onDone={() => onRename(null)} name={name} />
        ) : (
          <span className={`ellipsis ${label ? 'row-label' : 'muted mono'}`}>{label ?? c.firstLine ?? ''}</span>
        )}
      </span>
    </span>
  );
}
