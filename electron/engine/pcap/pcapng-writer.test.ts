import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pcapngHeader, TcpFlowWriter, udpPacket, type FlowSpec } from './pcapng-writer';
import { followedSide, missingTools, parseFollow, randomBytes, run, seeded, skipNote, tempDir, tshark } from './testing';

const text = (s: string) => new TextEncoder().encode(s);
const T0 = 1_700_000_000_000;

function tcpSpec(family: 'IPv4' | 'IPv6', clientPort: number, serverPort: number): FlowSpec {
  const address = family === 'IPv4' ? '127.0.0.1' : '::1';
  return { transport: 'tcp', family, client: { address, port: clientPort }, server: { address, port: serverPort } };
}

/** What a test wrote for one flow: its spec, and each direction's bytes as chunks and gaps. */
interface Expected {
  spec: FlowSpec;
  client: Array<Uint8Array | number>;
  server: Array<Uint8Array | number>;
}

function writeFile(dir: string, name: string, blocks: Uint8Array[]): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([pcapngHeader({ application: 'Socket Inspector test', comment: 'exported flows' }), ...blocks]));
  return path;
}

/** Three flows interleaved in one file; every way a flow's bytes can look in an export. */
function severalFlows(): { blocks: Uint8Array[]; expected: Expected[] } {
  const random = seeded(3);
  const blocks: Uint8Array[] = [];
  const a: Expected = { spec: tcpSpec('IPv4', 40001, 7001), client: [], server: [] };
  const b: Expected = { spec: tcpSpec('IPv6', 40002, 7002), client: [], server: [] };
  const c: Expected = { spec: { transport: 'tcp', family: 'IPv4', client: { address: '10.1.2.3', port: 50000 }, server: { address: '192.168.7.8', port: 443 } }, client: [], server: [] };
  const wa = new TcpFlowWriter(a.spec, { comment: 'flow a' });
  const wb = new TcpFlowWriter(b.spec);
  // Sequence numbers that wrap past 2^32 in the middle of the flow.
  const wc = new TcpFlowWriter(c.spec, { isn: { client: 0xffffff00, server: 0xfffffff0 } });
  let t = T0;
  const send = (w: TcpFlowWriter, e: Expected, fromClient: boolean, offset: number, bytes: Uint8Array, comment?: string) => {
    blocks.push(...w.data(fromClient, (t += 1.5), offset, bytes, comment));
    (fromClient ? e.client : e.server).push(bytes);
  };
  blocks.push(...wa.handshake((t += 1)), ...wb.handshake((t += 1)), ...wc.handshake((t += 1)));
  send(wa, a, true, 0, text('GET / HTTP/1.0\r\n\r\n'), 'the request');
  send(wb, b, true, 0, text('over IPv6'));
  const big = randomBytes(random, 200_000); // several IP packets' worth: split into segments
  send(wa, a, false, 0, big);
  send(wb, b, false, 0, text('reply 1'));
  send(wc, c, true, 0, randomBytes(random, 1000));
  send(wa, a, false, 200_000, text('tail of the response'));
  // Bytes 21..5020 of flow b's server stream were not kept: a gap, not invented bytes.
  send(wb, b, false, 7, text('before the gap'));
  b.server.push(5000);
  send(wb, b, false, 21 + 5000, text('after the gap'));
  send(wc, c, false, 0, randomBytes(random, 70_000));
  send(wc, c, true, 1000, randomBytes(random, 3000));
  blocks.push(...wa.fin(true, (t += 1)));
  send(wb, b, true, 9, text('more from the client'));
  blocks.push(...wa.fin(false, (t += 1)));
  blocks.push(...wb.reset(false, (t += 1)));
  blocks.push(...wc.fin(false, (t += 1)), ...wc.fin(true, (t += 1)));
  return { blocks, expected: [a, b, c] };
}

function concatBytes(parts: Array<Uint8Array | number>): Buffer {
  return Buffer.concat(parts.filter((p): p is Uint8Array => typeof p !== 'number'));
}

const tsharkMissing = missingTools('tshark');

