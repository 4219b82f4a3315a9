import type { LineEnding } from '../../../../shared/bytes';

/** The two controls that say how typed text becomes bytes: hex or text, and the line ending. */
export function FormatFields({
  hex,
  onHex,
  ending,
  onEnding,
}: {
  hex: boolean;
  onHex: (hex: boolean) => void;
  ending: LineEnding;
  onEnding: (ending: LineEnding) => void;
}) {
  return (
    <>
      <label className="inline">
        <input type="checkbox" checked={hex} onChange={(e) => onHex(e.target.checked)} /> Hex input
      </label>
      <label className="inline">
        Line ending
        <select aria-label="Line ending" value={ending} onChange={(e) => onEnding(e.target.value as LineEnding)}>
          <option value="none">None</option>
          <option value="lf">LF (\n)</option>
          <option value="crlf">CRLF (\r\n)</option>
        </select>
      </label>
    </>
  );
}
