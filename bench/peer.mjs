// The benchmark's peers, each run as its own process so they never share an event loop with
// what they measure. One JSON object per line on stdout; the bench reads them.
//
//   node bench/peer.mjs stream  --port P --bytes N [--hold 1]
//                                                           connect, write N bytes, end; with
//                                                           --hold 1, wait for "go" on stdin
//                                                           between the connect and the first write
//   node bench/peer.mjs paced   --port P --rate R --seconds S --size B
//                                                           connect, wait for "go" on stdin, then
//                                                           one write of B bytes every 1/R s, end
//   node bench/peer.mjs many    --port P --count N --batch K
//                                                           open N connections K at a time, hold them
//   node bench/peer.mjs sink    [--port P]                  node:net server: count bytes until end
//   node bench/peer.mjs accept  --count N [--backlog B]     node:net server: accept N and hold them
//   node bench/peer.mjs pipe-relay --port P                 node:net relay to P (socket.pipe both ways)
//   node bench/peer.mjs echo-client --port P --bytes N --hold S
//                                                           connect, send N bytes in 64 KiB blocks
//                                                           without reading for S s, then read
//                                                           everything back while still sending
//   node bench/peer.mjs echo-server                         node:net echo server (socket.pipe(socket))
//
// Only loopback: every address here is 127.0.0.1.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const HOST = '127.0.0.1';
/** Wall-clock milliseconds with sub-millisecond precision, the same clock the engine stamps chunks with. */
const now = () => performance.timeOrigin + performance.now();
const say = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string' },
    bytes: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
    size: { type: 'string' },
    count: { type: 'string' },
    batch: { type: 'string' },
    hold: { type: 'string' },
    backlog: { type: 'string' },
    'time-limit': { type: 'string' },
  },
});
const num = (name, fallback) => {
  const v = values[name];
  if (v === undefined) {
    if (fallback === undefined) throw new Error(`--${name} is required`);
    return fallback;
  }
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number`);
  return n;
};

// A peer never outlives its purpose: the bench kills it, and this is the backstop.
const timeLimit = num('time-limit', 600) * 1000;
setTimeout(() => {
  say({ event: 'error', message: `time limit of ${timeLimit / 1000} s reached` });
  process.exit(3);
}, timeLimit).unref();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

/** Resident set (VmRSS) and its peak (VmHWM) in bytes, from /proc. */
function memory() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Waits for a line containing "go" on stdin. */
function waitGo() {
  return new Promise((resolve) => {
    let buffered = '';
    process.stdin.on('data', (d) => {
      buffered += d;
      if (buffered.includes('go')) {
        process.stdin.pause();
        resolve();
      }
    });
  });
}

/**
 * Stream mode: connect → write the same 64 KiB buffer until N bytes → end → 'finish'. With
 * --hold 1 it reports the connect and waits for "go" before the first write; `startedAt` is
 * then the first write (without --hold it is the connect).
 */
async function stream() {
  const total = num('bytes');
  const hold = num('hold', 0) > 0;
  const buf = Buffer.alloc(64 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789\n');
  const socket = await connect(num('port'));
  const connectedAt = now();
  if (hold) {
    socket.on('error', () => {});
    say({ event: 'connected', connectedAt });
    await waitGo();
  }
  const startedAt = hold ? now() : connectedAt;
  let written = 0;
  // How long the sender waited for the receiver: a paused reader shows as long waits for 'drain'.
  let drainWaits = 0;
  let drainMs = 0;
  let longestDrainMs = 0;
  let drainWaitsOver50ms = 0;
  while (written < total) {
    const n = Math.min(buf.length, total - written);
    const ok = socket.write(n === buf.length ? buf : buf.subarray(0, n));
    written += n;
    if (!ok) {
      const t = now();
      await new Promise((r) => socket.once('drain', r));
      const waited = now() - t;
      drainWaits += 1;
      drainMs += waited;
      if (waited > longestDrainMs) longestDrainMs = waited;
      if (waited > 50) drainWaitsOver50ms += 1;
    }
  }
  await new Promise((r) => socket.end(r));
  const finishedAt = now();
  say({ event: 'done', bytes: written, connectedAt, startedAt, finishedAt, drainWaits, drainMs, longestDrainMs, drainWaitsOver50ms });
  // Stay connected (half-closed) until the bench is done with this connection and stops us.
  socket.on('error', () => {});
  socket.resume();
}

/**
 * Paced mode: after "go" on stdin, one write of `size` bytes every 1/rate seconds for `seconds`.
 * Sub-millisecond spacing without burning a core: Atomics.wait sleeps the thread until the next
 * write is due, in slices of 20 ms between which the event loop runs (to finish queued writes).
 */
async function paced() {
  const rate = num('rate');
  const seconds = num('seconds');
  const size = Math.max(16, num('size', 32));
  const socket = await connect(num('port'));
  socket.setNoDelay(true);
  socket.on('error', () => {});
  socket.resume();
  say({ event: 'connected', connectedAt: now() });
  await waitGo();
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const interval = 1000 / rate;
  const filler = '.'.repeat(size);
  const message = (seq) => {
    const head = `m${seq} `;
    return `${head}${filler.slice(0, size - head.length - 1)}\n`;
  };
  const startedAt = now();
  const endAt = startedAt + seconds * 1000;
  let sent = 0;
  let skipped = 0;
  let maxQueued = 0;
  while (now() < endAt) {
    const sliceEnd = Math.min(endAt, now() + 20);
    for (;;) {
      const t = now();
      if (t >= sliceEnd) break;
      const due = Math.min(Math.floor((t - startedAt) / interval) + 1, Math.ceil(seconds * rate)) - sent - skipped;
      if (due <= 0) {
        const wait = startedAt + (sent + skipped) * interval - t;
        Atomics.wait(sleeper, 0, 0, Math.max(0.02, Math.min(wait, sliceEnd - t)));
        continue;
      }
      for (let i = 0; i < due; i++) {
        // A receiver that stopped reading must not make this process grow without bound.
        if (socket.writableLength > 8 << 20) skipped += 1;
        else {
          socket.write(message(sent + skipped));
          sent += 1;
        }
      }
      if (socket.writableLength > maxQueued) maxQueued = socket.writableLength;
    }
    await new Promise((r) => setImmediate(r));
  }
  const endedAt = now();
  await new Promise((r) => socket.end(r));
  say({ event: 'done', sent, skipped, size, startedAt, endedAt, finishedAt: now(), maxQueued });
}

/** Many mode: N connections opened `batch` at a time (each batch waits for the one before). */
async function many() {
  const port = num('port');
  const count = num('count');
  const batch = Math.max(1, num('batch', 500));
  const sockets = [];
  let errors = 0;
  const errorCodes = {};
  const startedAt = now();
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    await Promise.all(
      Array.from({ length: n }, () =>
        connect(port).then(
          (s) => {
            s.on('error', () => {});
            sockets.push(s);
          },
          (err) => {
            errors += 1;
            errorCodes[err.code ?? 'other'] = (errorCodes[err.code ?? 'other'] ?? 0) + 1;
          },
        ),
      ),
    );
  }
  say({ event: 'connected', count: sockets.length, errors, errorCodes, startedAt, connectedAt: now() });
  // Hold them until the bench stops this process.
  setInterval(() => {}, 1 << 30);
}

/** Sink mode: a plain node:net server that counts bytes until the peer's end. */
function sink() {
  const server = net.createServer((socket) => {
    let bytes = 0;
    let firstByteAt = 0;
    socket.on('data', (b) => {
      if (bytes === 0) firstByteAt = now();
      bytes += b.length;
    });
    socket.on('end', () => {
      const endAt = now();
      say({ event: 'done', bytes, firstByteAt, endAt, ...memory() });
      socket.end();
      server.close();
    });
    socket.on('error', () => {});
  });
  server.listen(num('port', 0), HOST, () => say({ event: 'listening', port: server.address().port }));
}

/** Accept mode: a plain node:net server that accepts N connections and holds them. */
function accept() {
  const count = num('count');
  const held = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    held.push(socket);
    if (held.length === count) say({ event: 'accepted', count, acceptedAt: now(), ...memory() });
  });
  // Node's default backlog (511) unless one is given.
  const backlog = values.backlog === undefined ? undefined : num('backlog');
  server.listen({ port: 0, host: HOST, backlog }, () => say({ event: 'listening', port: server.address().port }));
}

/**
 * Pipe-relay mode: a plain node:net relay to --port (each client's socket piped to a new
 * connection to the target, and back), the least a relay written on node:net does.
 */
function pipeRelay() {
  const target = num('port');
  const server = net.createServer((client) => {
    const upstream = net.connect(target, HOST);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  server.listen(0, HOST, () => say({ event: 'listening', port: server.address().port }));
}

/** Size of the echo client's writes; each begins with its index (8 bytes, big-endian). */
const ECHO_BLOCK = 64 * 1024;

/**
 * Echo client: a client that floods an echo server and does not read, then reads. It connects
 * and writes N bytes in 64 KiB blocks, each a fresh buffer that begins with its index, waiting
 * for 'drain' after each write the socket cannot take at once. For `hold` seconds from the
 * connect it reads nothing (the socket stays paused: Node reads at most its small readable
 * buffer, the rest waits in the kernel), then reports what the server took meanwhile
 * ('blocked'). Then it reads while it goes on writing, checks that the blocks come back in order
 * and hashes both directions (sha256), and reports 'done' once N bytes came back. After the last
 * write it half-closes; the server's FIN is waited for (bounded) only to see that nothing
 * follows the last byte.
 */
async function echoClient() {
  const total = num('bytes');
  const holdMs = num('hold') * 1000;
  const fill = Buffer.alloc(ECHO_BLOCK);
  for (let i = 0; i < ECHO_BLOCK; i++) fill[i] = i & 0xff;
  const socket = await connect(num('port'));
  socket.on('error', () => {});
  socket.pause();
  const connectedAt = now();
  say({ event: 'connected', connectedAt });

  const sentHash = createHash('sha256');
  let written = 0;
  let lastDrainAt = connectedAt;
  let drainWaits = 0;
  let longestDrainMs = 0;
  let closed = false;
  socket.once('close', () => (closed = true));
  const writing = (async () => {
    for (let index = 0; written < total && !closed; index++) {
      const block = Buffer.from(fill.subarray(0, Math.min(ECHO_BLOCK, total - written)));
      const head = Buffer.alloc(8);
      head.writeBigUInt64BE(BigInt(index));
      head.copy(block, 0, 0, Math.min(8, block.length));
      sentHash.update(block);
      written += block.length;
      if (socket.write(block)) {
        // The kernel took it at once: let the event loop run now and then all the same (the hold's
        // timer, and the reads once the hold is over).
        if (index % 16 === 15) await new Promise((r) => setImmediate(r));
      } else {
        const t = now();
        await new Promise((r) => {
          const done = () => {
            socket.off('drain', done);
            socket.off('close', done);
            r();
          };
          socket.on('drain', done);
          socket.on('close', done);
        });
        lastDrainAt = now();
        drainWaits += 1;
        longestDrainMs = Math.max(longestDrainMs, lastDrainAt - t);
      }
    }
    if (!closed) socket.end();
    return now();
  })();

  // Not reading: what the server takes now is what it buffers, or what the kernel buffers hold.
  await new Promise((r) => setTimeout(r, holdMs));
  const readFrom = now();
  // Handed to the kernel: what the socket took, less what still waits in Node's write queue.
  const accepted = written - socket.writableLength;
  say({ event: 'blocked', accepted, written, holdMs, readFrom, writerStalledMs: readFrom - lastDrainAt, drainWaits, longestDrainMs, finishedWriting: written >= total });

  const receivedHash = createHash('sha256');
  let received = 0;
  let expectIndex = 0;
  let firstOutOfOrder = null;
  const head = Buffer.alloc(8);
  let lastByteAt = 0;
  const allBack = new Promise((resolve) => {
    socket.on('data', (chunk) => {
      receivedHash.update(chunk);
      // Check each block's index as its first 8 bytes arrive (they may span two reads).
      for (let i = 0; i < chunk.length; ) {
        const at = received % ECHO_BLOCK;
        if (at < 8) {
          const n = Math.min(8 - at, chunk.length - i);
          chunk.copy(head, at, i, i + n);
          i += n;
          received += n;
          if (at + n === 8) {
            const got = head.readBigUInt64BE(0);
            if (got !== BigInt(expectIndex) && firstOutOfOrder === null) firstOutOfOrder = { expected: expectIndex, got: String(got) };
            expectIndex += 1;
          }
        } else {
          const n = Math.min(ECHO_BLOCK - at, chunk.length - i);
          i += n;
          received += n;
        }
      }
      if (received >= total && !lastByteAt) {
        lastByteAt = now();
        resolve();
      }
    });
    socket.once('close', resolve);
  });
  socket.resume();
  await allBack;
  const writtenAt = await writing;
  // Anything after the last byte, or no FIN at all, is reported (waited for up to 10 s).
  const peerEnded = await new Promise((resolve) => {
    if (socket.readableEnded || closed) return resolve(socket.readableEnded);
    const timer = setTimeout(() => resolve(false), 10_000);
    socket.once('end', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(socket.readableEnded);
    });
  });
  const sent = sentHash.digest('hex');
  const back = receivedHash.digest('hex');
  say({
    event: 'done',
    bytes: total,
    written,
    received,
    sentSha256: sent,
    receivedSha256: back,
    identical: written === total && received === total && sent === back && firstOutOfOrder === null,
    blocksInOrder: firstOutOfOrder === null,
    firstOutOfOrder,
    peerEnded,
    connectedAt,
    readFrom,
    writtenAt,
    lastByteAt: lastByteAt || null,
    drainWaits,
    longestDrainMs,
  });
  socket.destroy();
}

/** Echo server mode: a plain node:net echo server, each connection piped into itself. */
function echoServer() {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  server.listen(0, HOST, () => say({ event: 'listening', port: server.address().port }));
}

const modes = { stream, paced, many, sink, accept, 'pipe-relay': pipeRelay, 'echo-client': echoClient, 'echo-server': echoServer };
const mode = modes[positionals[0]];
if (!mode) {
  process.stderr.write(`unknown mode "${positionals[0]}": one of ${Object.keys(modes).join(', ')}\n`);
  process.exit(2);
}
Promise.resolve()
  .then(mode)
  .catch((err) => {
    say({ event: 'error', message: err instanceof Error ? err.message : String(err), code: err?.code });
    process.exit(1);
  });