describe.skipIf(tsharkMissing !== '')(`pcapng export read by tshark${skipNote(tsharkMissing)}`, () => {
  it('Follow TCP Stream shows exactly the written bytes of each flow, both directions, gaps as gaps', () => {
    const dir = tempDir();
    const { blocks, expected } = severalFlows();
    const file = writeFile(dir, 'flows.pcapng', blocks);
    expected.forEach((e, stream) => {
      const f = parseFollow(tshark(file, '-qz', `follow,tcp,raw,${stream}`));
      const show = (ep: { address: string; port: number }) => (ep.address.includes(':') ? `[${ep.address}]:${ep.port}` : `${ep.address}:${ep.port}`);
      expect(f.nodes).toEqual([show(e.spec.client), show(e.spec.server)]);
      const client = followedSide(f, true);
      const server = followedSide(f, false);
      expect(client.bytes.equals(concatBytes(e.client)), `stream ${stream} client bytes`).toBe(true);
      expect(server.bytes.equals(concatBytes(e.server)), `stream ${stream} server bytes`).toBe(true);
      // tshark names a gap ("[n bytes missing in capture file]") of exactly the bytes not kept.
      expect(client.missing).toEqual(e.client.filter((p) => typeof p === 'number'));
      expect(server.missing).toEqual(e.server.filter((p) => typeof p === 'number'));
    });
    // Three flows, no more.
    expect(tshark(file, '-qz', 'follow,tcp,raw,3')).toMatch(/Node 0: :0\n/);
  });

  it('every packet has good IPv4, TCP and UDP checksums, fits one IP packet, and carries the right flags', () => {
    const dir = tempDir();
    const { blocks } = severalFlows();
    const udp = [
      ...udpPacket('IPv4', { address: '127.0.0.1', port: 41000 }, { address: '127.0.0.1', port: 41001 }, T0, randomBytes(seeded(5), 65_507)),
      ...udpPacket('IPv6', { address: '::1', port: 41000 }, { address: '::1', port: 41001 }, T0, randomBytes(seeded(6), 999)),
    ];
    const file = writeFile(dir, 'checks.pcapng', [...blocks, ...udp]);
    const lines = tshark(file, '-T', 'fields', '-E', 'separator=/t', '-e', 'ip.len', '-e', 'ipv6.plen', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'udp.checksum.status', '-e', 'tcp.flags.str', '-e', '_ws.malformed')
      .split('\n')
      .slice(0, -1)
      .map((l) => l.split('\t'));
    expect(lines.length).toBeGreaterThan(20);
    for (const [ipLen, ipv6Len, ipStatus, tcpStatus, udpStatus, , malformed] of lines) {
      if (ipLen) {
        expect(Number(ipLen)).toBeLessThanOrEqual(65535);
        expect(ipStatus).toBe('1'); // 1: good
      } else {
        expect(Number(ipv6Len)).toBeLessThanOrEqual(65535);
      }
      expect(tcpStatus || udpStatus).toBe('1');
      expect(malformed).toBe('');
    }
    const flags = lines.map((l) => l[5]);
    expect(flags.slice(0, 3)).toEqual(['··········S·', '·······A··S·', '·······A····']);
    expect(flags.filter((f) => f === '·······A···F')).toHaveLength(4);
    expect(flags.filter((f) => f === '·······A·R··')).toHaveLength(1);
  });

  it('times, comments and the section header come through', () => {
    const dir = tempDir();
    const w = new TcpFlowWriter(tcpSpec('IPv4', 40010, 7010), { comment: 'opened from a file' });
    const blocks = [...w.handshake(T0 + 0.25), ...w.data(true, T0 + 1.123, 0, text('hi'), 'first chunk'), ...w.data(false, T0 + 2, 0, text('ho'))];
    const file = writeFile(dir, 'comments.pcapng', blocks);
    const rows = tshark(file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.comment').split('\n').slice(0, -1);
    expect(rows.map((r) => r.split('\t')[0])).toEqual(['1700000000.000250000', '1700000000.000250000', '1700000000.000250000', '1700000000.001123000', '1700000000.002000000']);
    expect(rows.map((r) => r.split('\t')[1])).toEqual(['opened from a file', '', '', 'first chunk', '']);
    const info = run('capinfos', [file]);
    expect(info).toMatch(/Capture application: +Socket Inspector test/);
    expect(info).toMatch(/Capture comment: +exported flows/);
    expect(info).toMatch(/Encapsulation = Raw IP/);
  });

  it('a UDP export: tshark reads one datagram per packet, payloads one for one', () => {
    const dir = tempDir();
    const random = seeded(9);
    const v4a = { address: '127.0.0.1', port: 45000 };
    const v4b = { address: '127.0.0.1', port: 45001 };
    const v6a = { address: '::1', port: 45002 };
    const v6b = { address: 'fe80::1', port: 45003 };
    const sent: Array<[Uint8Array, Uint8Array[]]> = [];
    const add = (bytes: Uint8Array, blocks: Uint8Array[]) => sent.push([bytes, blocks]);
    for (let i = 0; i < 20; i++) {
      const bytes = randomBytes(random, i === 3 ? 0 : i === 7 ? 65_507 : (random() * 1500) | 0);
      add(bytes, i % 2 ? udpPacket('IPv4', v4b, v4a, T0 + i, bytes) : udpPacket('IPv4', v4a, v4b, T0 + i, bytes, `datagram ${i}`));
    }
    const v6bytes = randomBytes(random, 65_527);
    add(v6bytes, udpPacket('IPv6', v6a, v6b, T0 + 30, v6bytes));
    const file = writeFile(dir, 'udp.pcapng', sent.flatMap(([, b]) => b));
    const rows = tshark(file, '-T', 'fields', '-e', 'udp.payload', '-e', 'udp.checksum.status', '-e', 'frame.comment').split('\n').slice(0, -1);
    expect(rows).toHaveLength(sent.length);
    rows.forEach((row, i) => {
      const [payload, status, comment] = row.split('\t');
      expect(payload, `datagram ${i}`).toBe(Buffer.from(sent[i]![0]).toString('hex'));
      expect(status).toBe('1');
      if (i < 20) expect(comment).toBe(i % 2 ? '' : `datagram ${i}`);
    });
  });
});

describe('writer input checks', () => {
  it('throws a clear Error for an address that is not IP, a family mismatch, a bad port, or a datagram too large', () => {
    const unix: FlowSpec = { transport: 'tcp', family: 'IPv4', client: { address: '/run/app.sock', port: 0 }, server: { address: '127.0.0.1', port: 80 } };
    expect(() => new TcpFlowWriter(unix)).toThrow(/"\/run\/app.sock" is not an IP address/);
    expect(() => new TcpFlowWriter({ ...tcpSpec('IPv6', 1, 2), server: { address: '127.0.0.1', port: 2 } })).toThrow(/IPv4 address but the flow is IPv6/);
    expect(() => new TcpFlowWriter({ ...tcpSpec('IPv4', 1, 2), transport: 'udp' })).toThrow(/TCP flows, not udp/);
    expect(() => new TcpFlowWriter(tcpSpec('IPv4', 70000, 2))).toThrow(/client port 70000 is not a port number/);
    expect(() => udpPacket('IPv4', { address: '127.0.0.1', port: 1 }, { address: '127.0.0.1', port: 2 }, T0, new Uint8Array(65_508))).toThrow(/65508 bytes does not fit one IPv4 packet/);
    expect(() => udpPacket('IPv6', { address: 'nowhere', port: 1 }, { address: '::1', port: 2 }, T0, new Uint8Array(1))).toThrow(/"nowhere" is not an IP address/);
  });

  it('returns a large payload by reference, and the pieces of one packet add up to its block length', () => {
    const w = new TcpFlowWriter(tcpSpec('IPv4', 1000, 2000));
    const payload = new Uint8Array(10_000).fill(7);
    const pieces = w.data(true, T0, 0, payload);
    expect(pieces).toHaveLength(3);
    expect(pieces[1]!.buffer).toBe(payload.buffer); // a view of the caller's bytes, not a copy
    const total = pieces.reduce((n, p) => n + p.length, 0);
    const v = new DataView(pieces[0]!.buffer, pieces[0]!.byteOffset);
    expect(v.getUint32(4, true)).toBe(total);
    expect(total % 4).toBe(0);
  });
});
