/**
 * UDP addresses and interfaces: how peers are shown, which interfaces carry multicast, and how
 * much one datagram can hold.
 */
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { formatHostPort } from '../../shared/format';
import type { ErrorInfo } from '../../shared/result';

/** One end of a datagram: an address, a port, and for link-local IPv6 the interface it belongs to. */
export interface UdpPeer {
  /**
   * An IP literal. Link-local IPv6 keeps its zone as the OS reports it (fe80::1%eth0), so it can be
   * sent back to as is. IPv4-mapped IPv6 (::ffff:a.b.c.d) is shown as the IPv4 address it carries.
   */
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
  /** Interface index of a link-local IPv6 address, when known. */
  scopeId?: number;
}

/** The largest UDP payload in one IPv4 datagram: 65,535 minus 20 (IP header) minus 8 (UDP header). */
export const MAX_IPV4_PAYLOAD = 65_507;
/** The largest UDP payload in one IPv6 datagram without jumbograms: 65,535 minus 8 (UDP header). */
export const MAX_IPV6_PAYLOAD = 65_527;

export function stripBrackets(host: string): string {
  const h = host.trim();
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

export const V4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

export function isLinkLocalV6(address: string): boolean {
  return /^fe[89ab][0-9a-f]?:/i.test(address);
}

/** The interface index for a zone: numeric zones are indexes already; names are looked up. */
function zoneIndex(zone: string): number | undefined {
  if (/^\d+$/.test(zone)) return Number(zone);
  for (const info of os.networkInterfaces()[zone] ?? []) {
    if (info.family === 'IPv6' && info.scopeid) return info.scopeid;
  }
  if (process.platform === 'linux') {
    try {
      const index = Number(readFileSync(`/sys/class/net/${zone}/ifindex`, 'utf8').trim());
      if (Number.isInteger(index) && index > 0) return index;
    } catch {
      // not a Linux interface name; the zone still says which interface it is
    }
  }
  return undefined;
}

export function toPeer(address: string, port: number, family: string): UdpPeer {
  const mapped = V4_MAPPED.exec(address);
  if (mapped) return { address: mapped[1]!, port, family: 'IPv4' };
  if (family === 'IPv4' || net.isIPv4(address)) return { address, port, family: 'IPv4' };
  const peer: UdpPeer = { address, port, family: 'IPv6' };
  const percent = address.indexOf('%');
  if (percent >= 0) {
    const scopeId = zoneIndex(address.slice(percent + 1));
    if (scopeId !== undefined) peer.scopeId = scopeId;
  }
  return peer;
}

/** Formats a peer for display: 127.0.0.1:5000, [::1]:5000, [fe80::1%lo]:5000 (scope id / interface name shown for link-local). */
export function formatPeer(peer: UdpPeer): string {
  let address = peer.address;
  if (peer.family === 'IPv6' && !address.includes('%') && peer.scopeId && isLinkLocalV6(address)) {
    address = `${address}%${peer.scopeId}`;
  }
  return formatHostPort(address, peer.port);
}

/** Interface names known to the OS, including those without an address (Linux lists them all in /sys). */
function interfaceNames(): Set<string> {
  const names = new Set(Object.keys(os.networkInterfaces()));
  if (process.platform === 'linux') {
    try {
      for (const name of readdirSync('/sys/class/net')) names.add(name);
    } catch {
      // no sysfs: the names with addresses are all we can know
    }
  }
  return names;
}

/** IFF_UP and IFF_MULTICAST from Linux's sysfs, or null where the flags cannot be read. */
function linuxFlags(name: string): { up: boolean; multicast: boolean } | null {
  if (process.platform !== 'linux') return null;
  try {
    const flags = Number.parseInt(readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim(), 16);
    if (!Number.isFinite(flags)) return null;
    return { up: (flags & 0x1) !== 0, multicast: (flags & 0x1000) !== 0 };
  } catch {
    return null;
  }
}

/** Network interfaces usable for multicast, for the UI's interface choice: name, addresses, whether loopback. */
export function multicastInterfaces(): Array<{ name: string; addresses: string[]; internal: boolean }> {
  const result: Array<{ name: string; addresses: string[]; internal: boolean }> = [];
  for (const [name, infos] of Object.entries(os.networkInterfaces())) {
    if (!infos || infos.length === 0) continue;
    const internal = infos.some((i) => i.internal);
    const flags = linuxFlags(name);
    // Loopback is kept even without the MULTICAST flag: Linux still delivers IPv4 groups joined
    // on it, which is the only way to try multicast without sending anything onto a network.
    if (flags && (!flags.up || (!flags.multicast && !internal))) continue;
    const addresses = infos.map((i) => (i.family === 'IPv6' && isLinkLocalV6(i.address) ? `${i.address}%${name}` : i.address));
    result.push({ name, addresses, internal });
  }
  return result;
}

export function isMulticast(address: string): boolean {
  if (net.isIPv4(address)) {
    const first = Number(address.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return net.isIPv6(address) && /^ff/i.test(address);
}

type IfaceChoice = { ok: true; value: string | undefined } | { ok: false; error: ErrorInfo };

/**
 * Turns the interface a person chose into what the OS expects: for IPv4 an address of that
 * interface, for IPv6 '::%name'. Unknown interfaces are refused here, before the OS sees them,
 * because an unknown IPv6 zone would otherwise silently fall back to the default interface.
 */
export function chooseInterface(family: 'IPv4' | 'IPv6', iface: string | undefined, purpose: string): IfaceChoice {
  const nope = (message: string, hint: string): IfaceChoice => ({ ok: false, error: { code: 'EADDRNOTAVAIL', message, hint } });
  const pickHint = `Choose one of this machine's interfaces: ${[...interfaceNames()].join(', ') || 'none found'}.`;
  if (iface === undefined || iface.trim() === '') return { ok: true, value: undefined };
  const raw = stripBrackets(iface);
  const interfaces = os.networkInterfaces();
  if (family === 'IPv4') {
    if (net.isIPv4(raw)) {
      if (raw === '0.0.0.0') return { ok: true, value: undefined };
      const owned = Object.values(interfaces).some((infos) => infos?.some((i) => i.family === 'IPv4' && i.address === raw));
      if (owned) return { ok: true, value: raw };
      return nope(`No network interface on this machine has address ${raw}, so it cannot be used to ${purpose}.`, pickHint);
    }
    if (net.isIPv6(raw)) {
      return {
        ok: false,
        error: {
          code: 'EINVAL',
          message: `${raw} is an IPv6 address; an IPv4 group needs the IPv4 address of an interface (such as 127.0.0.1) to ${purpose}.`,
          hint: 'Give the interface as its IPv4 address or its name.',
        },
      };
    }
    if (!interfaceNames().has(raw)) return nope(`There is no network interface named "${raw}" on this machine.`, pickHint);
    const v4 = interfaces[raw]?.find((i) => i.family === 'IPv4');
    if (!v4) return nope(`Interface ${raw} has no IPv4 address, so it cannot be used to ${purpose}.`, pickHint);
    return { ok: true, value: v4.address };
  }
  // IPv6: the OS identifies the interface by index, carried as the zone of '::%zone'.
  const percent = raw.indexOf('%');
  if (percent >= 0) {
    const zone = raw.slice(percent + 1);
    if (/^\d+$/.test(zone) || interfaceNames().has(zone)) return { ok: true, value: `::%${zone}` };
    return nope(`There is no network interface named "${zone}" on this machine.`, pickHint);
  }
  if (net.isIPv4(raw)) {
    return {
      ok: false,
      error: {
        code: 'EINVAL',
        message: `${raw} is an IPv4 address; an IPv6 group needs an interface given as its name (lo, eth0) or as ::%name to ${purpose}.`,
        hint: 'Give the interface as its name, such as lo.',
      },
    };
  }
  if (net.isIPv6(raw)) {
    if (raw === '::') return { ok: true, value: undefined };
    for (const [name, infos] of Object.entries(interfaces)) {
      if (infos?.some((i) => i.family === 'IPv6' && i.address === raw.toLowerCase())) return { ok: true, value: `::%${name}` };
    }
    return nope(`No network interface on this machine has address ${raw}, so it cannot be used to ${purpose}.`, pickHint);
  }
  if (!interfaceNames().has(raw)) return nope(`There is no network interface named "${raw}" on this machine.`, pickHint);
  return { ok: true, value: `::%${raw}` };
}
