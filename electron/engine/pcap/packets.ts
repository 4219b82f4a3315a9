/**
 * Decodes a captured frame down to its TCP or UDP payload: link layer, IPv4 (with options) or IPv6
 * (with extension headers), then TCP or UDP. Anything else comes back as { skipped: why }, in
 * words a person can read; malformed input never throws.
 */
import { formatIPv4, formatIPv6 } from './ip';

export interface DecodedPacket {
  family: 'IPv4' | 'IPv6';
  src: string;
  dst: string;
  transport: 'tcp' | 'udp';
  srcPort: number;
  dstPort: number;
  /** The captured payload (a view into the frame's bytes). */
  payload: Uint8Array;
  /** bytes the IP header says exist but were not captured (snaplen) */
  missing: number;
  tcp?: { seq: number; ack: number; flags: number /* FIN 1, SYN 2, RST 4, PSH 8, ACK 16 */; window: number };
}

export type Skipped = { skipped: string };

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_NAMES: Record<number, string> = { 0x0806: 'ARP', 0x8035: 'RARP', 0x88cc: 'LLDP', 0x8863: 'PPPoE discovery', 0x8864: 'PPPoE', 0x8847: 'MPLS', 0x888e: 'EAPOL' };
const IP_PROTOCOL_NAMES: Record<number, string> = { 1: 'ICMP', 2: 'IGMP', 4: 'IP-in-IP', 41: 'IPv6-in-IP', 47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMPv6', 89: 'OSPF', 103: 'PIM', 132: 'SCTP' };

/** Decodes one frame of the given link type. */
export function decodePacket(linkType: number, data: Uint8Array): DecodedPacket | Skipped {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (linkType) {
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (data.length < 4) return { skipped: 'loopback header not captured' };
      // NULL stores the address family in the capturing host's byte order; LOOP in network order.
      const be = v.getUint32(0, false);
      const family = linkType === LINKTYPE_LOOP ? be : be > 0xffff ? v.getUint32(0, true) : be;
      if (family === 2) return ipv4(data.subarray(4));
      if (family === 24 || family === 28 || family === 30) return ipv6(data.subarray(4));
      return { skipped: `loopback address family ${family} is not IP` };
    }
    case LINKTYPE_ETHERNET: {
      if (data.length < 14) return { skipped: 'Ethernet header not captured' };
      return byEtherType(v.getUint16(12), data, 14);
    }
    case LINKTYPE_LINUX_SLL: {
      if (data.length < 16) return { skipped: 'Linux cooked header not captured' };
      return byEtherType(v.getUint16(14), data, 16);
    }
    case LINKTYPE_LINUX_SLL2: {
      if (data.length < 20) return { skipped: 'Linux cooked (v2) header not captured' };
      return byEtherType(v.getUint16(0), data, 20);
    }
    case LINKTYPE_RAW: {
      if (data.length < 1) return { skipped: 'empty packet' };
      const version = data[0]! >> 4;
      if (version === 4) return ipv4(data);
      if (version === 6) return ipv6(data);
      return { skipped: `IP version ${version} is neither 4 nor 6` };
    }
    case LINKTYPE_IPV4:
      return ipv4(data);
    case LINKTYPE_IPV6:
      return ipv6(data);
  }
  return { skipped: `link type ${linkType} is not one this reader decodes (Ethernet, Linux cooked, loopback or raw IP)` };
}

/** The frame from offset `at`, whose EtherType is type; 802.1Q / 802.1ad tags are stepped over. */
function byEtherType(type: number, data: Uint8Array, at: number): DecodedPacket | Skipped {
  let t = type;
  let o = at;
  while (t === 0x8100 || t === 0x88a8 || t === 0x9100) {
    if (data.length < o + 4) return { skipped: 'VLAN tag not captured' };
    t = (data[o + 2]! << 8) | data[o + 3]!;
    o += 4;
  }
  if (t === ETHERTYPE_IPV4) return ipv4(data.subarray(o));
  if (t === ETHERTYPE_IPV6) return ipv6(data.subarray(o));
  if (t <= 1500) return { skipped: 'an 802.3/LLC frame, not IP' };
  const name = ETHERTYPE_NAMES[t];
  return { skipped: `${name ?? `EtherType 0x${t.toString(16).padStart(4, '0')}`} is not IP` };
}

