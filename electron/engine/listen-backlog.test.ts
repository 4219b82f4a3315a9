/**
 * A burst of clients while the engine is busy: the kernel completes their handshakes and queues
 * them until the engine accepts, instead of dropping SYNs (which costs each client a one-second
 * retransmission) once Node's default backlog of 511 is full.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LISTEN_BACKLOG } from './listeners';
import { makeEngine, onCleanup, until, value } from './testing/helpers';

const BURST = 1200;

/** Opens `count` connections at once (non-blocking) and prints how many completed within `seconds`. */
const PY_BURST = `
import resource, selectors, socket, sys, time
port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, count + 100)), hard))
sel = selectors.DefaultSelector()
socks = []
for _ in range(count):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(('127.0.0.1', port))
    sel.register(s, selectors.EVENT_WRITE)
    socks.append(s)
done = 0
deadline = time.monotonic() + seconds
while done < count and time.monotonic() < deadline:
    for key, _ in sel.select(timeout=max(0, deadline - time.monotonic())):
        sel.unregister(key.fileobj)
        if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            done += 1
print(done, flush=True)
sys.stdin.read()
`;

function somaxconn(): number {
  try {
    return Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
  } catch {
    return NaN;
  }
}

describe('listen backlog', () => {
  const cap = somaxconn();
  it.skipIf(!(cap >= BURST + 100))(
    `queues a burst of ${BURST} clients that arrive while the engine is busy (needs net.core.somaxconn of at least ${BURST + 100}; here ${cap})`,
    async () => {
      expect(LISTEN_BACKLOG).toBeGreaterThanOrEqual(BURST + 100);
      const { engine } = makeEngine();
      const l = value(await engine.startListener({ host: '127.0.0.1', port: 0 }));
      const py = spawn('python3', ['-c', PY_BURST, String(l.port), String(BURST), '1.5'], { stdio: ['pipe', 'pipe', 'inherit'] });
      onCleanup(() => py.kill('SIGKILL'));
      let out = '';
      py.stdout.on('data', (d: Buffer) => (out += d.toString()));
      // The engine shares this thread: hold it, so nothing is accepted while the burst arrives.
      const until2 = performance.now() + 1200;
      while (performance.now() < until2) {
        // busy: the engine's event loop does not run
      }
      await until(() => out.includes('\n'), 'the client to count its connections', 10_000);
      // Every handshake completed within the time, though nothing was accepted for most of it.
      expect(Number(out.trim())).toBe(BURST);
      // And the engine then accepts them all.
      await until(() => engine.snapshot().listeners[0]!.acceptedCount === BURST, `${BURST} accepted`, 20_000);
      py.stdin.end();
    },
    30_000,
  );
});
