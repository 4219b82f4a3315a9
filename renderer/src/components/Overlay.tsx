import type { ReactNode } from 'react';

/**
 * A view over the detail area (Help, Settings, Export): a dialog named by its title, with the
 * title and its Close button on one bar.
 */
export function Overlay({ title, closeLabel, onClose, className, closeAutoFocus, children }: { title: string; closeLabel: string; onClose: () => void; className?: string; closeAutoFocus?: boolean; children: ReactNode }) {
  return (
    <div role="dialog" aria-label={title} className={`overlay-view${className ? ` ${className}` : ''}`}>
      <div className="ports-bar">
        <h2>{title}</h2>
        <span className="spacer" />
        <button type="button" onClick={onClose} autoFocus={closeAutoFocus}>
          {closeLabel}
        </button>
      </div>
      {children}
    </div>
  );
}
