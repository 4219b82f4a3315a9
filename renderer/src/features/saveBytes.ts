import { formatEscaped, toHex } from '../../../shared/bytes';
import { formatBytes } from '../../../shared/format';

/**
 * Saves bytes as a file through the browser's download (in the desktop app, Electron's save
 * dialog): a blob URL clicked from a temporary link.
 */
export function saveBytes(bytes: Uint8Array, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download reads the blob after click() returns; revoking at once could cut it off.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Copies bytes to the clipboard as the view shows them (hex pairs, or escaped text); returns
 * what happened, in words, for a status line.
 */
export async function copyAsShown(bytes: Uint8Array, display: 'text' | 'hex'): Promise<string> {
  const text = display === 'hex' ? toHex(bytes) : formatEscaped(bytes);
  try {
    await navigator.clipboard.writeText(text);
    return `Copied ${formatBytes(bytes.byteLength)} as ${display === 'hex' ? 'hex' : 'escaped text'}.`;
  } catch (err) {
    return `Could not copy: ${err instanceof Error ? err.message : String(err)}`;
  }
}
