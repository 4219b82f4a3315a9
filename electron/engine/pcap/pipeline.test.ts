/**
 * Capture files end to end: reader, decoder and reassembler together, against files made by
 * text2pcap from packets built byte by byte, and against the pcapng writer's exports.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pcapngHeader, TcpFlowWriter, udpPacket, type FlowSpec } from './pcapng-writer';
import { followedSide, hexDump, ipv4Packet, ipv6Packet, missingTools, parseFollow, randomBytes, run, seeded, skipNote, streamsOf, tcpSegment, tempDir, tshark } from './testing';

const FIN = 1;
const SYN = 2;
const PSH = 8;
const ACK = 16;

/**
 * A connection as its packets would be captured with reordering and retransmissions: each side's
 * true stream, and the packets in capture order.
 */
function messyConnection(family: 'IPv4' | 'IPv6', isnClient: number, isnServer: number, seed: number) {
  const random = seeded(seed);
  const [a, b] = family === 'IPv4' ? ['10.0.0.1', '10.0.0.2'] : ['2001:db8::1', '2001:db8::2'];
  const [pa, pb] = [40000 + seed, 7000 + seed];
  const request = randomBytes(random, 700);
  const response = randomBytes(random, 2500);
  const packet = (fromClient: boolean, seq: number, ack: number, flags: number, data: Uint8Array = new Uint8Array(0)) => {
    const [src, dst, sp, dp] = fromClient ? [a, b, pa, pb] : [b, a, pb, pa];
    const segment = tcpSegment(src, dst, sp, dp, { seq: seq >>> 0, ack: ack >>> 0, flags }, data);
    return family === 'IPv4' ? ipv4Packet(src, dst, 6, segment) : ipv6Packet(src, dst, 6, segment);
  };
  const c = (from: number, to: number, ack = isnServer + 1) => packet(true, isnClient + 1 + from, ack, PSH | ACK, request.subarray(from, to));
  const s = (from: number, to: number) => packet(false, isnServer + 1 + from, isnClient + 1 + request.length, PSH | ACK, response.subarray(from, to));
  const packets = [
    packet(true, isnClient, 0, SYN),
    packet(false, isnServer, isnClient + 1, SYN | ACK),
    packet(true, isnClient + 1, isnServer + 1, ACK),
    c(0, 100),
    c(200, 300), // before the segment it follows
    c(100, 200),
    c(0, 100), // retransmitted
    c(150, 450), // overlaps delivered bytes and new ones
    c(600, 700),
    c(450, 600),
    s(1000, 2500), // the second half of the response first
    s(0, 1000),
    s(500, 1500), // overlapping retransmission
    packet(true, isnClient + 1 + 700, isnServer + 1 + 2500, FIN | ACK),
    packet(false, isnServer + 1 + 2500, isnClient + 2 + 700, FIN | ACK),
    packet(true, isnClient + 2 + 700, isnServer + 2 + 2500, ACK),
  ];
  return { request, response, packets };
}

const textTools = missingTools('tshark', 'text2pcap');

describe.skipIf(textTools !== '')(`out-of-order and retransmitted segments in a text2pcap file${skipNote(textTools)}`, () => {
  it('the reassembled streams are the bytes sent, as tshark follows them too', async () => {
    const dir = tempDir();
    const v4 = messyConnection('IPv4', 0x12345678, 0x9abcdef0, 1);
    // Sequence numbers that wrap at 2^32 in the middle of both directions.
    const v6 = messyConnection('IPv6', 0xffffff00, 0xfffffc00, 2);
    // Interleaved: both connections at once.
    const packets = v4.packets.flatMap((p, i) => [p, v6.packets[i]!]);
    const dump = join(dir, 'messy.txt');
    writeFileSync(dump, hexDump(packets.map((bytes, i) => ({ time: `10:00:00.${String(i * 1000).padStart(6, '0')}`, bytes }))));
    const file = join(dir, 'messy.pcapng');
    run('text2pcap', ['-q', '-l', '101', '-t', '%H:%M:%S.%f', dump, file]);

    const { streams, skipped, problem } = await streamsOf(new Uint8Array(readFileSync(file)));
    expect(problem).toBeUndefined();
    expect(skipped).toEqual({});
    expect(streams).toHaveLength(2);
    for (const [i, truth] of [v4, v6].entries()) {
      const s = streams[i]!;
      expect(s.handshakeSeen).toBe(true);
      expect(s.fromClient.bytes.equals(truth.request), `stream ${i} request`).toBe(true);
      expect(s.fromServer.bytes.equals(truth.response), `stream ${i} response`).toBe(true);
      expect(s.fromClient.missing).toEqual([]);
      expect(s.fromServer.missing).toEqual([]);
      expect(s.ends).toEqual(['fin from client', 'fin from server']);
      const f = parseFollow(tshark(file, '-qz', `follow,tcp,raw,${i}`));
      expect(followedSide(f, true).bytes.equals(truth.request), `tshark's stream ${i} request`).toBe(true);
      expect(followedSide(f, false).bytes.equals(truth.response), `tshark's stream ${i} response`).toBe(true);
    }
  });
});

