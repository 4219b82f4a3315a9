import { describe, expect, it } from 'vitest';
import type { DecodedPacket } from './packets';
import { Reassembler, type StreamEvent } from './reassembly';

const FIN = 1;
const SYN = 2;
const RST = 4;
const PSH = 8;
const ACK = 16;

const CLIENT = { address: '10.0.0.1', port: 40000 };
const SERVER = { address: '10.0.0.2', port: 80 };
const encoder = new TextEncoder();

/** A decoded TCP packet between CLIENT and SERVER (or other endpoints). */
function tcp(fromClient: boolean, seq: number, ack: number, flags: number, data: string | Uint8Array = '', o: { missing?: number; client?: typeof CLIENT; server?: typeof SERVER } = {}): DecodedPacket {
  const c = o.client ?? CLIENT;
  const s = o.server ?? SERVER;
  const [src, dst] = fromClient ? [c, s] : [s, c];
  return {
    family: 'IPv4',
    src: src.address,
    dst: dst.address,
    transport: 'tcp',
    srcPort: src.port,
    dstPort: dst.port,
    payload: typeof data === 'string' ? encoder.encode(data) : data,
    missing: o.missing ?? 0,
    tcp: { seq: seq >>> 0, ack: ack >>> 0, flags, window: 65535 },
  };
}

function udp(src: typeof CLIENT, dst: typeof CLIENT, data: string, missing = 0): DecodedPacket {
  return { family: 'IPv6', src: src.address, dst: dst.address, transport: 'udp', srcPort: src.port, dstPort: dst.port, payload: encoder.encode(data), missing };
}

/** Feeds packets (time = index) and finishes; returns every event. */
function run(packets: DecodedPacket[], options?: ConstructorParameters<typeof Reassembler>[0], finish = true): StreamEvent[] {
  const r = new Reassembler(options);
  const events = packets.flatMap((p, i) => r.push(p, i));
  return finish ? [...events, ...r.finish()] : events;
}

/**
 * Each stream as text: its direction strings ("[5 missing]" where bytes never came) and its ends,
 * in event order.
 */
function streams(events: StreamEvent[]): Array<{ client: string; server: string; ends: string[]; handshakeSeen: boolean; clientPort: number }> {
  const out: Array<{ client: string; server: string; ends: string[]; handshakeSeen: boolean; clientPort: number }> = [];
  const decoder = new TextDecoder();
  for (const e of events) {
    if (e.kind === 'open') {
      expect(e.stream).toBe(out.length);
      out.push({ client: '', server: '', ends: [], handshakeSeen: e.handshakeSeen, clientPort: e.client.port });
      continue;
    }
    const s = out[e.stream]!;
    if (e.kind === 'data') {
      const text = (e.missingBefore ? `[${e.missingBefore} missing]` : '') + decoder.decode(e.bytes);
      if (e.fromClient) s.client += text;
      else s.server += text;
    } else {
      s.ends.push(`${e.how} from ${e.fromClient ? 'client' : 'server'}`);
    }
  }
  return out;
}

const ISN_C = 1000;
const ISN_S = 5000;
/** SYN, SYN-ACK, ACK. */
const handshake = (isnC = ISN_C, isnS = ISN_S) => [tcp(true, isnC, 0, SYN), tcp(false, isnS, isnC + 1, SYN | ACK), tcp(true, isnC + 1, isnS + 1, ACK)];
/** Client data at stream offset off (ack: the server's first byte, i.e. nothing acknowledged). */
const c = (off: number, data: string, isn = ISN_C) => tcp(true, isn + 1 + off, ISN_S + 1, PSH | ACK, data);
const s = (off: number, data: string, isn = ISN_S) => tcp(false, isn + 1 + off, ISN_C + 1, PSH | ACK, data);

