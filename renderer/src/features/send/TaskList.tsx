import { useShallow } from 'zustand/react/shallow';
import { formatBytes } from '../../../../shared/format';
import { useApi } from '../../api/context';
import { useInspector, type InspectorState } from '../../state/store';
import { connectionPeer, listenerWhere } from '../nav/tree';
import type { TaskInfo } from '../../../../shared/model';

/** A task's target by its endpoints (or the name the user gave it), never by its internal id. */
export function describeTaskTarget(s: Pick<InspectorState, 'connections' | 'listeners' | 'labels'>, target: TaskInfo['target']): string {
  if ('connectionId' in target) {
    const c = s.connections[target.connectionId];
    if (!c) return 'a connection no longer listed';
    const label = s.labels[target.connectionId];
    return label ? `${label} (${connectionPeer(c)})` : connectionPeer(c);
  }
  const l = s.listeners[target.listenerId];
  if (!l) return 'all clients of a listener that stopped';
  const label = s.labels[target.listenerId];
  return `all clients of ${label ? `${label} (${listenerWhere(l)})` : listenerWhere(l)}`;
}

/** A replay: what it replays, where, how far it got, and Stop. */
function ReplayTask({ task }: { task: TaskInfo }) {
  const api = useApi();
  const r = task.replay!;
  const what = `Replay of ${r.sourceId} as ${r.side}`;
  // The engine's status may already start with the state ("done: sent 2 of 2 chunks").
  const status = r.status?.startsWith(`${task.state}: `) ? r.status.slice(task.state.length + 2) : r.status;
  return (
    <li className={`task task-${task.state}`} aria-label={what}>
      <span>
        {what} {r.side === 'client' ? 'to' : 'on'} <span className="mono">{r.where}</span>
        {r.side === 'server' ? ` · ${r.clients ?? 0} client${r.clients === 1 ? '' : 's'} served` : ''}
      </span>
      <span className="mono small">
        {r.chunksSent}/{r.chunksTotal} chunks · {formatBytes(r.bytesSent)} of {formatBytes(r.bytesTotal)}
      </span>
      {task.state === 'running' && <progress aria-label={`Progress of ${what}`} value={r.bytesSent} max={Math.max(1, r.bytesTotal)} />}
      <span className="small">
        {task.state}
        {status ? `: ${status}` : ''}
        {task.error ? `: ${task.error}` : ''}
      </span>
      {task.state === 'running' && (
        <button type="button" className="mini" onClick={() => void api.stopTask({ taskId: task.id })} aria-label={`Stop ${what}`}>
          Stop
        </button>
      )}
    </li>
  );
}

/** Repeat tasks and replays: running ones with a Stop button, finished ones with how they ended. */
export function TaskList() {
  const api = useApi();
  // The five most recent: running ones to stop, finished ones to see how they ended.
  const ids = useInspector(useShallow((s) => s.taskOrder.slice(-5)));
  const tasks = useInspector((s) => s.tasks);
  const targets = useInspector(useShallow((s) => s.taskOrder.slice(-5).map((id) => (s.tasks[id] ? describeTaskTarget(s, s.tasks[id].target) : ''))));
  if (ids.length === 0) return null;
  return (
    <ul className="task-list" aria-label="Tasks">
      {ids.map((id) => {
        const t = tasks[id]!;
        const where = targets[ids.indexOf(id)] ?? '';
        return (
          t.kind === 'replay' && t.replay ? (
            <ReplayTask key={id} task={t} />
          ) : (
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
          )
        );
      })}
    </ul>
  );
}
