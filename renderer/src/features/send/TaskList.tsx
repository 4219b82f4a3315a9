import { useShallow } from 'zustand/react/shallow';
import { formatBytes } from '../../../../shared/format';
import { useApi } from '../../api/context';
import { useInspector } from '../../state/store';

/** Repeat tasks: running ones with a Stop button, finished ones with how they ended. */
export function TaskList() {
  const api = useApi();
  // The five most recent: running ones to stop, finished ones to see how they ended.
  const ids = useInspector(useShallow((s) => s.taskOrder.slice(-5)));
  const tasks = useInspector((s) => s.tasks);
  if (ids.length === 0) return null;
  return (
    <ul className="task-list" aria-label="Tasks">
      {ids.map((id) => {
        const t = tasks[id]!;
        const where = 'connectionId' in t.target ? `connection ${t.target.connectionId}` : `all clients of ${t.target.listenerId}`;
        return (
          <li key={id} className={`task task-${t.state}`}>
            <span>
              Repeat {formatBytes(t.bytes)} to {where}, every {t.intervalMs} ms{t.count !== undefined ? `, ${t.count} times` : ', until stopped'}
            </span>
            <span className="mono small">
              sent {t.sent}
              {t.count !== undefined ? `/${t.count}` : ''}
            </span>
            <span className="small">{t.state}{t.error ? `: ${t.error}` : ''}</span>
            {t.state === 'running' && (
              <button type="button" className="mini" onClick={() => void api.stopTask({ taskId: id })}>
                Stop
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}
