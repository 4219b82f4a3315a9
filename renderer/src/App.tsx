import { ConnectForm } from './features/ConnectForm';
import { ConnectionDetail } from './features/ConnectionDetail';
import { ConnectionList } from './features/ConnectionList';
import { ListenerPanel } from './features/ListenerPanel';
import { PortsView } from './features/PortsView';
import { SettingsPanel } from './features/SettingsPanel';
import { UdpPanel } from './features/UdpPanel';
import { RelayPanel } from './features/RelayPanel';
import { LinkAlert } from './features/LinkAlert';
import { useInspector } from './state/store';

/** The whole window: forms and lists on the left, the selected connection on the right. */
export function App() {
  const openPorts = useInspector((s) => s.openPorts);
  return (
    <div className="app">
      <aside className="sidebar">
        <div className="title-row">
          <h1 className="app-title">Socket Inspector</h1>
          <button type="button" className="mini" onClick={() => openPorts()}>
            Ports
          </button>
        </div>
        <LinkAlert />
        <ListenerPanel />
        <ConnectForm />
        <UdpPanel />
        <RelayPanel />
        <ConnectionList />
        <SettingsPanel />
      </aside>
      <div className="main-area">
        <ConnectionDetail />
        <PortsView />
      </div>
    </div>
  );
}
