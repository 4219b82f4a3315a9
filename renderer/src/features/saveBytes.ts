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
