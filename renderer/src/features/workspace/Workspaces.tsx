import { useEffect, useRef, useState } from 'react';
import { MAX_WORKSPACE_FILE_BYTES } from '../../../../shared/limits';
import { parseWorkspace, type Workspace } from '../../../../shared/workspace';
import type { ErrorInfo } from '../../../../shared/result';
import { useApi } from '../../api/context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { HiddenFileInput } from '../../components/HiddenFileInput';
import { useInspector } from '../../state/store';
import { useSaved } from '../send/useSaved';
import { followListenerViews } from './openWorkspace';
import { OpenWorkspaceDialog } from './OpenWorkspaceDialog';
import { SaveWorkspaceDialog } from './SaveWorkspaceDialog';
import './workspace.css';

/**
 * Workspaces: Save workspace… (a name, then the JSON file), Open workspace… (a file chosen in
 * the page, then the confirmation before anything starts), and once at start, when the host
 * kept a last workspace, an offer to reopen it, which opens the same confirmation. Rendered
 * once, near the app root; the menu, the shortcuts and the Settings buttons ask for it through
 * the store's fileDialog.
 */
export function Workspaces() {
  const api = useApi();
  const asked = useInspector((s) => (s.fileDialog?.kind === 'open-workspace' || s.fileDialog?.kind === 'save-workspace' ? s.fileDialog : null));
  const closeDialog = useInspector((s) => s.openFileDialog);
  const saved = useInspector((s) => s.saved);
  const { update } = useSaved();
  const input = useRef<HTMLInputElement>(null);
  const [opening, setOpening] = useState<Workspace | null>(null);
  const [saving, setSaving] = useState(false);
  const [offer, setOffer] = useState<Workspace | null>(null);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const offered = useRef(false);

  useEffect(() => followListenerViews(), []);

  // Once, at start: the host's saved state says which workspace was used last.
  useEffect(() => {
    if (offered.current || !saved) return;
    offered.current = true;
    if (saved.workspace) setOffer(saved.workspace);
  }, [saved]);

  const showDialog = () => {
    const s = useInspector.getState();
    s.setSettingsOpen(false);
    s.setHelpOpen(false);
    s.closePorts();
  };

  // Open workspace… and Save workspace… (menu, shortcut, button).
  useEffect(() => {
    if (!asked) return;
    closeDialog(null);
    if (asked.kind === 'open-workspace') input.current?.click();
    else {
      showDialog();
      setOpening(null);
      setSaving(true);
    }
  }, [asked?.n]);

  // Desktop: a workspace from Open Recent or opened with the app arrives as a path: the engine reads it.
  useEffect(
    () =>
      api.onOpenFile?.((request) => {
        if (request.kind !== 'workspace') return;
        showDialog();
        void api.readWorkspaceFile({ filePath: request.path }).then((r) => {
          if (!r.ok) return setError(r);
          api.noteRecentFile?.({ kind: 'workspace', path: request.path });
          readText(r.value.name, r.value.text);
        });
      }),
    [api],
  );

  /** Keeps it as the last workspace, offered again at the next start. */
  async function keepAsLast(workspace: Workspace) {
    setOffer(null);
    const problem = await update((s) => ({ ...s, workspace }));
    if (problem) setError({ ...problem, message: `It is not kept for the next start: ${problem.message}` });
  }

  async function read(file: File) {
    // Whatever comes of it (the confirmation, or why the file is not a workspace) is seen.
    showDialog();
    setError(null);
    setStatus('');
    if (file.size > MAX_WORKSPACE_FILE_BYTES) {
      setError({ code: 'TOO_LARGE', message: `${file.name} is not a workspace: it is ${file.size.toLocaleString('en-US')} bytes, and a workspace is a small JSON file.` });
      return;
    }
    let text: string;
    try {
      text = await file.text();
    } catch (err) {
      setError({ code: 'UNREADABLE', message: `${file.name} could not be read: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    const path = api.pathForFile?.(file);
    if (readText(file.name, text) && path) api.noteRecentFile?.({ kind: 'workspace', path });
  }

  /** Shows the confirmation for a workspace file's text, or why it is not one; true when it is one. */
  function readText(name: string, text: string): boolean {
    showDialog();
    setError(null);
    setStatus('');
    const parsed = parseWorkspace(text);
    if (!parsed.ok) {
      setError({ code: 'INVALID_WORKSPACE', message: `${name}: ${parsed.message}` });
      return false;
    }
    setSaving(false);
    setOpening(parsed.workspace);
    return true;
  }

  return (
    <>
      <HiddenFileInput inputRef={input} label="Workspace file to open" accept=".json,application/json" onFile={(file) => void read(file)} />
      {(offer || status || error) && (
        <section className="workspace-banner" aria-label="Workspace">
          {offer && (
            <div className="workspace-offer">
              <span>
                Reopen workspace <strong>{offer.name}</strong>?
              </span>
              <button
                type="button"
                className="mini"
                onClick={() => {
                  showDialog();
                  setSaving(false);
                  setOpening(offer);
                  setOffer(null);
                }}
              >
                Review and reopen…
              </button>
              <button type="button" className="mini" onClick={() => setOffer(null)}>
                Not now
              </button>
            </div>
          )}
          {status && (
            <div className="workspace-offer">
              <span role="status">{status}</span>
              <button type="button" className="mini" onClick={() => setStatus('')} aria-label="Dismiss workspace message">
                Dismiss
              </button>
            </div>
          )}
          <ErrorAlert error={error} onDismiss={() => setError(null)} />
        </section>
      )}
      {opening && (
        <OpenWorkspaceDialog
          key={opening.savedAt + opening.name}
          workspace={opening}
          onStarted={(w) => void keepAsLast(w)}
          onClose={() => setOpening(null)}
        />
      )}
      {saving && (
        <SaveWorkspaceDialog
          initialName={saved?.workspace?.name ?? 'workspace'}
          onClose={() => setSaving(false)}
          onSaved={(w, message) => {
            setSaving(false);
            setStatus(message);
            void keepAsLast(w);
          }}
        />
      )}
    </>
  );
}
