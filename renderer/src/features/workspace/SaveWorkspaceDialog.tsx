import { useMemo, useState, type FormEvent } from 'react';
import { buildWorkspace, parseWorkspace, planWorkspace, serializeWorkspace, workspaceFileName, type Workspace } from '../../../../shared/workspace';
import { loadRecent } from '../../state/recent';
import { useInspector } from '../../state/store';
import { saveBytes } from '../saveBytes';
import { knownListenerViews, knownTlsFiles } from './openWorkspace';
import { PlanList } from './PlanList';

/** A workspace of what runs now, under this name. */
function current(name: string) {
  return buildWorkspace(useInspector.getState(), { name, recentTargets: loadRecent(), tlsFiles: knownTlsFiles, listenerViews: knownListenerViews });
}

/**
 * Save workspace: asks for a name, shows what will be kept, and saves the JSON file as a
 * download (in the desktop app, the save dialog Electron shows for it).
 */
export function SaveWorkspaceDialog({ initialName, onSaved, onClose }: { initialName: string; onSaved: (workspace: Workspace, message: string) => void; onClose: () => void }) {
  const [name, setName] = useState(initialName);
  const [error, setError] = useState<string | null>(null);
  const preview = useMemo(() => current(initialName), [initialName]);
  const plan = useMemo(() => planWorkspace(preview.workspace), [preview]);

  function save(e: FormEvent) {
    e.preventDefault();
    if (name.trim() === '') {
      setError('Workspace name: enter a name, such as payments-lab.');
      return;
    }
    const { workspace, notes } = current(name);
    const text = serializeWorkspace(workspace);
    // What is saved must open again: check it as Open would.
    const check = parseWorkspace(text);
    if (!check.ok) {
      setError(`Not saved: ${check.message}`);
      return;
    }
    const file = workspaceFileName(workspace.name);
    saveBytes(new TextEncoder().encode(text), file);
    const counts = [
      [workspace.listeners.length, 'listener'],
      [workspace.relays.length, 'relay'],
      [workspace.udp.length, 'UDP socket'],
    ] as const;
    const what = counts.map(([n, word]) => `${n} ${word}${n === 1 ? '' : 's'}`).join(', ');
    onSaved(check.workspace, `Saved workspace ${workspace.name} as ${file}: ${what}.${notes.length ? ` ${notes.join(' ')}` : ''}`);
  }

  return (
    <div
      role="dialog"
      aria-label="Save workspace"
      className="overlay-view workspace-dialog"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="ports-bar">
        <h2>Save workspace</h2>
      </div>
      <form className="form-row" onSubmit={save} noValidate>
        <label className="field grow">
          <span>Workspace name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" spellCheck={false} maxLength={200} aria-invalid={error !== null} autoFocus />
        </label>
        <button type="submit" className="primary">
          Save
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </form>
      {error && (
        <p role="alert" className="alert small">
          {error}
        </p>
      )}
      <p className="small">
        Saves these, with their auto-replies, framing and views
        {plan.recentTargets > 0 ? `, ${plan.recentTargets} recent ${plan.recentTargets === 1 ? 'target' : 'targets'}` : ''}
        {plan.captureBudgetMiB !== undefined ? ` and the capture budget (${plan.captureBudgetMiB} MiB)` : ''}:
      </p>
      <PlanList plan={plan} label="What it keeps" />
      {preview.notes.length > 0 && (
        <ul className="muted small" aria-label="Not saved">
          {preview.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
