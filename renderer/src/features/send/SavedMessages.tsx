import { useState } from 'react';
import type { Snippet } from '../../../../shared/model';
import type { ErrorInfo } from '../../../../shared/result';
import { useApi } from '../../api/context';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useInspector } from '../../state/store';
import { encodeMessage } from './encode';
import { useSaved } from './useSaved';

// Each connection has its own send box: once read, the load warning stays dismissed in all of
// them until the page reloads.
let dismissedForThisPage: string | undefined;

/** Named messages kept across restarts: one click sends one. */
export function SavedMessages({
  connectionId,
  canSend,
  current,
}: {
  connectionId: string;
  canSend: boolean;
  current: Omit<Snippet, 'name'>;
}) {
  const api = useApi();
  const snippets = useInspector((s) => s.saved?.snippets ?? []);
  // Why the saved file could not be loaded as it was (damaged and kept aside, unreadable, or
  // not a file), until the user has read it.
  const loadWarning = useInspector((s) => s.saved?.warning);
  const [dismissedWarning, setDismissedWarning] = useState(dismissedForThisPage);
  const { update } = useSaved();
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);

  async function sendSnippet(snippet: Snippet) {
    const parsed = encodeMessage(snippet.text, snippet);
    if (!parsed.ok) return setError({ code: 'INVALID_INPUT', message: `"${snippet.name}" not sent: ${parsed.error}.` });
    const result = await api.send({ connectionId, data: parsed.bytes });
    setError(result.ok ? null : result);
  }

  async function save() {
    const trimmed = name.trim();
    if (!trimmed) return setError({ code: 'INVALID_INPUT', message: 'Give the saved message a name.' });
    if (!current.text) return setError({ code: 'EMPTY', message: 'Type the message to save in the Message box first.' });
    const parsed = encodeMessage(current.text, current);
    if (!parsed.ok) return setError({ code: 'INVALID_INPUT', message: `Not saved: ${parsed.error}.` });
    const problem = await update((saved) => ({
      ...saved,
      snippets: [...saved.snippets.filter((s) => s.name !== trimmed), { name: trimmed, ...current }],
    }));
    setError(problem);
    setNaming(false);
    setName('');
  }

  return (
    <div className="saved-messages">
      <ErrorAlert
        error={loadWarning && loadWarning !== dismissedWarning ? { code: 'SAVED_NOT_LOADED', message: loadWarning } : null}
        onDismiss={() => {
          dismissedForThisPage = loadWarning;
          setDismissedWarning(loadWarning);
        }}
      />
      {snippets.length > 0 && (
        <ul className="snippet-list" aria-label="Saved messages">
          {snippets.map((s) => (
            <li key={s.name} className="snippet">
              <button type="button" className="mini" disabled={!canSend} aria-label={`Send saved message ${s.name}`} title={s.hex ? `hex: ${s.text}` : s.text} onClick={() => void sendSnippet(s)}>
                ▶ {s.name}
              </button>
              <button
                type="button"
                className="mini icon-button"
                aria-label={`Delete saved message ${s.name}`}
                onClick={() => void update((saved) => ({ ...saved, snippets: saved.snippets.filter((x) => x.name !== s.name) })).then(setError)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {naming ? (
        <form
          className="inline"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <label className="inline">
            Name
            <input className="small-input wide" value={name} onChange={(e) => setName(e.target.value)} autoFocus />
          </label>
          <button type="submit" className="mini">
            Save
          </button>
          <button type="button" className="mini" onClick={() => setNaming(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button type="button" className="mini" onClick={() => setNaming(true)}>
          Save message…
        </button>
      )}
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
    </div>
  );
}
