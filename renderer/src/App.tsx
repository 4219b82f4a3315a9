import { ConnectForm } from './features/ConnectForm';
import { ConnectionDetail } from './features/ConnectionDetail';
import { ConnectionList } from './features/ConnectionList';
import { ListenerPanel } from './features/ListenerPanel';
import { SettingsPanel } from './features/SettingsPanel';
import { useInspector } from './state/store';

/** The whole window: forms and lists on the left, the selected connection on the right. */
export function App() {
  const link = useInspector((s) => s.link);
  const linkDetail = useInspector((s) => s.linkDetail);
  return (
    <div className="app">
      <aside className="sidebar">
        <h1 className="app-title">Socket Inspector</h1>
        {link === 'closed' && linkDetail && (
          <div role="alert" className="alert">
            <strong>{linkDetail}</strong>
          </div>
        )}
        <ListenerPanel />
        <ConnectForm />
        <ConnectionList />
        <SettingsPanel />
      </aside>
      <ConnectionDetail />
    </div>
  );
}