describe('Reassembler: TCP', () => {
  it('a whole connection: open, data both ways, FIN both ways; the stream then leaves the table', () => {
    const events = run([...handshake(), c(0, 'hello '), s(0, 'hi'), c(6, 'world'), tcp(true, ISN_C + 12, ISN_S + 3, FIN | ACK), tcp(false, ISN_S + 3, ISN_C + 13, FIN | ACK), tcp(true, ISN_C + 13, ISN_S + 4, ACK)], undefined, false);
    expect(events[0]).toEqual({ kind: 'open', stream: 0, transport: 'tcp', family: 'IPv4', client: CLIENT, server: SERVER, time: 0, handshakeSeen: true });
    expect(events.slice(1).map((e) => (e.kind === 'data' ? [e.kind, e.fromClient, e.time, new TextDecoder().decode(e.bytes), e.missingBefore] : [e.kind, e.time]))).toEqual([
      ['data', true, 3, 'hello ', 0],
      ['data', false, 4, 'hi', 0],
      ['data', true, 5, 'world', 0],
      ['end', 6],
      ['end', 7],
    ]);
    expect(streams(events)).toEqual([{ client: 'hello world', server: 'hi', ends: ['fin from client', 'fin from server'], handshakeSeen: true, clientPort: 40000 }]);
  });

  it('out-of-order segments are held and delivered in order, each with its own time', () => {
    const events = run([...handshake(), c(10, 'KLMNO'), c(5, 'FGHIJ'), c(0, 'ABCDE'), c(15, 'PQ')]);
    const data = events.filter((e) => e.kind === 'data');
    expect(data.map((e) => [new TextDecoder().decode(e.bytes), e.time])).toEqual([
      ['ABCDE', 5],
      ['FGHIJ', 4],
      ['KLMNO', 3],
      ['PQ', 6],
    ]);
  });

  it('duplicates and overlaps deliver each byte once, in order and in place', () => {
    const events = run([
      ...handshake(),
      c(0, 'ABCDE'),
      c(0, 'ABCDE'), // retransmission
      c(3, 'DEFGH'), // overlaps the end of what was delivered
      c(12, 'MNOP'), // out of order...
      c(12, 'MNOP'), // ...and retransmitted while held
      c(10, 'KLMN'), // overlaps the held segment's start
      c(8, 'IJ'),
      c(1, 'BCDEFGHIJKLMNOPQR'), // covers everything and more
    ]);
    expect(streams(events)[0]!.client).toBe('ABCDEFGHIJKLMNOPQR');
  });

  it('sequence numbers that wrap at 2^32, out of order across the wrap', () => {
    const isn = 0xfffffff8; // offset 0 is 0xfffffff9; offset 7 is 0
    const events = run([...handshake(isn), c(10, 'KLMNO', isn), c(0, 'ABCDE', isn), c(5, 'FGHIJ', isn), tcp(true, (isn + 16) >>> 0, ISN_S + 1, FIN | ACK)]);
    expect(streams(events)[0]).toMatchObject({ client: 'ABCDEFGHIJKLMNO', ends: ['fin from client'] });
  });

  it('a stream past 4 GiB keeps counting offsets (an out-of-order pair beyond 2^32 included)', () => {
    const r = new Reassembler();
    const chunk = new Uint8Array(65_536);
    r.push(handshake()[0]!, 0);
    let delivered = 0;
    const count = (events: StreamEvent[]) => {
      for (const e of events) if (e.kind === 'data') delivered += e.bytes.length + e.missingBefore;
    };
    const segments = 65_540; // a little over 4 GiB
    for (let i = 0; i < segments - 2; i++) count(r.push(tcp(true, ISN_C + 1 + i * 65_536, 0, ACK, chunk), i));
    count(r.push(tcp(true, ISN_C + 1 + (segments - 1) * 65_536, 0, ACK, encoder.encode('last')), segments));
    count(r.push(tcp(true, ISN_C + 1 + (segments - 2) * 65_536, 0, ACK, chunk), segments + 1));
    expect(delivered).toBe((segments - 1) * 65_536 + 4);
  });

  it('a hole never filled: the bytes after it come at the end, with how many are missing', () => {
    const events = run([...handshake(), c(0, 'ABC'), c(13, 'NOP'), s(0, 'reply')]);
    expect(streams(events)[0]!.client).toBe('ABC[10 missing]NOP');
    expect(events.at(-1)).toMatchObject({ kind: 'data', fromClient: true, missingBefore: 10, time: 4 });
  });

  it('a hole the other side acknowledged is skipped at once: those bytes went by uncaptured', () => {
    const events = run([...handshake(), c(0, 'ABC'), c(13, 'NOP'), tcp(false, ISN_S + 1, ISN_C + 1 + 16, ACK), s(0, 'after')], undefined, false);
    expect(streams(events)[0]!.client).toBe('ABC[10 missing]NOP');
    const nop = events.findIndex((e) => e.kind === 'data' && e.missingBefore === 10);
    const after = events.findIndex((e) => e.kind === 'data' && !e.fromClient);
    expect(nop).toBeLessThan(after);
  });

  it('more out-of-order bytes than the bound: the hole is skipped and said so', () => {
    const big = 'x'.repeat(60);
    const events = run([...handshake(), c(0, 'AB'), c(10, big), c(70, big), c(2, 'late')], { maxBufferedBytes: 100 }, false);
    // 120 bytes held is over 100: bytes 2..9 are given up and "late" comes too late to be delivered.
    expect(streams(events)[0]!.client).toBe(`AB[8 missing]${big}${big}`);
  });

  it('the bound over all streams: the direction holding most gives up its hole', () => {
    const other = { client: { address: '10.0.0.3', port: 40001 }, server: SERVER };
    const events = run(
      [
        ...handshake(),
        c(5, 'a'.repeat(40)),
        tcp(true, ISN_C, 0, SYN, '', other),
        tcp(true, ISN_C + 1 + 5, 0, ACK, 'b'.repeat(30), other),
        tcp(true, ISN_C + 1 + 50, 0, ACK, 'c'.repeat(40), other), // 110 held in all: over 100
      ],
      { maxBufferedTotal: 100 },
      false,
    );
    // The second stream holds 70 of the 110: it gives up both its holes; the first keeps waiting.
    const [first, second] = streams(events);
    expect(first!.client).toBe('');
    expect(second!.client).toBe(`[5 missing]${'b'.repeat(30)}[15 missing]${'c'.repeat(40)}`);
  });

  it('a payload cut by the snap length: its missing bytes are counted, never invented', () => {
    const events = run([...handshake(), tcp(true, ISN_C + 1, ISN_S + 1, ACK, 'ABC', { missing: 7 }), c(10, 'KL'), tcp(true, ISN_C + 13, ISN_S + 1, ACK, 'MN', { missing: 4 })]);
    expect(streams(events)[0]!.client).toBe('ABC[7 missing]KLMN[4 missing]');
    // The last 4 are reported on a data event of no bytes when the file ends.
    expect(events.at(-1)).toMatchObject({ kind: 'data', bytes: new Uint8Array(0), missingBefore: 4 });
  });

  it('RST mid-stream: held bytes are flushed, the stream ends, later packets are ignored', () => {
    const events = run([...handshake(), c(0, 'AB'), c(5, 'FG'), tcp(false, ISN_S + 1, ISN_C + 3, RST | ACK), c(2, 'CDE'), tcp(true, ISN_C + 8, ISN_S + 1, FIN | ACK)]);
    expect(streams(events)).toEqual([{ client: 'AB[3 missing]FG', server: '', ends: ['reset from server'], handshakeSeen: true, clientPort: 40000 }]);
  });

  it('two streams on the same 4-tuple in sequence, and a new SYN after a reset', () => {
    const close = (isnC: number, isnS: number, n: number, m: number) => [tcp(true, isnC + 1 + n, isnS + 1 + m, FIN | ACK), tcp(false, isnS + 1 + m, isnC + 2 + n, FIN | ACK), tcp(true, isnC + 2 + n, isnS + 2 + m, ACK)];
    const events = run([
      ...handshake(),
      c(0, 'first'),
      s(0, 'one'),
      ...close(ISN_C, ISN_S, 5, 3),
      tcp(false, ISN_S + 4, ISN_C + 7, ACK), // a late duplicate ACK: no new stream
      ...handshake(90_000, 70_000),
      c(0, 'second', 90_000),
      tcp(true, 90_000 + 7, 0, RST),
      tcp(true, 300, 0, SYN),
      tcp(true, 301, 0, ACK, 'third'),
    ]);
    expect(streams(events)).toEqual([
      { client: 'first', server: 'one', ends: ['fin from client', 'fin from server'], handshakeSeen: true, clientPort: 40000 },
      { client: 'second', server: '', ends: ['reset from client'], handshakeSeen: true, clientPort: 40000 },
      { client: 'third', server: '', ends: [], handshakeSeen: true, clientPort: 40000 },
    ]);
  });

  it('a SYN with a new sequence number on a stream never seen to end starts a new stream; a retransmitted SYN does not', () => {
    const events = run([tcp(true, ISN_C, 0, SYN), tcp(true, ISN_C, 0, SYN), c(0, 'one'), tcp(true, 77_000, 0, SYN), c(0, 'two', 77_000)]);
    expect(streams(events).map((x) => x.client)).toEqual(['one', 'two']);
  });

  it('no handshake seen: data starts at the first sequence number; the client is the first sender, or the SYN-ACK receiver', () => {
    const events = run([s(100, 'server speaks first'), c(40, 'then the client')]);
    expect(streams(events)).toEqual([{ client: 'server speaks first', server: 'then the client', ends: [], handshakeSeen: false, clientPort: 80 }]);
    const synAck = run([tcp(false, ISN_S, ISN_C + 1, SYN | ACK), c(0, 'req'), s(0, 'resp')]);
    expect(streams(synAck)).toEqual([{ client: 'req', server: 'resp', ends: [], handshakeSeen: false, clientPort: 40000 }]);
    // A retransmission of bytes from before the first one seen is not invented into the stream.
    expect(streams(run([c(10, 'KLM'), c(5, 'FGHIJKLMN')]))[0]!.client).toBe('KLMN');
  });

  it('a FIN behind a hole ends its direction at the end, after saying what is missing', () => {
    const events = run([...handshake(), c(0, 'AB'), tcp(true, ISN_C + 1 + 9, ISN_S + 1, FIN | ACK)]);
    expect(events.slice(-2)).toMatchObject([
      { kind: 'data', fromClient: true, missingBefore: 7, bytes: new Uint8Array(0) },
      { kind: 'end', how: 'fin', fromClient: true },
    ]);
  });

  it('a lone reset opens nothing', () => {
    expect(run([tcp(true, 1, 2, RST | ACK)])).toEqual([]);
  });
});

