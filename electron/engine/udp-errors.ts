/** UDP errors in words: why a bind, a send or a multicast membership failed, and what to try. */
import net from 'node:net';
import os from 'node:os';
import { formatHostPort } from '../../shared/format';
import type { ErrorInfo } from '../../shared/result';
import { explainError } from './errors';
import { listListeningPorts } from './ports';
import { isLinkLocalV6, isMulticast, MAX_IPV4_PAYLOAD, V4_MAPPED } from './udp-addresses';

/** 65,507 rather than 65507: sizes are read by people. */
function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function bytes(n: number): string {
  return n === 1 ? '1 byte' : `${count(n)} bytes`;
}

export function osMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function errnoCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/** A bind failure in words, naming host:port, with what to try. */
export function explainBind(err: unknown, host: string, port: number): ErrorInfo {
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
export async function withHolder(info: ErrorInfo, host: string, port: number): Promise<ErrorInfo> {
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

export function explainSend(err: unknown, host: string, address: string, port: number, size: number, broadcastOn: boolean, limit: number): ErrorInfo {
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

export function explainMembership(err: unknown, op: 'join' | 'leave', group: string, iface: string | undefined, joined: boolean): ErrorInfo {
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
