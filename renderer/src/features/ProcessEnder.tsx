import { useState } from 'react';
import type { ErrorInfo } from '../../../shared/result';
import { useApi } from '../api/context';
import { ErrorAlert } from '../components/ErrorAlert';

/**
 * Ends a process only after the user confirms: SIGTERM first, and if it is still running after
 * a moment, an offer to force it with SIGKILL.
 */
export function ProcessEnder({ pid, name, onEnded }: { pid: number; name: string; onEnded?: () => void }) {
  const api = useApi();
  const [step, setStep] = useState<'idle' | 'confirm' | 'working' | 'stubborn' | 'ended'>('idle');
  const [error, setError] = useState<ErrorInfo | null>(null);

  async function signal(sig: 'SIGTERM' | 'SIGKILL') {
    setStep('working');
    const result = await api.endProcess({ pid, signal: sig });
    if (!result.ok) {
      setError(result);
      setStep('idle');
      return;
    }
    setError(null);
    if (result.value.exited) {
      setStep('ended');
      onEnded?.();
    } else setStep(sig === 'SIGTERM' ? 'stubborn' : 'stubborn');
  }

  const who = `${name} (pid ${pid})`;
  return (
    <span className="process-ender">
      {step === 'idle' && (
        <button type="button" className="mini danger" onClick={() => setStep('confirm')}>
          End {who}…
        </button>
      )}
      {step === 'confirm' && (
        <span role="group" aria-label={`Confirm ending ${who}`} className="inline">
          <span className="small">End {who}? It gets SIGTERM and may lose unsaved work.</span>
          <button type="button" className="mini danger" onClick={() => void signal('SIGTERM')}>
            End process
          </button>
          <button type="button" className="mini" onClick={() => setStep('idle')}>
            Keep it
          </button>
        </span>
      )}
      {step === 'working' && <span className="small muted">Waiting for {who} to exit…</span>}
      {step === 'stubborn' && (
        <span role="group" aria-label={`${who} is still running`} className="inline">
          <span className="small">{who} is still running after SIGTERM.</span>
          <button type="button" className="mini danger" onClick={() => void signal('SIGKILL')}>
            Force kill (SIGKILL)
          </button>
          <button type="button" className="mini" onClick={() => setStep('idle')}>
            Leave it
          </button>
        </span>
      )}
      {step === 'ended' && (
        <span className="small" role="status">
          {who} has exited.
        </span>
      )}
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
    </span>
  );
}
