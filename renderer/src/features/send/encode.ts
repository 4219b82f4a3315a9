import { parseEscapes, parseHex, withLineEnding, type LineEnding, type ParseOutcome } from '../../../../shared/bytes';

/** How the message box turns what was typed into bytes. */
export interface MessageFormat {
  hex: boolean;
  lineEnding: LineEnding;
}

/** Typed text to bytes: escapes or hex, then the line ending. Refuses bad input with the reason. */
export function encodeMessage(text: string, format: MessageFormat): ParseOutcome {
  const parsed = format.hex ? parseHex(text) : parseEscapes(text);
  if (!parsed.ok) return parsed;
  return { ok: true, bytes: withLineEnding(parsed.bytes, format.lineEnding) };
}
