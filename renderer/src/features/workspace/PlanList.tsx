import type { WorkspacePlan } from '../../../../shared/workspace';
import { programKey } from './openWorkspace';

/**
 * What a workspace starts, one item a row: kind, address, name, details and auto-reply. A
 * Program auto-reply shows its command line and, when `onAllow` is given, its own unchecked
 * "Allow this program to run" box.
 */
export function PlanList({ plan, label, allowed, onAllow }: { plan: WorkspacePlan; label: string; allowed?: ReadonlySet<string>; onAllow?: (key: string, allow: boolean) => void }) {
  if (plan.items.length === 0) return <p className="muted small">No listeners, relays or UDP sockets.</p>;
  return (
    <ul className="workspace-plan" aria-label={label}>
      {plan.items.map((item) => {
        const key = item.section === 'listeners' ? programKey(item.index) : `${item.section}:${item.index}`;
        const allow = allowed?.has(key) ?? false;
        return (
          <li key={`${item.section}:${item.index}`} aria-label={`${item.kind} ${item.address}`}>
            <div>
              <strong>{item.kind}</strong> <span className="mono">{item.address}</span>
              {item.name && <span className="muted"> “{item.name}”</span>}
            </div>
            {item.details.length > 0 && <div className="muted small">{item.details.join(' · ')}</div>}
            {item.autoReply && !item.program && <div className="small">Auto-reply: {item.autoReply}</div>}
            {item.program && (
              <div className="workspace-program small">
                <span>
                  Auto-reply runs a program{item.program.shell ? ' in a shell' : ''}: <code className="mono selectable">{item.program.commandLine}</code>
                </span>
                {onAllow && (
                  <>
                    <label className="inline">
                      <input type="checkbox" checked={allow} onChange={(e) => onAllow(key, e.target.checked)} />
                      Allow this program to run
                    </label>
                    {!allow && <span className="muted">Not allowed: this listener starts with auto-reply off.</span>}
                  </>
                )}
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}
