const KEY = 'socket-inspector.recent-targets';
const MAX = 12;

/** A target the user connected or relayed to: host and port, or a Unix socket path. */
export type RecentTarget = { host: string; port: number } | { path: string };

/** How a target reads in a list: "127.0.0.1:8080", "[::1]:80" or a path. */
export function describeTarget(t: RecentTarget): string {
  if ('path' in t) return t.path;
  return t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

/** The recent targets, newest first. */
export function loadRecent(): RecentTarget[] {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    if (!Array.isArray(raw)) return [];
    return raw.filter(
      (t): t is RecentTarget =>
        typeof t === 'object' &&
        t !== null &&
        ((typeof t.path === 'string' && t.path.length > 0) || (typeof t.host === 'string' && Number.isInteger(t.port) && t.port > 0 && t.port < 65536)),
    );
  } catch {
    return [];
  }
}

/** Puts a target first (once) and keeps the newest few. */
export function rememberTarget(t: RecentTarget): RecentTarget[] {
  const key = describeTarget(t);
  const list = [t, ...loadRecent().filter((x) => describeTarget(x) !== key)].slice(0, MAX);
  try {
    localStorage.setItem(KEY, JSON.stringify(list));
  } catch {
    // Storage refused: the list lasts this run.
  }
  return list;
}
