import { useState, type FormEvent } from 'react';
import type { ConnectionInfo } from '../../../shared/model';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';
import { useInspector } from '../state/store';

/** A bound UDP socket's multicast groups (join and leave), and datagrams not streamed live. */
export function UdpControls({ connection }: { connection: ConnectionInfo }) {
  const api = useApi();
  const [group, setGroup] = useState('239.255.0.1');
  const [iface, setIface] = useState('127.0.0.1');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const interfaces = useInspector((s) => s.interfaces);
  const udp = connection.udp;
  if (!udp) return null;

  async function membership(join: boolean, g: string, i: string | undefined) {
    const result = await api.udpMembership({ connectionId: connection.id, group: g, ...(i ? { iface: i } : {}), join });
    setError(result.ok ? null : result);
  }

  function join(e: FormEvent) {
    e.preventDefault();
    void membership(true, group.trim(), iface.trim() || undefined);
  }

  return (
    <section className="udp-controls" aria-label="Multicast">
      <form className="inline small" onSubmit={join} noValidate>
        <label className="inline">
          Multicast group
          <input className="small-input wide" value={group} onChange={(e) => setGroup(e.target.value)} spellCheck={false} />
        </label>
        <label className="inline">
          Interface
          <input
            className="small-input wide"
            value={iface}
            onChange={(e) => setIface(e.target.value)}
            spellCheck={false}
            placeholder="address or name"
            list={`ifaces-${connection.id}`}
          />
        </label>
        <datalist id={`ifaces-${connection.id}`}>
          {interfaces.flatMap((i) => [i.name, ...i.addresses]).map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
        <button type="submit" className="mini">
          Join group
        </button>
        {udp.broadcast && <span className="muted">broadcast allowed</span>}
        {udp.notStreamed > 0 && (
          <span className="unverified">
            {udp.notStreamed.toLocaleString('en-US')} datagrams arrived while the window was behind: captured, not shown live (scroll to see them)
          </span>
        )}
      </form>
      {udp.groups.length > 0 && (
        <ul className="snippet-list" aria-label="Multicast groups">
          {udp.groups.map((g) => (
            <li key={`${g.group}%${g.iface ?? ''}`} className="snippet">
              <span className="mono small">
                {g.group}
                {g.iface ? ` on ${g.iface}` : ''}
              </span>
              <button type="button" className="mini" aria-label={`Leave ${g.group}`} onClick={() => void membership(false, g.group, g.iface)}>
                Leave
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
    </section>
  );
}
