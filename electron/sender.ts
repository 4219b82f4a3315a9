import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Decides whether an IPC message comes from our own renderer: a file:// document inside the
 * renderer's build directory. Comparing paths rather than URL prefixes keeps percent-encoding,
 * Windows drive-letter case and `..` segments from fooling the check. Plain Node, so it can be
 * tested without Electron.
 */
export function isTrustedRendererUrl(url: string | null | undefined, rendererDir: string): boolean {
  if (typeof url !== 'string' || url.length === 0) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'file:') return false;
  let filePath: string;
  try {
    // Throws for file://remote-host/... on POSIX and for encoded separators: both untrusted.
    filePath = fileURLToPath(parsed);
  } catch {
    return false;
  }
  const relative = path.relative(path.resolve(rendererDir), path.resolve(filePath));
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}
