import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { formatHostPort } from '../../shared/format';
import type { ErrorInfo } from '../../shared/result';
import { explainError } from './errors';
import { listListeningPorts } from './ports';

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

/** Where and how to bind a UDP endpoint. */
export interface UdpBindOptions {
  /** An IP literal ([::1] brackets allowed) or a name such as localhost, resolved to pick the family. */
  host: string;
  /** 0 lets the OS choose a free port. */
  port: number;
  /** dual-stack on '::' where the OS allows */
  ipv6Only?: boolean;
  broadcast?: boolean;
  reuseAddr?: boolean;
}

/** What a bound endpoint reports. */
export interface UdpCallbacks {
  /** One datagram, exactly as received: never merged or split. */
  onDatagram(data: Uint8Array, from: UdpPeer): void;
  /**
   * A send or socket error after binding, explained. A failed send() resolves with its own error
   * and is not reported here again, so nothing is shown twice.
   */
  onError(error: ErrorInfo): void;
  onClose(): void;
}

/** The largest UDP payload in one IPv4 datagram: 65,535 minus 20 (IP header) minus 8 (UDP header). */
const MAX_IPV4_PAYLOAD = 65_507;
/** The largest UDP payload in one IPv6 datagram without jumbograms: 65,535 minus 8 (UDP header). */
const MAX_IPV6_PAYLOAD = 65_527;

/** 65,507 rather than 65507: sizes are read by people. */
function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function bytes(n: number): string {
  return n === 1 ? '1 byte' : `${count(n)} bytes`;
}

