/**
 * What is at a Unix socket path, and removing a stale socket file safely. Only a socket file
 * whose server is gone may be removed; a regular file, folder, link or anything else there is
 * described and never touched.
 */
import type { Stats } from 'node:fs';
import { lstat, readlink, unlink } from 'node:fs/promises';
import net from 'node:net';
import type { ErrorInfo } from '../../shared/result';

/** What a socket path holds, as far as listening there is concerned. */
export type SocketPathState =
  | { kind: 'absent' }
  /** A socket file with a server accepting on it. */
  | { kind: 'live' }
  /** A socket file nobody accepts on (connecting is refused): a dead server's leftover. */
  | { kind: 'stale'; dev: number; ino: number }
  /** Something that is not a socket: a regular file, folder, link, FIFO or device. */
  | { kind: 'other'; what: string }
  | { kind: 'unknown' };

/** "a regular file", "a folder", "a symbolic link (to /x)"… for the error that names it. */
async function describe(socketPath: string, st: Stats): Promise<string> {
  if (st.isFile()) return `a regular file (${st.size} bytes)`;
  if (st.isDirectory()) return 'a folder';
  if (st.isSymbolicLink()) {
    const target = await readlink(socketPath).catch(() => null);
    return target ? `a symbolic link (to ${target})` : 'a symbolic link';
  }
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'something that is not a socket';
}

/** Connects to the path: accepted (live), refused (stale), or neither. */
function probe(socketPath: string): Promise<'live' | 'refused' | 'absent' | 'unknown'> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: socketPath });
    const done = (state: 'live' | 'refused' | 'absent' | 'unknown') => {
      socket.destroy();
      resolve(state);
    };
    socket.once('connect', () => done('live'));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(err.code === 'ECONNREFUSED' ? 'refused' : err.code === 'ENOENT' ? 'absent' : 'unknown'),
    );
    socket.setTimeout(1000, () => done('unknown'));
  });
}

/** Looks at a socket path without following links, then asks a socket file whether it is served. */
export async function inspectSocketPath(socketPath: string): Promise<SocketPathState> {
  if (process.platform === 'win32') {
    // A named pipe leaves nothing behind when its server dies: it is served or it is absent.
    const state = await probe(socketPath);
    return state === 'live' ? { kind: 'live' } : state === 'absent' ? { kind: 'absent' } : { kind: 'unknown' };
  }
  let st: Stats;
  try {
    st = await lstat(socketPath);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? { kind: 'absent' } : { kind: 'unknown' };
  }
  if (!st.isSocket()) return { kind: 'other', what: await describe(socketPath, st) };
  const state = await probe(socketPath);
  if (state === 'live') return { kind: 'live' };
  if (state === 'refused') return { kind: 'stale', dev: st.dev, ino: st.ino };
  return state === 'absent' ? { kind: 'absent' } : { kind: 'unknown' };
}

/** The error for a path that holds something other than a socket. */
export function notASocket(socketPath: string, what: string): ErrorInfo {
  return {
    code: 'NOT_A_SOCKET',
    message: `${socketPath} is ${what}, not a socket: Socket Inspector will not listen there or remove it.`,
    hint: 'Choose another socket path (or move that away yourself if you no longer need it).',
  };
}

/**
 * Removes a stale socket file, checking just before that the path still holds the very socket
 * file that was found stale (same device and inode), so nothing that replaced it is deleted.
 */
export async function removeStaleSocket(socketPath: string, found: { dev: number; ino: number }): Promise<ErrorInfo | null> {
  let st: Stats;
  try {
    st = await lstat(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (!st.isSocket() || st.dev !== found.dev || st.ino !== found.ino) {
    return {
      code: 'PATH_CHANGED',
      message: `${socketPath} changed since it was found stale; nothing was removed.`,
      hint: 'Try again to see what is there now.',
    };
  }
  await unlink(socketPath);
  return null;
}
