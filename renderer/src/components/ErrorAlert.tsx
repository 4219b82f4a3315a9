import type { ErrorInfo } from '../../../shared/result';

/** An error shown beside the action that caused it, with what to try next. */
export function ErrorAlert({ error, onDismiss }: { error: ErrorInfo | null; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <div role="alert" className="alert">
      <div className="alert-text">
        <strong>{error.message}</strong>
        {error.hint && <span className="alert-hint">{error.hint}</span>}
        {error.code && <span className="alert-code">{error.code}</span>}
      </div>
      {onDismiss && (
        <button type="button" className="icon-button" aria-label="Dismiss error" onClick={onDismiss}>
          ×
        </button>
      )}
    </div>
  );
}