function stripBrackets(host: string): string {
  const h = host.trim();
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

function osMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errnoCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/** An Error that carries its explanation, for the one place that rejects (bind). */
function failure(info: ErrorInfo): Error & ErrorInfo & { info: ErrorInfo } {
  return Object.assign(new Error(info.message), { ...info, info });
}

function invalid(message: string, hint?: string): ErrorInfo {
  return hint === undefined ? { code: 'INVALID_INPUT', message } : { code: 'INVALID_INPUT', message, hint };
}

// ---------------------------------------------------------------------------------------------
// Addresses and interfaces

const V4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

function isLinkLocalV6(address: string): boolean {
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

function toPeer(address: string, port: number, family: string): UdpPeer {
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

function isMulticast(address: string): boolean {
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
function chooseInterface(family: 'IPv4' | 'IPv6', iface: string | undefined, purpose: string): IfaceChoice {
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

// ---------------------------------------------------------------------------------------------
// Explanations

/** A bind failure in words, naming host:port, with what to try. */
function explainBind(err: unknown, host: string, port: number): ErrorInfo {
  const code = errnoCode(err);
  const at = formatHostPort(host, port);
  switch (code) {
    case 'EADDRINUSE':
      return {
        code,
        message: `UDP port ${port} is already in use on ${host}: another program (or another endpoint here) is bound to ${at}.`,
        hint: 'Choose another port, use port 0 to pick a free one, or stop the program that holds it. Two UDP sockets may share a port only when both ask for address reuse.',
      };
    case 'EACCES':
    case 'EPERM':
      if (port > 0 && port < 1024) {
        return {
          code,
          message: `Permission denied binding UDP to ${at}: ports below 1024 (here ${port}) are privileged, and this program may not bind them.`,
          hint:
            'Use a port of 1024 or above (5353 is taken by mDNS; 15000 is a safe pick). On Linux you can instead lower net.ipv4.ip_unprivileged_port_start or grant CAP_NET_BIND_SERVICE; on macOS before 10.14 and on BSD, run as administrator.',
        };
      }
      return {
        code,
        message: `Permission denied binding UDP to ${at}.`,
        hint: 'The operating system or a security policy forbids it. Try another address or port.',
      };
    case 'EADDRNOTAVAIL':
      return {
        code,
        message: `Cannot bind UDP to ${at}: address ${host} is not available on this machine, no network interface has it.`,
        hint: 'Bind to 127.0.0.1 or ::1 (this machine only), 0.0.0.0 or :: (all interfaces), or an address this machine owns.',
      };
    case 'EAFNOSUPPORT':
      return {
        code,
        message: `Cannot bind UDP to ${at}: this machine does not support IPv6 (it may be disabled).`,
        hint: 'Use an IPv4 address such as 127.0.0.1, or enable IPv6.',
      };
    case 'EINVAL':
      if (V4_MAPPED.test(host)) {
        return {
          code,
          message: `Cannot bind UDP to ${at}: an IPv6-only endpoint cannot use an IPv4-mapped address.`,
          hint: `Bind to ${host.replace(/^::ffff:/i, '')} instead, or turn IPv6-only off.`,
        };
      }
      if (isLinkLocalV6(host) && !host.includes('%')) {
        return {
          code,
          message: `Cannot bind UDP to ${at}: a link-local IPv6 address needs its interface.`,
          hint: `Add the interface as a zone, such as ${host}%eth0.`,
        };
      }
      return { code, message: `Cannot bind UDP to ${at}: the operating system rejected the address (${osMessage(err)}).` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return explainError(err, { op: 'listen', host, port });
    default:
      return { code, message: `Could not bind UDP to ${at}: ${osMessage(err)}` };
  }
}

/** Names the process holding a UDP port, when the OS lets us see it. */
async function withHolder(info: ErrorInfo, host: string, port: number): Promise<ErrorInfo> {
  const wanted = host.toLowerCase();
  const overlaps = (address: string, protocol: string): boolean => {
    const a = address.toLowerCase();
    if (a === wanted) return true;
    const isV4 = net.isIPv4(wanted) || V4_MAPPED.test(wanted);
    // '::' takes IPv4 too on a dual-stack socket, which is the default.
    if (a === '::' || wanted === '::') return true;
    if (a === '0.0.0.0') return isV4;
    if (wanted === '0.0.0.0') return protocol === 'udp';
    return false;
  };
  let holder: { pid: number; name: string } | undefined;
  try {
    const entries = (await listListeningPorts()).filter(
      (e) => (e.protocol === 'udp' || e.protocol === 'udp6') && e.port === port && e.pid !== undefined && overlaps(e.address, e.protocol),
    );
    entries.sort((a, b) => Number(b.address.toLowerCase() === wanted) - Number(a.address.toLowerCase() === wanted) || a.pid! - b.pid!);
    const best = entries[0];
    if (best?.pid !== undefined) holder = { pid: best.pid, name: best.process ?? `pid ${best.pid}` };
  } catch {
    // listing ports is a courtesy; the explanation stands without it
  }
  if (!holder) return info;
  const self = holder.pid === process.pid;
  return {
    ...info,
    holder,
    message: self
      ? `UDP port ${port} is already in use on ${host}: this app itself (pid ${holder.pid}) has another endpoint bound to it.`
      : `UDP port ${port} is already in use on ${host}: it is held by ${holder.name}, pid ${holder.pid}.`,
    hint: self
      ? 'Close that endpoint first, or choose another port (0 picks a free one).'
      : `Choose another port (port 0 picks a free one), or end ${holder.name} if you no longer need it. Two UDP sockets may share a port only when both ask for address reuse.`,
  };
}

function isBroadcast(address: string): boolean {
  if (address === '255.255.255.255') return true;
  if (!net.isIPv4(address)) return false;
  // A directed broadcast: the all-ones host part of one of this machine's IPv4 networks.
  const toInt = (a: string) => a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const target = toInt(address);
  for (const infos of Object.values(os.networkInterfaces())) {
    for (const i of infos ?? []) {
      if (i.family !== 'IPv4') continue;
      const mask = toInt(i.netmask);
      if (mask === 0xffffffff) continue;
      const broadcast = ((toInt(i.address) & mask) | (~mask >>> 0)) >>> 0;
      if (broadcast === target) return true;
    }
  }
  return false;
}

function explainSend(err: unknown, host: string, address: string, port: number, size: number, broadcastOn: boolean, limit: number): ErrorInfo {
  const code = errnoCode(err);
  const at = formatHostPort(host, port);
  switch (code) {
    case 'EMSGSIZE':
      return {
        code,
        message:
          size > limit
            ? `A datagram of ${bytes(size)} is too large for one UDP datagram to ${at}: the limit is ${bytes(limit)} over ${limit === MAX_IPV4_PAYLOAD ? 'IPv4' : 'IPv6'}.`
            : `A datagram of ${bytes(size)} is too large to send to ${at}: this system or the path there allows less than the UDP limit of ${bytes(limit)}.`,
        hint: 'Send it in smaller pieces: UDP never splits a datagram for you. Across a real network, staying under about 1,472 bytes (Ethernet MTU) also avoids IP fragmentation.',
      };
    case 'EACCES':
    case 'EPERM':
      if (!broadcastOn && isBroadcast(address)) {
        return {
          code,
          message: `Permission denied sending to ${at}: ${address} is a broadcast address, and broadcast is off for this endpoint.`,
          hint: 'Turn broadcast on for this endpoint to send to a broadcast address.',
        };
      }
      return {
        code,
        message: `Permission denied sending to ${at}.`,
        hint: 'The operating system or a firewall rule forbids it. Try another address or port.',
      };
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return {
        code,
        message: isMulticast(address)
          ? `No route to ${at}: no network interface here can carry multicast to ${address}.`
          : `No route to ${at}: the network cannot reach that host.`,
        hint: isMulticast(address)
          ? 'Choose a multicast interface that is up and has the MULTICAST flag (see ip link), or check the multicast routes.'
          : 'Check the address, the network connection and any VPN or firewall.',
      };
    case 'ENOBUFS':
    case 'EAGAIN':
    case 'EWOULDBLOCK':
      return {
        code,
        message: `Could not send to ${at}: the system's send buffer is full.`,
        hint: 'Send more slowly, or try again in a moment.',
      };
    case 'EAFNOSUPPORT':
    case 'EINVAL':
      return { code, message: `Could not send to ${at}: the operating system rejected the destination (${osMessage(err)}).` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ENODATA':
      return explainError(Object.assign(new Error(osMessage(err)), { code: code === 'ENODATA' ? 'ENOTFOUND' : code }), { op: 'send', host, port });
    default:
      return explainError(err, { op: 'send', host, port });
  }
}

function explainMembership(err: unknown, op: 'join' | 'leave', group: string, iface: string | undefined, joined: boolean): ErrorInfo {
  const code = errnoCode(err);
  const on = iface ? ` on ${iface}` : '';
  const verb = op === 'join' ? 'join' : 'leave';
  switch (code) {
    case 'EADDRNOTAVAIL':
    case 'ENODEV':
      if (op === 'leave' && !joined) {
        return { code, message: `This endpoint has not joined multicast group ${group}${on}, so it cannot leave it.`, hint: 'Leave it with the same interface it was joined on.' };
      }
      return {
        code,
        message: iface
          ? `Cannot ${verb} multicast group ${group} on ${iface}: that interface does not exist or has no multicast.`
          : `Cannot ${verb} multicast group ${group}: no interface here can carry it.`,
        hint: 'Choose an interface that exists, is up and supports multicast (see ip link).',
      };
    case 'EINVAL':
      return {
        code,
        message: `Cannot ${verb} ${group}${on}: it is not a multicast address.`,
        hint: 'Multicast groups are 224.0.0.0 to 239.255.255.255 for IPv4 and ff00::/8 for IPv6 (239.255.0.0/16 is meant for local use).',
      };
    case 'EADDRINUSE':
      return { code, message: `This endpoint has already joined multicast group ${group}${on}.` };
    case 'ENOBUFS':
    case 'ENOMEM':
      return {
        code,
        message: `Cannot join multicast group ${group}${on}: this endpoint is in as many groups as the system allows.`,
        hint: 'Leave a group first. On Linux the limit is net.ipv4.igmp_max_memberships (20 by default).',
      };
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return {
        code,
        message: `Cannot ${verb} multicast group ${group}${on}: no route for it.`,
        hint: 'Choose an interface explicitly.',
      };
    default:
      return { code, message: `Could not ${verb} multicast group ${group}${on}: ${osMessage(err)}` };
  }
}

const CLOSED: ErrorInfo = { code: 'CLOSED', message: 'This UDP endpoint is closed; nothing can be sent or joined on it.', hint: 'Bind a new endpoint.' };

// ---------------------------------------------------------------------------------------------
// The endpoint

type Kind = 'udp4' | 'udp6';

/** A bound UDP socket: receives datagrams one by one, sends them one per call, joins groups. */
export class UdpEndpoint {
  /** bound address and port (port 0 → the chosen one) */
  readonly local: UdpPeer;
  private readonly memberships: Array<{ group: string; iface?: string }> = [];
  private broadcastOn: boolean;
  private closing: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly kind: Kind,
    private readonly ipv6Only: boolean,
    broadcast: boolean,
  ) {
    const a = socket.address();
    this.local = toPeer(a.address, a.port, a.family);
    this.broadcastOn = broadcast;
  }

  /** Binds; resolves with the endpoint or rejects with an ErrorInfo-shaped Error (property `info: ErrorInfo`). */
  static async bind(options: UdpBindOptions, callbacks: UdpCallbacks): Promise<UdpEndpoint> {
    const host = stripBrackets(String(options.host ?? ''));
    const port = options.port;
    if (host === '') throw failure(invalid('Give an address to bind to, such as 127.0.0.1, ::1 or localhost.'));
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw failure(invalid(`Port ${String(port)} is not a valid UDP port: use 0 to 65535 (0 lets the system pick a free one).`));
    }

    let address = host;
    let kind: Kind;
    if (net.isIPv4(host)) kind = 'udp4';
    else if (net.isIPv6(host)) kind = 'udp6';
    else {
      // A name: its first address (in the resolver's order) decides the family.
      try {
        const found = await lookup(host, { verbatim: true });
        address = found.address;
        kind = found.family === 6 ? 'udp6' : 'udp4';
      } catch (err) {
        throw failure(explainBind(err, host, port));
      }
    }

    const socket = dgram.createSocket({ type: kind, reuseAddr: options.reuseAddr === true, ipv6Only: options.ipv6Only === true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address, port }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      try {
        socket.close();
      } catch {
        // never bound: nothing left to release
      }
      let info = explainBind(err, address, port);
      if (info.code === 'EADDRINUSE' && port !== 0) info = await withHolder(info, address, port);
      throw failure(info);
    }

    if (options.broadcast) socket.setBroadcast(true);
    const endpoint = new UdpEndpoint(socket, kind, options.ipv6Only === true, options.broadcast === true);
    socket.on('message', (msg, rinfo) => {
      // A view, not a copy: Node gives each datagram a buffer of its own.
      callbacks.onDatagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), toPeer(rinfo.address, rinfo.port, rinfo.family));
    });
    socket.on('error', (err) => callbacks.onError(explainError(err, { op: 'socket', host: endpoint.local.address, port: endpoint.local.port })));
    socket.on('close', () => {
      endpoint.closed = true;
      callbacks.onClose();
    });
    return endpoint;
  }

  /** Multicast groups joined, for display. */
  get groups(): ReadonlyArray<{ group: string; iface?: string }> {
    return this.memberships.map((m) => ({ ...m }));
  }

  /**
   * Where a datagram for host really goes from this socket. An IPv6 socket reaches IPv4 through
   * IPv4-mapped addresses, which only a dual-stack socket (bound to ::) can do.
   */
  private async destination(host: string, port: number): Promise<{ address: string; limit: number } | ErrorInfo> {
    const at = formatHostPort(host, port);
    const dualStack = this.kind === 'udp6' && !this.ipv6Only && (this.local.address === '::' || this.local.family === 'IPv4');
    let address = host;
    if (!net.isIP(host)) {
      try {
        const found = await lookup(host, { all: true, verbatim: true });
        const usable = found.filter((f) => (this.kind === 'udp4' ? f.family === 4 : f.family === 6 || dualStack));
        if (usable.length === 0) {
          const has = found[0]?.family === 6 ? 'IPv6' : 'IPv4';
          return {
            code: 'EAFNOSUPPORT',
            message: `Cannot send to ${at}: "${host}" has only ${has} addresses, and this endpoint is bound to ${this.kind === 'udp4' ? 'IPv4' : 'IPv6'}.`,
            hint: `Bind the endpoint to an ${has} address to reach it.`,
          };
        }
        address = usable[0]!.address;
      } catch (err) {
        return explainSend(err, host, host, port, 0, this.broadcastOn, MAX_IPV4_PAYLOAD);
      }
    }
    if (this.kind === 'udp4') {
      if (net.isIPv6(address) && !V4_MAPPED.test(address)) {
        return {
          code: 'EAFNOSUPPORT',
          message: `Cannot send to ${at}: it is an IPv6 address, and this endpoint is bound to IPv4 (${formatPeer(this.local)}).`,
          hint: 'Bind an endpoint to ::1 or :: to send over IPv6.',
        };
      }
      return { address: address.replace(/^::ffff:/i, ''), limit: MAX_IPV4_PAYLOAD };
    }
    if (net.isIPv4(address) || V4_MAPPED.test(address)) {
      if (!dualStack) {
        return {
          code: 'EAFNOSUPPORT',
          message: `Cannot send to ${at}: it is an IPv4 address, and this endpoint is bound to IPv6 only (${formatPeer(this.local)}).`,
          hint: 'Bind an endpoint to 127.0.0.1 or 0.0.0.0, or to :: with IPv6-only off, to send over IPv4.',
        };
      }
      return { address: net.isIPv4(address) ? `::ffff:${address}` : address, limit: MAX_IPV4_PAYLOAD };
    }
    if (this.local.family === 'IPv4') {
      return {
        code: 'EAFNOSUPPORT',
        message: `Cannot send to ${at}: it is an IPv6 address, and this endpoint is bound to the IPv4-mapped address ${this.local.address}, which reaches IPv4 only.`,
        hint: 'Bind an endpoint to ::1 or :: to send over IPv6.',
      };
    }
    return { address, limit: MAX_IPV6_PAYLOAD };
  }

  /** Sends one datagram to host:port (IP literal or name); resolves null on success or an ErrorInfo (EMSGSIZE: too large for one datagram — say the size and the limit, 65,507 bytes for IPv4 over UDP; ENETUNREACH; EACCES for broadcast without the broadcast option; invalid port) */
  async send(data: Uint8Array, host: string, port: number): Promise<ErrorInfo | null> {
    if (this.closed || this.closing) return CLOSED;
    if (!(data instanceof Uint8Array)) return invalid('Only bytes can be sent.');
    const target = stripBrackets(String(host ?? ''));
    if (target === '') return invalid('Give a destination address to send to, such as 127.0.0.1 or ::1.');
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      return invalid(`Port ${String(port)} is not a valid destination: UDP can send to ports 1 to 65535.`, 'Check the port number.');
    }
    const dest = await this.destination(target, port);
    if ('code' in dest) return dest;
    if (data.byteLength > dest.limit) {
      return explainSend(Object.assign(new Error('EMSGSIZE'), { code: 'EMSGSIZE' }), target, dest.address, port, data.byteLength, this.broadcastOn, dest.limit);
    }
    if (this.closed || this.closing) return CLOSED;
    return new Promise<ErrorInfo | null>((resolve) => {
      const done = (err: Error | null) =>
        resolve(err ? explainSend(err, target, dest.address.replace(/^::ffff:/i, ''), port, data.byteLength, this.broadcastOn, dest.limit) : null);
      try {
        this.socket.send(data, port, dest.address, done);
      } catch (err) {
        done(err as Error);
      }
    });
  }

  setBroadcast(on: boolean): void {
    if (this.closed || this.closing) return;
    this.socket.setBroadcast(on);
    this.broadcastOn = on;
  }

  /**
   * The interface outgoing multicast leaves by (IPv4: the interface's address; IPv6: '::%lo' style
   * or an interface name). Without it the OS picks one by its routes.
   */
  setMulticastInterface(iface: string): ErrorInfo | null {
    if (this.closed || this.closing) return CLOSED;
    const choice = chooseInterface(this.kind === 'udp4' ? 'IPv4' : 'IPv6', iface, 'send multicast');
    if (!choice.ok) return choice.error;
    const value = choice.value ?? (this.kind === 'udp4' ? '0.0.0.0' : '::');
    try {
      this.socket.setMulticastInterface(value);
      return null;
    } catch (err) {
      const code = errnoCode(err);
      return {
        code,
        message: `Cannot send multicast through ${iface}: ${code === 'EADDRNOTAVAIL' || code === 'ENODEV' ? 'that interface does not exist or has no multicast' : osMessage(err)}.`,
        hint: 'Choose an interface that exists, is up and supports multicast (see ip link).',
      };
    }
  }

  private membership(op: 'join' | 'leave', group: string, iface?: string): ErrorInfo | null {
    if (this.closed || this.closing) return CLOSED;
    let g = stripBrackets(String(group ?? ''));
    let chosenIface = iface;
    const percent = g.indexOf('%');
    if (percent >= 0) {
      // ff02::1%lo: the zone names the interface when none was given.
      chosenIface ??= `::${g.slice(percent)}`;
      g = g.slice(0, percent);
    }
    const purpose = `${op} ${g}`;
    if (!net.isIP(g) || !isMulticast(g)) return explainMembership(Object.assign(new Error('EINVAL'), { code: 'EINVAL' }), op, g || String(group), chosenIface, false);
    const family = net.isIPv4(g) ? 'IPv4' : 'IPv6';
    if (family === 'IPv6' && this.kind === 'udp4') {
      return {
        code: 'EINVAL',
        message: `Cannot ${op} IPv6 group ${g}: this endpoint is bound to IPv4 (${formatPeer(this.local)}).`,
        hint: 'Bind an endpoint to :: or ::1 for IPv6 groups.',
      };
    }
    const choice = chooseInterface(family, chosenIface, purpose);
    if (!choice.ok) return choice.error;
    const key = g.toLowerCase();
    const index = this.memberships.findIndex((m) => m.group.toLowerCase() === key && (m.iface ?? '') === (chosenIface ?? ''));
    try {
      if (op === 'join') this.socket.addMembership(g, choice.value);
      else this.socket.dropMembership(g, choice.value);
    } catch (err) {
      return explainMembership(err, op, g, chosenIface, index >= 0);
    }
    if (op === 'join') {
      if (index < 0) this.memberships.push(chosenIface === undefined ? { group: g } : { group: g, iface: chosenIface });
    } else if (index >= 0) {
      this.memberships.splice(index, 1);
    }
    return null;
  }

  /** Joins or leaves a multicast group (IPv4 224.0.0.0/4 or IPv6 ff00::/8), on an interface address (IPv4: the interface's address, IPv6: '::%lo' style or an interface name); errors explained (EADDRNOTAVAIL: that interface does not exist or has no multicast, EINVAL: not a multicast address). */
  addMembership(group: string, iface?: string): ErrorInfo | null {
    return this.membership('join', group, iface);
  }

  /** Leaves a multicast group joined with addMembership, on the same interface. */
  dropMembership(group: string, iface?: string): ErrorInfo | null {
    return this.membership('leave', group, iface);
  }

  /** Whether this endpoint's own multicast comes back to groups it (or this host) joined. */
  setMulticastLoopback(on: boolean): void {
    if (this.closed || this.closing) return;
    this.socket.setMulticastLoopback(on);
  }

  /** Hops outgoing multicast may travel: 0 keeps it on this host, 1 on the local network. Throws RangeError outside 0 to 255. */
  setMulticastTTL(ttl: number): void {
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) throw new RangeError(`Multicast TTL ${String(ttl)} is out of range: use 0 to 255.`);
    if (this.closed || this.closing) return;
    this.socket.setMulticastTTL(ttl);
  }

  /** Closes the socket; onClose follows. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
    return this.closing;
  }
}
