/**
 * Real captures: tcpdump records loopback traffic between a Python client and server, and the
 * reader, decoder and reassembler must give back exactly what the peers sent. Three captures of
 * the same traffic at once: on lo (Ethernet framing, pcap), on "any" (Linux cooked framing), and
 * on lo cut to 200 bytes a packet (the bytes past the cut are missing, never invented).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureFileParser, readCaptureFile } from './reader';
import { findTool, missingTools, onCleanup, run, skipNote, streamsOf, tempDir, type StreamSummary } from './testing';

const PEERS = String.raw`
import base64, json, socket, sys, threading, time

def pattern(n, k):
    return bytes((i * 31 + k) % 251 for i in range(n))

listeners = []
for family, host in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.bind((host, 0))
        s.listen(1)
        listeners.append((s, host))
    except OSError:
        pass  # no IPv6 loopback here
print(json.dumps([s.getsockname()[1] for s, _ in listeners]), flush=True)
sys.stdin.readline()  # the capture is running

results = []
for i, (server, host) in enumerate(listeners):
    greeting = b'welcome %d\n' % i
    request = [b'hello\n', pattern(200000, i), b'bye']
    reply = pattern(100000, i + 7)
    received = {}

    def serve():
        conn, _ = server.accept()
        conn.sendall(greeting)
        data = b''
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        received['server'] = data
        conn.sendall(reply)
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    client = socket.create_connection((host, server.getsockname()[1]))
    got = b''
    while len(got) < len(greeting):
        got += client.recv(100)
    for piece in request:
        client.sendall(piece)
        time.sleep(0.02)
    client.shutdown(socket.SHUT_WR)
    while True:
        chunk = client.recv(65536)
        if not chunk:
            break
        got += chunk
    port = client.getsockname()[1]
    client.close()
    thread.join()
    server_port = server.getsockname()[1]
    server.close()
    sent_request = b''.join(request)
    results.append({
        'clientPort': port,
        'serverPort': server_port,
        'toServer': base64.b64encode(sent_request).decode(),
        'toClient': base64.b64encode(greeting + reply).decode(),
        'delivered': received['server'] == sent_request and got == greeting + reply,
    })
print(json.dumps(results), flush=True)
`;

/** A child process stopped (SIGKILL) after the test if it is still running. */
function track(child: ChildProcess): ChildProcess {
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** Lines a child writes to a stream, as they come. */
function lines(stream: NodeJS.ReadableStream): { next: (timeoutMs: number, what: string) => Promise<string>; all: () => string } {
  let text = '';
  let ended = false;
  const waiting: Array<() => void> = [];
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    text += d;
    waiting.splice(0).forEach((w) => w());
  });
  stream.on('end', () => {
    ended = true;
    waiting.splice(0).forEach((w) => w());
  });
  let taken = 0;
  return {
    all: () => text,
    next: (timeoutMs, what) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; output so far: ${text}`)), timeoutMs);
        const check = () => {
          const end = text.indexOf('\n', taken);
          if (end < 0 && ended) {
            clearTimeout(timer);
            return reject(new Error(`the output ended while waiting for ${what}; output: ${text}`));
          }
          if (end < 0) return waiting.push(check);
          const line = text.slice(taken, end);
          taken = end + 1;
          clearTimeout(timer);
          resolve(line);
        };
        check();
      }),
  };
}

/**
 * Starts tcpdump writing to file and resolves once it says it is listening; resolves with the
 * reason instead if it cannot capture here (no permission, no such interface).
 */
async function startTcpdump(args: string[], file: string): Promise<{ child: ChildProcess; stderr: () => string } | { cannot: string }> {
  // -Z root: as root, tcpdump would otherwise switch to its own user, who cannot write our private folder.
  // --immediate-mode: each packet is handed over as it comes, not when libpcap's ring buffer block
  // fills or times out, so none is left behind when tcpdump stops.
  // -B: a 32 MiB ring buffer (the default 2 MiB holds only a few dozen 64 KiB loopback packets).
  const child = track(spawn('tcpdump', ['-Z', 'root', '--immediate-mode', '-B', '32768', '-U', '-w', file, ...args], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ cannot: `tcpdump did not start listening within 10 s: ${stderr}` }), 10_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      stderr += d;
      if (/listening on/.test(stderr)) {
        clearTimeout(timer);
        resolve({ child, stderr: () => stderr });
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve({ cannot: `tcpdump cannot capture here: ${stderr.trim() || `it exited with ${child.exitCode}`}` });
    });
  });
}

async function stopTcpdump(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await Promise.race([exited, new Promise((_, reject) => setTimeout(() => reject(new Error('tcpdump did not stop on SIGINT within 5 s')), 5000))]);
}

const needed = missingTools('tcpdump', 'python3');
const hasTshark = !!findTool('tshark');

describe.skipIf(needed !== '')(`tcpdump captures of Python peers on loopback${skipNote(needed)}`, () => {
  it('every capture gives back what the peers sent; a snap-length capture counts the cut bytes as missing', { timeout: 60_000 }, async (ctx) => {
    const dir = tempDir();
    const script = join(dir, 'peers.py');
    writeFileSync(script, PEERS);
    const peers = track(spawn('python3', [script], { stdio: ['pipe', 'pipe', 'pipe'] }));
    const out = lines(peers.stdout!);
    const err = lines(peers.stderr!);
    const ports = JSON.parse(await out.next(10_000, 'the peers to listen')) as number[];
    expect(ports.length).toBeGreaterThanOrEqual(1);
    const filter = ports.map((p) => `tcp port ${p}`).join(' or ');

    const captures = [
      { name: 'lo', file: join(dir, 'lo.pcap'), args: ['-i', 'lo', filter] },
      { name: 'any', file: join(dir, 'any.pcap'), args: ['-i', 'any', filter] },
      { name: 'lo, 200 bytes a packet', file: join(dir, 'cut.pcap'), args: ['-i', 'lo', '-s', '200', filter] },
    ];
    const running: Array<{ child: ChildProcess; stderr: () => string }> = [];
    for (const c of captures) {
      const started = await startTcpdump(c.args, c.file);
      if ('cannot' in started) {
        for (const r of running) await stopTcpdump(r.child);
        peers.kill('SIGKILL');
        ctx.skip(started.cannot);
      } else {
        running.push(started);
      }
    }

    peers.stdin!.write('go\n');
    const results = JSON.parse(await out.next(30_000, 'the peers to finish').catch((e: Error) => Promise.reject(new Error(`${e.message}\nPython's stderr: ${err.all()}`)))) as Array<{ clientPort: number; serverPort: number; toServer: string; toClient: string; delivered: boolean }>;
    expect(results.every((r) => r.delivered)).toBe(true);
    const find = (streams: StreamSummary[], r: (typeof results)[number]) => streams.find((s) => s.server.endsWith(`:${r.serverPort}`) && s.client.endsWith(`:${r.clientPort}`));
    // Each capture is stopped once it holds both FINs of every connection (or after 10 s, and the
    // checks below say what is missing).
    for (const [i, c] of captures.entries()) {
      const started = Date.now();
      for (;;) {
        const { streams } = await streamsOf(new Uint8Array(readFileSync(c.file)));
        if (results.every((r) => find(streams, r)?.ends.length === 2) || Date.now() - started > 10_000) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await stopTcpdump(running[i]!.child);
    }

    for (const [i, c] of captures.entries()) {
      // tcpdump says at exit how many packets the kernel dropped: those bytes are missing, rightly.
      const stderr = running[i]!.stderr();
      const dropped = Number(/(\d+) packets? dropped by kernel/.exec(stderr)?.[1] ?? NaN);
      expect(dropped, `tcpdump's report on ${c.name}: ${stderr}`).toBeGreaterThanOrEqual(0);
      if (dropped > 0) console.warn(`tcpdump.test.ts: the kernel dropped ${dropped} packets of the capture on ${c.name}; its streams are checked for what was captured`);
      const bytes = new Uint8Array(readFileSync(c.file));
      const parser = new CaptureFileParser();
      const packets = parser.push(bytes);
      expect(parser.format, c.name).toBe('pcap'); // tcpdump -w writes pcap
      const { streams, problem } = await streamsOf(bytes);
      expect(problem, c.name).toBeUndefined();
      expect(streams, c.name).toHaveLength(results.length);
      for (const r of results) {
        const s = find(streams, r)!;
        expect(s, `${c.name}: the stream of port ${r.clientPort}`).toBeDefined();
        expect(s.handshakeSeen).toBe(true);
        if (dropped === 0) expect(s.ends, c.name).toEqual(['fin from client', 'fin from server']);
        const toServer = Buffer.from(r.toServer, 'base64');
        const toClient = Buffer.from(r.toClient, 'base64');
        for (const [side, truth, what] of [[s.fromClient, toServer, 'to the server'], [s.fromServer, toClient, 'to the client']] as const) {
          // What was captured is exactly the truth at its place; the rest is counted, not made up.
          const missing = side.missing.reduce((n, [, m]) => n + m, 0);
          expect(side.bytes.length + missing, `${c.name}: bytes ${what}`).toBe(truth.length);
          let at = 0;
          let skipped = 0;
          for (const [offset, m] of side.missing) {
            expect(side.bytes.subarray(at, offset).equals(truth.subarray(at + skipped, offset + skipped)), `${c.name}: bytes ${what} before offset ${offset}`).toBe(true);
            at = offset;
            skipped += m;
          }
          expect(side.bytes.subarray(at).equals(truth.subarray(at + skipped)), `${c.name}: bytes ${what} from offset ${at}`).toBe(true);
          if (c.name.includes('200 bytes')) expect(missing, `${c.name}: bytes ${what} past the cut`).toBeGreaterThan(0);
          else if (dropped === 0) expect(side.missing, `${c.name}: bytes ${what}`).toEqual([]);
        }
      }
      // readCaptureFile reads the same packets, in small pieces.
      let count = 0;
      const read = await readCaptureFile(c.file, (p) => void (count += p.length), { chunkSize: 4096 });
      expect(read).toEqual({ packets: packets.length, bytes: bytes.length });
      expect(count).toBe(packets.length);
    }

    // The same capture as pcapng (converted by editcap) reads the same.
    if (hasTshark) {
      const ng = join(dir, 'lo.pcapng');
      run('editcap', ['-F', 'pcapng', captures[0]!.file, ng]);
      const a = await streamsOf(new Uint8Array(readFileSync(captures[0]!.file)));
      const b = await streamsOf(new Uint8Array(readFileSync(ng)));
      expect(new CaptureFileParser().push(new Uint8Array(readFileSync(ng))).length).toBeGreaterThan(0);
      expect(b.streams.map((s) => [s.client, s.fromClient.bytes.length, s.fromServer.bytes.length])).toEqual(a.streams.map((s) => [s.client, s.fromClient.bytes.length, s.fromServer.bytes.length]));
    }
  });
});