function ipv4(b: Uint8Array): DecodedPacket | Skipped {
  if (b.length < 20) return { skipped: 'IPv4 header not captured' };
  if (b[0]! >> 4 !== 4) return { skipped: `IP version ${b[0]! >> 4} where IPv4 was expected` };
  const headerLength = (b[0]! & 0x0f) * 4;
  if (headerLength < 20) return { skipped: `bad IPv4 header length ${headerLength}` };
  if (b.length < headerLength) return { skipped: 'IPv4 options not captured' };
  let total = (b[2]! << 8) | b[3]!;
  // A zero total length is what TCP segmentation offload leaves in captures of large sends.
  if (total === 0) total = b.length;
  if (total < headerLength) return { skipped: `bad IPv4 total length ${total}` };
  const fragment = (b[6]! << 8) | b[7]!;
  if (fragment & 0x3fff) return { skipped: 'fragmented IP packet, not reassembled' };
  return transport('IPv4', formatIPv4(b, 12), formatIPv4(b, 16), b[9]!, b, headerLength, total);
}

function ipv6(b: Uint8Array): DecodedPacket | Skipped {
  if (b.length < 40) return { skipped: 'IPv6 header not captured' };
  if (b[0]! >> 4 !== 6) return { skipped: `IP version ${b[0]! >> 4} where IPv6 was expected` };
  const payloadLength = (b[4]! << 8) | b[5]!;
  // Zero: a jumbogram, or offloaded segmentation; either way the captured bytes are all there is.
  const total = payloadLength === 0 ? b.length : 40 + payloadLength;
  let next = b[6]!;
  let at = 40;
  for (;;) {
    if (next === 0 || next === 43 || next === 60 || next === 51) {
      if (b.length < at + 2) return { skipped: 'IPv6 extension header not captured' };
      const length = next === 51 ? (b[at + 1]! + 2) * 4 : (b[at + 1]! + 1) * 8;
      next = b[at]!;
      at += length;
      if (at > total) return { skipped: 'IPv6 extension headers longer than the packet' };
      continue;
    }
    if (next === 44) return { skipped: 'fragmented IPv6 packet, not reassembled' };
    if (next === 59) return { skipped: 'IPv6 packet with no next header' };
    break;
  }
  return transport('IPv6', formatIPv6(b, 8), formatIPv6(b, 24), next, b, at, total);
}

/** The TCP or UDP segment at `at` of an IP packet of `total` bytes, of which b holds what was captured. */
function transport(family: 'IPv4' | 'IPv6', src: string, dst: string, protocol: number, b: Uint8Array, at: number, total: number): DecodedPacket | Skipped {
  // Bytes past the IP length are link padding (Ethernet's 60-byte minimum), not payload.
  const end = Math.min(total, b.length);
  const missing = Math.max(0, total - b.length);
  if (protocol === 6) {
    if (end < at + 20) return { skipped: end < total ? 'TCP header not captured' : 'TCP header longer than the packet' };
    const v = new DataView(b.buffer, b.byteOffset + at, 20);
    const headerLength = (b[at + 12]! >> 4) * 4;
    if (headerLength < 20) return { skipped: `bad TCP header length ${headerLength}` };
    if (at + headerLength > total) return { skipped: 'TCP header longer than the packet' };
    if (at + headerLength > end) return { skipped: 'TCP options not captured' };
    return {
      family,
      src,
      dst,
      transport: 'tcp',
      srcPort: v.getUint16(0),
      dstPort: v.getUint16(2),
      payload: b.subarray(at + headerLength, end),
      missing,
      tcp: { seq: v.getUint32(4), ack: v.getUint32(8), flags: b[at + 13]!, window: v.getUint16(14) },
    };
  }
  if (protocol === 17) {
    if (end < at + 8) return { skipped: end < total ? 'UDP header not captured' : 'UDP header longer than the packet' };
    const v = new DataView(b.buffer, b.byteOffset + at, 8);
    // The UDP length may be shorter than the IP payload (padding), never trusted to be longer.
    const udpLength = v.getUint16(4);
    let stop = total;
    if (udpLength >= 8 && at + udpLength < total) stop = at + udpLength;
    return {
      family,
      src,
      dst,
      transport: 'udp',
      srcPort: v.getUint16(0),
      dstPort: v.getUint16(2),
      payload: b.subarray(at + 8, Math.min(stop, end)),
      missing: Math.max(0, stop - b.length),
    };
  }
  const name = IP_PROTOCOL_NAMES[protocol];
  return { skipped: `IP protocol ${protocol}${name ? ` (${name})` : ''} is not TCP or UDP` };
}
