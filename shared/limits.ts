/**
 * Sizes the renderer and the hosts agree on. The engine takes messages from a page up to
 * MAX_CLIENT_MESSAGE_BYTES, derived from what the page sends at most, so a page bug or a runaway
 * client cannot make it parse hundreds of MiB.
 */
import { encodeFrame } from './wire';

/**
 * Most bytes one command carries to send: a send, a send to all clients, a repeat, a UDP
 * datagram or a relay injection. More than that goes as a file send, in pieces.
 */
export const MAX_SEND_BYTES = 1024 * 1024;

/** A file is sent in pieces of this size, each once the socket has taken the one before. */
export const FILE_SEND_PIECE_BYTES = 256 * 1024;

/** Longest entry of the send history, in characters. */
export const MAX_HISTORY_ENTRY_CHARS = 65_536;

/** Room in a command message for all but its bytes: kind, id, command name, the other arguments. */
export const COMMAND_ENVELOPE_BYTES = 64 * 1024;

/**
 * The largest message a page sends the engine: a command carrying MAX_SEND_BYTES (bytes travel
 * as they are in a binary frame) with its envelope. The browser host closes a WebSocket that
 * sends more (close code 1009), the engine process drops such a frame, and the page refuses to
 * send more, saying why.
 */
export const MAX_CLIENT_MESSAGE_BYTES = MAX_SEND_BYTES + COMMAND_ENVELOPE_BYTES;

/** Bytes of text in UTF-8. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i += 1;
    } else n += 3;
  }
  return n;
}

/**
 * Bytes of a command as the page sends it to the engine (the id counted at its longest), to
 * hold against MAX_CLIENT_MESSAGE_BYTES before sending.
 */
export function commandMessageBytes(name: string, args: unknown): number {
  return encodeFrame({ kind: 'command', id: Number.MAX_SAFE_INTEGER, name, args }).byteLength;
}

/** A workspace is a small JSON file; anything larger is not one. */
export const MAX_WORKSPACE_FILE_BYTES = 8 * 1024 * 1024;
