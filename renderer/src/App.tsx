import { useMemo, useRef } from 'react';
import { Group, Panel, Separator, useDefaultLayout, type PanelImperativeHandle } from 'react-resizable-panels';
import { useApi } from './api/context';
import { ConnectionDetail } from './features/ConnectionDetail';
import { ExportDialog } from './features/files/ExportDialog';
import { FileJobs } from './features/files/FileJobs';
import { HelpView } from './features/layout/HelpView';
import { NewBar } from './features/layout/NewBar';
import { NewForms } from './features/layout/NewForms';
import { useShortcuts, type ShortcutHooks } from './features/layout/useShortcuts';
import { LinkAlert } from './features/LinkAlert';
import { ListenerDetail } from './features/ListenerDetail';
import { NavPane } from './features/nav/NavPane';
import { PortsView } from './features/PortsView';
import { SettingsPanel } from './features/SettingsPanel';
import { useInspector } from './state/store';
import { useTheme } from './state/theme';
import { Workspaces } from './features/workspace/Workspaces';

/**
 * The whole window: a top bar (New, Ports, Settings, Help), the connections tree in a pane that
 * resizes and collapses, and the selected listener or connection beside it. Pane sizes are kept
 * for the next start.
 */
export function App() {
  const api = useApi();
  const openPorts = useInspector((s) => s.openPorts);
  const setHelpOpen = useInspector((s) => s.setHelpOpen);
  const setSettingsOpen = useInspector((s) => s.setSettingsOpen);
  const openFileDialog = useInspector((s) => s.openFileDialog);
  const theme = useInspector((s) => s.theme);
  const navPanel = useRef<PanelImperativeHandle | null>(null);
  const layout = useDefaultLayout({ id: 'socket-inspector-main', storage: localStorage });
  const hooks = useMemo<ShortcutHooks>(
    () => ({
      toggleNavigation: () => {
        const p = navPanel.current;
        if (!p) return;
        if (p.isCollapsed()) p.expand();
        else p.collapse();
      },
      showNavigation: () => {
        if (navPanel.current?.isCollapsed()) navPanel.current.expand();
      },
    }),
    [],
  );
  useShortcuts(api, hooks);
  useTheme(api, theme);

  return (
    <div className="app">
      <header className="topbar">
        <h1 className="app-title">Socket Inspector</h1>
        <NewBar />
        <span className="spacer" />
        <button type="button" className="mini" onClick={() => openFileDialog('open-capture')} title="Open a pcap or pcapng file (Ctrl+O); you can also drop one on the window">
          Open capture…
        </button>
        <button type="button" className="mini" onClick={() => openFileDialog('export')} title="Export connections as pcapng, NDJSON, a transcript or raw bytes (Ctrl+Shift+E)">
          Export…
        </button>
        <button type="button" className="mini" onClick={() => hooks.toggleNavigation()} title="Show or hide the connections pane (Ctrl+B)">
          Connections pane
        </button>
        <button type="button" className="mini" onClick={() => openPorts()}>
          Ports
        </button>
        <button type="button" className="mini" onClick={() => setSettingsOpen(true)}>
          Settings
        </button>
        <button type="button" className="mini" onClick={() => setHelpOpen(true)} title="Keyboard shortcuts (F1)">
          Help
        </button>
      </header>
      <LinkAlert />
      <FileJobs />
      <Group orientation="horizontal" className="panes" defaultLayout={layout.defaultLayout} onLayoutChanged={layout.onLayoutChanged}>
        <Panel id="navigation" panelRef={navPanel} defaultSize="30%" minSize="220px" maxSize="60%" collapsible collapsedSize="0px" className="nav-panel">
          <NavPane />
        </Panel>
        <Separator className="pane-separator" aria-label="Resize the connections pane" />
        <Panel id="detail" minSize="40%" className="detail-panel">
          <div className="main-area">
            <NewForms />
            <Selected />
            <PortsView />
            <HelpView />
            <SettingsPanel />
            <ExportDialog />
            <Workspaces />
          </div>
        </Panel>
      </Group>
    </div>
  );
}

/** The selected listener's details, or the selected connection's traffic. */
function Selected() {
  const listenerId = useInspector((s) => (s.selectedId && s.listeners[s.selectedId] ? s.selectedId : null));
  return listenerId ? <ListenerDetail id={listenerId} /> : <ConnectionDetail />;
}
