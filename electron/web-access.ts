/**
 * How the browser host is reached: whether an address is this machine only, which URLs a bind
 * serves, what its certificate names, and what the user is told at start. Pure functions of
 * their inputs (the machine's interfaces are passed in), so every case can be tested without
 * binding anything but loopback.
 */
import net from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

/** The shape of os.networkInterfaces(). */
export type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** An IP literal in its canonical form (brackets dropped, IPv6 shortest), or null for a name. */
function canonicalIp(host: string): string | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (net.isIPv4(bare)) return bare;
  if (!net.isIPv6(bare) || bare.includes('%')) return null;
  try {
    return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

/** True when host names this machine only: localhost, 127.0.0.0/8, ::1, or ::ffff:127.x.x.x. */
export function isLoopbackHost(host: string): boolean {
  const name = host.trim().toLowerCase().replace(/\.$/, '');
  if (name === 'localhost') return true;
  const ip = canonicalIp(name);
  if (ip === null) return false;
  if (net.isIPv4(ip)) return ip.startsWith('127.');
  // ::ffff:127.0.0.1 is shown by URL as ::ffff:7f00:1.
  return ip === '::1' || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(ip);
}

/** True for a bind to every address of the machine: 0.0.0.0 or ::. */
export function isWildcardHost(host: string): boolean {
  const ip = canonicalIp(host.trim());
  return ip === '0.0.0.0' || ip === '::';
}

/**
 * Whether the browser host must serve HTTPS. Beyond loopback its URL, token included, crosses a
 * network, and the token lets its holder run programs as this user; so HTTPS, unless the user
 * asked for plain HTTP in so many words.
 */
export function needsHttps(host: string, insecureHttp = false): boolean {
  return !insecureHttp && !isLoopbackHost(host);
}

/** host as it goes in a URL or Host header: IPv6 literals in brackets. */
export function hostLiteral(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare.includes(':') ? `[${bare}]` : bare;
}

/**
 * The machine's addresses a browser can use for a bind: for 0.0.0.0 its IPv4 addresses, for ::
 * all of them, loopback first; link-local IPv6 addresses are left out (browsers do not take
 * their zone in a URL). Any other bind is reached at its own address.
 */
export function reachableHosts(bindHost: string, interfaces: Interfaces): string[] {
  if (!isWildcardHost(bindHost)) return [canonicalIp(bindHost) ?? bindHost];
  const ipv4Only = canonicalIp(bindHost) === '0.0.0.0';
  const found: { address: string; internal: boolean }[] = [];
  for (const list of Object.values(interfaces)) {
    for (const iface of list ?? []) {
      if (iface.family === 'IPv6' && (ipv4Only || (iface.scopeid ?? 0) !== 0 || /^fe[89ab]/i.test(iface.address))) continue;
      const address = canonicalIp(iface.address);
      if (address && !found.some((f) => f.address === address)) found.push({ address, internal: iface.internal });
    }
  }
  // The loopback URL first: it is the one to open on this machine.
  return [...found.filter((f) => f.internal), ...found.filter((f) => !f.internal)].map((f) => f.address);
}

/** Names the certificate of an HTTPS bind should carry: where it is reached, and the machine's name. */
export function certificateNames(bindHost: string, interfaces: Interfaces, hostname: string): string[] {
  const names = reachableHosts(bindHost, interfaces);
  const name = hostname.trim().toLowerCase().replace(/\.$/, '');
  // A machine name that is not a DNS name (spaces, say) cannot go in a certificate.
  if (/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(name) && name.length <= 253) names.push(name);
  return [...new Set(names)];
}

/** What the browser host says at start. */
export interface AccessNotice {
  /** The URL lines, and the certificate's fingerprint when there is one. */
  stdout: string;
  /** Warnings: what the token grants, when anyone beyond this machine may reach the host. */
  stderr: string;
}

/** The start-up message for a host serving at urls (token included), bound to bindHost. */
export function accessNotice(options: {
  bindHost: string;
  urls: string[];
  /** SHA-256 fingerprint of the served certificate, for HTTPS. */
  fingerprint256?: string;
  /** The account the host runs as, to say whose programs a token holder runs. */
  user?: string;
}): AccessNotice {
  const [first, ...rest] = options.urls;
  let stdout = `Socket Inspector is running at ${first}\n`;
  for (const url of rest) stdout += `                           and ${url}\n`;
  if (options.fingerprint256) {
    stdout +=
      `Its certificate is self-signed, made for this run. SHA-256 fingerprint:\n  ${options.fingerprint256}\n` +
      'Your browser will warn that it does not know the certificate: go on only if the fingerprint it shows is this one.\n';
  }
  let stderr = '';
  if (!isLoopbackHost(options.bindHost)) {
    const who = options.user ? `as ${options.user}` : 'as this user';
    if (!options.fingerprint256) {
      stderr +=
        `Warning: serving plain HTTP on ${options.bindHost} (--insecure-http): the token and everything shown cross the ` +
        'network unencrypted, readable by anyone on the way.\n';
    }
    stderr +=
      `Warning: serving on ${options.bindHost}, beyond this machine. Whoever has the URL with its token can run programs ` +
      `${who}, end processes, open connections from this machine and read everything captured. Give it only to people ` +
      'you would trust with a shell here.\n';
  }
  return { stdout, stderr };
}
