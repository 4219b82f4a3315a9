/** Display helpers used by both processes. */
import type { Endpoint } from './model';

/** host:port, with brackets around IPv6 literals ([::1]:8080). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * An endpoint as host:port. Port 0 is never a peer's port: it marks an endpoint that is a
 * description ("(any sender)", "(reset before it was accepted)"), shown alone.
 */
export function formatEndpoint(ep: Endpoint | undefined): string {
  if (!ep) return '—';
  return ep.family === 'unix' || ep.port === 0 ? ep.address : formatHostPort(ep.address, ep.port);
}

/** A byte count for people: exact below 1 KiB, then KiB, MiB, GiB with one decimal. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** A time of day with milliseconds (14:03:07.123), in local time. */
export function formatClock(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