describe('Reassembler: UDP', () => {
  it('one data event per datagram; a flow is the endpoint pair either way; the client is the first sender', () => {
    const a = { address: '::1', port: 5000 };
    const b = { address: 'fe80::2', port: 53 };
    const d = { address: '::1', port: 5001 };
    const events = run([udp(b, a, 'first from b'), udp(a, b, 'reply'), udp(d, b, 'another flow'), udp(b, a, 'cut', 10), udp(a, b, '')]);
    expect(events.filter((e) => e.kind === 'open')).toEqual([
      { kind: 'open', stream: 0, transport: 'udp', family: 'IPv6', client: b, server: a, time: 0, handshakeSeen: false },
      { kind: 'open', stream: 1, transport: 'udp', family: 'IPv6', client: d, server: b, time: 2, handshakeSeen: false },
    ]);
    expect(events.filter((e) => e.kind === 'data').map((e) => [e.stream, e.fromClient, new TextDecoder().decode(e.bytes), e.missingAfter])).toEqual([
      [0, true, 'first from b', undefined],
      [0, false, 'reply', undefined],
      [1, true, 'another flow', undefined],
      [0, true, 'cut', 10],
      [0, false, '', undefined],
    ]);
  });

  it('beyond maxFlows the flow idle longest is let go, and comes back as a new stream', () => {
    const peer = { address: '::1', port: 9 };
    const from = (port: number) => udp({ address: '::1', port }, peer, `from ${port}`);
    const events = run([from(1), from(2), from(1), from(3), from(1), from(2)], { maxFlows: 2 });
    expect(events.filter((e) => e.kind === 'open').map((e) => (e.kind === 'open' ? e.client.port : 0))).toEqual([1, 2, 3, 2]);
  });
});
