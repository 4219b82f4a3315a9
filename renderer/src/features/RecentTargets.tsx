import { describeTarget, type RecentTarget } from '../state/recent';

/** A "Recent" choice of targets used before; choosing one hands it to `onPick` (the form fills its fields). */
export function RecentTargets({ recent, onPick }: { recent: readonly RecentTarget[]; onPick: (target: RecentTarget) => void }) {
  if (recent.length === 0) return null;
  return (
    <label className="field">
      <span>Recent</span>
      <select
        aria-label="Recent targets"
        value=""
        onChange={(e) => {
          const t = recent[Number(e.target.value)];
          if (t) onPick(t);
        }}
      >
        <option value="">Choose…</option>
        {recent.map((t, i) => (
          <option key={describeTarget(t)} value={i}>
            {describeTarget(t)}
          </option>
        ))}
      </select>
    </label>
  );
}
