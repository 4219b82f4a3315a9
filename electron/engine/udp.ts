import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { formatHostPort } from '../../shared/format';
import type { ErrorInfo } from '../../shared/result';
import { explainError } from './errors';
import {
  chooseInterface,
  formatPeer,
  isMulticast,
  MAX_IPV4_PAYLOAD,
  MAX_IPV6_PAYLOAD,
  stripBrackets,
  toPeer,
  V4_MAPPED,
  type UdpPeer,
} from './udp-addresses';
import { errnoCode, explainBind, explainMembership, explainSend, osMessage, withHolder } from './udp-errors';

export { formatPeer, multicastInterfaces, type UdpPeer } from './udp-addresses';

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

/** An Error that carries its explanation, for the one place that rejects (bind). */
function failure(info: ErrorInfo): Error & ErrorInfo & { info: ErrorInfo } {
  return Object.assign(new Error(info.message), { ...info, info });
}

function invalid(message: string, hint?: string): ErrorInfo {
  return hint === undefined ? { code: 'INVALID_INPUT', message } : { code: 'INVALID_INPUT', message, hint };
}

const CLOSED: ErrorInfo = { code: 'CLOSED', message: 'This UDP endpoint is closed; nothing can be sent or joined on it.', hint: 'Bind a new endpoint.' };

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
