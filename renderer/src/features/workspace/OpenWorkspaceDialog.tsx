import { useMemo, useState } from 'react';
import { planWorkspace, type Workspace } from '../../../../shared/workspace';
import { useApi } from '../../api/context';
import { PlanList } from './PlanList';
import { startWorkspace, type OpenOutcome } from './openWorkspace';

/**
 * The confirmation before a workspace starts anything: what it will start, each Program
 * auto-reply with its command line and its own unchecked "Allow this program to run" box, and
 * Start or Cancel. Nothing starts before Start. Then what happened to each item, in words.
 */
export function OpenWorkspaceDialog({ workspace, onStarted, onClose }: { workspace: Workspace; onStarted: (workspace: Workspace) => void; onClose: () => void }) {
  const api = useApi();
  const plan = useMemo(() => planWorkspace(workspace), [workspace]);
  const [allowed, setAllowed] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [outcomes, setOutcomes] = useState<OpenOutcome[] | null>(null);

  async function start() {
    if (busy || outcomes) return;
    setBusy(true);
    const result = await startWorkspace(api, workspace, allowed);
    setBusy(false);
    setOutcomes(result);
    onStarted(workspace);
  }

  const failed = outcomes?.filter((o) => !o.ok) ?? [];
  const saved = new Date(workspace.savedAt);
  return (
    <div
      role="dialog"
      aria-label="Open workspace"
      className="overlay-view workspace-dialog"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !busy) {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="ports-bar">
        <h2>Open workspace {workspace.name}</h2>
        <span className="muted small">saved {Number.isNaN(saved.getTime()) ? workspace.savedAt : saved.toLocaleString()}</span>
      </div>
      {!outcomes ? (
        <>
          <p className="small">
            Start will start these{plan.programs > 0 ? '. A program runs only if you allow it here' : ''}:
          </p>
          <PlanList plan={plan} label="What it starts" allowed={allowed} onAllow={(key, allow) => setAllowed((a) => { const next = new Set(a); if (allow) next.add(key); else next.delete(key); return next; })} />
          {(plan.recentTargets > 0 || plan.captureBudgetMiB !== undefined) && (
            <ul className="muted small workspace-also" aria-label="Settings it applies">
              {plan.recentTargets > 0 && (
                <li>
                  {plan.recentTargets} recent {plan.recentTargets === 1 ? 'target' : 'targets'} for the Connect and Relay forms
                </li>
              )}
              {plan.captureBudgetMiB !== undefined && <li>Capture budget {plan.captureBudgetMiB} MiB</li>}
            </ul>
          )}
          <div className="inline">
            <button type="button" className="primary" aria-busy={busy} onClick={() => void start()} autoFocus={plan.programs === 0}>
              Start
            </button>
            <button type="button" onClick={() => !busy && onClose()} aria-disabled={busy} autoFocus={plan.programs > 0}>
              Cancel
            </button>
          </div>
        </>
      ) : (
        <>
          <p role="status" className="small">
            {failed.length === 0 ? 'Everything started.' : `${outcomes.length - failed.length} of ${outcomes.length} done; ${failed.length} did not work (below).`}
          </p>
          <ul className="workspace-results small" aria-label="What happened">
            {outcomes.map((o, i) => (
              <li key={i} className={o.ok ? undefined : 'workspace-failed'}>
                <span aria-hidden="true">{o.ok ? '✓ ' : '✗ '}</span>
                {o.text}
              </li>
            ))}
          </ul>
          {failed.length > 0 && (
            <div role="alert" className="alert">
              <div className="alert-text">
                {failed.map((o, i) => (
                  <strong key={i}>{o.text}</strong>
                ))}
              </div>
            </div>
          )}
          <div className="inline">
            <button type="button" onClick={onClose} autoFocus>
              Close
            </button>
          </div>
        </>
      )}
    </div>
  );
}
