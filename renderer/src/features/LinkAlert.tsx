import { useState } from 'react';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { useInspector } from '../state/store';

/**
 * Says when the link to the engine is gone, and why; where the host can start the engine again
 * (the desktop app), offers to. A restarted engine starts empty, so the page starts afresh too.
 */
export function LinkAlert() {
  const api = useApi();
  const link = useInspector((s) => s.link);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  if (link.state !== 'closed' || !link.detail) return null;

  async function restart() {
    if (busy || !api.restartEngine) return;
    setBusy(true);
    const result = await api.restartEngine();
    setBusy(false);
    if (!result.ok) return setError(result);
    window.location.reload();
  }

  return (
    <div role="alert" className="alert">
      <div className="alert-text">
        <strong>{link.detail}</strong>
        {error && <span className="alert-hint">Could not restart it: {error.message}</span>}
        {link.canRestart && api.restartEngine && (
          <div className="alert-actions">
            <button type="button" className="mini" aria-busy={busy} onClick={() => void restart()}>
              Restart engine
            </button>
          </div>
        )}
      </div>
    </div>
  );
}
