import { useEffect } from 'react';
import { shortcutFor, type ShortcutAction } from '../../../../shared/shortcuts';
import type { InspectorApi } from '../../../../shared/contract';
import { DEFAULT_VIEW, useInspector } from '../../state/store';
import { focusMessage } from '../../state/views';
import { buildTree } from '../nav/tree';
import { NAV_FILTER_ID } from '../nav/NavPane';

/** Whether Cmd plays the part of Ctrl (macOS). */
export function isMac(): boolean {
  return /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
}

/** Hooks the layout gives the shortcuts: the navigation pane's collapse. */
export interface ShortcutHooks {
  toggleNavigation(): void;
  /** Shows the navigation pane if it was collapsed. */
  showNavigation(): void;
}

/** Selectable rows of the tree in order (connections, UDP sockets and listeners' clients). */
function connectionIds(): string[] {
  const s = useInspector.getState();
  return buildTree({
    listenerOrder: s.listenerOrder,
    listeners: s.listeners,
    connectionOrder: s.connectionOrder,
    connections: s.connections,
    labels: s.labels,
    collapsed: new Set(),
    filter: '',
  }).flatMap((r) => (r.kind === 'connection' || r.kind === 'udp' ? [r.id] : []));
}

/** Does what a shortcut or a menu item asks. */
export function runAction(action: ShortcutAction, api: InspectorApi, hooks: ShortcutHooks): void {
  const s = useInspector.getState();
  switch (action) {
    case 'new-listener':
      return s.openNew('listen');
    case 'new-connection':
      return s.openNew('connect');
    case 'new-udp':
      return s.openNew('udp');
    case 'new-relay':
      return s.openNew('relay');
    case 'open-capture':
    case 'export':
    case 'open-workspace':
    case 'save-workspace':
      return s.openFileDialog(action);
    case 'focus-message':
      focusMessage();
      return;
    case 'next-connection':
    case 'previous-connection': {
      const ids = connectionIds();
      if (ids.length === 0) return;
      const at = s.selectedId ? ids.indexOf(s.selectedId) : -1;
      const next = action === 'next-connection' ? (at < 0 ? 0 : Math.min(ids.length - 1, at + 1)) : at < 0 ? ids.length - 1 : Math.max(0, at - 1);
      s.select(ids[next]!);
      s.closePorts();
      return;
    }
    case 'toggle-view': {
      const id = s.selectedId;
      if (!id || !s.connections[id]) return;
      const current = (s.views[id] ?? DEFAULT_VIEW).display;
      s.setView(id, { display: current === 'text' ? 'hex' : 'text' });
      return;
    }
    case 'close-connection': {
      const id = s.selectedId;
      const c = id ? s.connections[id] : undefined;
      if (c && c.state !== 'closed') void api.closeConnection({ connectionId: c.id, mode: 'end' });
      return;
    }
    case 'search':
      s.setFind({ open: true, focusN: s.find.focusN + 1 });
      return;
    case 'find':
      hooks.showNavigation();
      requestAnimationFrame(() => document.getElementById(NAV_FILTER_ID)?.focus());
      return;
    case 'toggle-navigation':
      return hooks.toggleNavigation();
    case 'show-ports':
      return s.openPorts();
    case 'show-help':
      return s.setHelpOpen(true);
  }
}

/** The app's shortcuts from the keyboard (both hosts) and from the desktop menu; Escape closes what is open. */
export function useShortcuts(api: InspectorApi, hooks: ShortcutHooks): void {
  useEffect(() => {
    const mac = isMac();
    // In the desktop app the menu's accelerators carry the shortcuts; the page handling the
    // same keys as well would do each twice.
    const menuHasThem = Boolean(api.onMenuCommand);
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented) return;
      const action = menuHasThem ? null : shortcutFor(e, mac);
      if (action) {
        e.preventDefault();
        runAction(action, api, hooks);
        return;
      }
      if (e.key === 'Escape') {
        const s = useInspector.getState();
        if (s.newForm) s.openNew(null);
        else if (s.helpOpen) s.setHelpOpen(false);
        else if (s.settingsOpen) s.setSettingsOpen(false);
        else if (s.portsOpen) s.closePorts();
        else return;
        e.preventDefault();
      }
    };
    window.addEventListener('keydown', onKey);
    const off = api.onMenuCommand?.((action) => runAction(action, api, hooks));
    return () => {
      window.removeEventListener('keydown', onKey);
      off?.();
    };
  }, [api, hooks]);
}