describe('the writer read back', () => {
  it('gives the streams written: bytes, gaps where bytes were not kept, times, ends, datagrams', async () => {
    const random = seeded(77);
    const T0 = 1_700_000_000_000;
    let t = T0;
    const families: Array<'IPv4' | 'IPv6'> = ['IPv4', 'IPv6', 'IPv4', 'IPv6', 'IPv4'];
    const flows = families.map((family, i) => {
      const address = family === 'IPv4' ? `127.0.0.${i + 1}` : `::${i + 1}`;
      const spec: FlowSpec = { transport: 'tcp', family, client: { address, port: 50000 + i }, server: { address, port: 8000 } };
      return { spec, writer: new TcpFlowWriter(spec, { isn: { client: (random() * 2 ** 32) >>> 0, server: 0xfffff000 } }), sent: [[], []] as [Uint8Array[], Uint8Array[]], offset: [0, 0], gaps: [[], []] as [Array<[number, number]>, Array<[number, number]>], times: [[], []] as [number[], number[]] };
    });
    const blocks: Uint8Array[] = [pcapngHeader({ application: 'test' })];
    for (const f of flows) blocks.push(...f.writer.handshake((t += 0.001)));
    const datagrams: Array<[boolean, Uint8Array]> = [];
    const udpA = { address: '::1', port: 6000 };
    const udpB = { address: '::1', port: 6001 };
    for (let n = 0; n < 300; n++) {
      if (n % 10 === 0) {
        const bytes = randomBytes(random, (random() * 2000) | 0);
        const fromA = random() < 0.5;
        blocks.push(...udpPacket('IPv6', fromA ? udpA : udpB, fromA ? udpB : udpA, (t += 0.001), bytes));
        datagrams.push([fromA, bytes]);
        continue;
      }
      const f = flows[(random() * flows.length) | 0]!;
      const side = random() < 0.5 ? 0 : 1;
      if (random() < 0.05) {
        // Bytes not kept: a gap in the stream.
        const gap = 1 + ((random() * 100_000) | 0);
        f.gaps[side].push([f.sent[side].reduce((a, b) => a + b.length, 0), gap]);
        f.offset[side]! += gap;
      }
      const size = random() < 0.1 ? 65_496 + ((random() * 200_000) | 0) : 1 + ((random() * 3000) | 0);
      const bytes = randomBytes(random, size);
      t += 0.001;
      blocks.push(...f.writer.data(side === 0, t, f.offset[side]!, bytes));
      f.sent[side].push(bytes);
      f.offset[side]! += size;
      // A chunk larger than one packet comes back as several segments with its time.
      for (let at = 0; at < size; at += f.spec.family === 'IPv4' ? 65_495 : 65_515) f.times[side].push(t);
    }
    flows.forEach((f, i) => {
      if (i === 4) blocks.push(...f.writer.reset(false, (t += 0.001)));
      else blocks.push(...f.writer.fin(true, (t += 0.001)), ...f.writer.fin(false, (t += 0.001)));
    });

    const { streams, skipped, problem } = await streamsOf(Buffer.concat(blocks));
    expect(problem).toBeUndefined();
    expect(skipped).toEqual({});
    expect(streams).toHaveLength(6);
    flows.forEach((f, i) => {
      const s = streams[i]!;
      const show = (e: { address: string; port: number }) => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);
      expect([s.transport, s.family, s.client, s.server, s.handshakeSeen]).toEqual(['tcp', f.spec.family, show(f.spec.client), show(f.spec.server), true]);
      expect(s.fromClient.bytes.equals(Buffer.concat(f.sent[0])), `flow ${i} client bytes`).toBe(true);
      expect(s.fromServer.bytes.equals(Buffer.concat(f.sent[1])), `flow ${i} server bytes`).toBe(true);
      expect(s.fromClient.missing).toEqual(f.gaps[0]);
      expect(s.fromServer.missing).toEqual(f.gaps[1]);
      // Times to the microsecond, as the file keeps them.
      expect(s.fromClient.times.map((x) => Math.round(x * 1000))).toEqual(f.times[0].map((x) => Math.round(x * 1000)));
      expect(s.fromServer.times.map((x) => Math.round(x * 1000))).toEqual(f.times[1].map((x) => Math.round(x * 1000)));
      expect(s.ends).toEqual(i === 4 ? ['reset from server'] : ['fin from client', 'fin from server']);
    });
    const udp = streams.find((s) => s.transport === 'udp')!;
    expect(udp.client).toBe(datagrams[0]![0] ? '[::1]:6000' : '[::1]:6001');
    expect(udp.datagrams.map(([fromClient, b]) => [fromClient === (udp.client === '[::1]:6000'), b.toString('hex')])).toEqual(datagrams.map(([fromA, b]) => [fromA, Buffer.from(b).toString('hex')]));
  });
});
