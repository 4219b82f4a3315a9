import type { ReactNode } from 'react';
import type { ErrorInfo } from '../../../shared/result';

/** An error shown beside the action that caused it, with what to try next. */
export function ErrorAlert({ error, onDismiss, children }: { error: ErrorInfo | null; onDismiss?: () => void; children?: ReactNode }) {
  if (!error) return null;
  return (
    <div role="alert" className="alert">
      <div className="alert-text">
        <strong>{error.message}</strong>
        {error.hint && <span className="alert-hint">{error.hint}</span>}
        {error.code && <span className="alert-code">{error.code}</span>}
        {children && <div className="alert-actions">{children}</div>}
      </div>
      {onDismiss && (
        <button type="button" className="icon-button" aria-label="Dismiss error" onClick={onDismiss}>
          ×
        </button>
      )}
    </div>
  );
}
