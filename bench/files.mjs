// Export and open of a large capture: a real Engine (bundled on the fly with esbuild) records a
// TCP stream of `bytes` sent over loopback, exports it to pcapng, and opens that file again.
// Each is measured in MB/s against a plain copy of the same bytes in the same run (the capture
// store's own segment files, read and written with fs streams), and the engine process's RSS is
// sampled every 20 ms: its peak, and its value halfway and at the end (flat means the same).
// Usage: node bench/files.mjs [--quick]   (prints one JSON line per row; MB = 10^6 bytes)
//   --quick   256 MiB instead of 1 GiB
// The measuring runs in a child process of its own, so its RSS is the engine's alone.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;
const RSS_TARGET_MB = 300;

async function loadEngine(dir) {
  // CommonJS, as the app's own engine bundle: some dependencies require Node's modules.
  const outfile = path.join(dir, 'files-bench.cjs');
  await build({
    stdin: { contents: "export { Engine } from './electron/engine/engine.ts';\n", resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile,
    logLevel: 'warning',
    external: ['electron'],
    plugins: [
      {
        // The decoders' optional native extractors are left out, as in the app's bundles.
        name: 'no-native-extract',
        setup(b) {
          b.onResolve({ filter: /^(msgpackr-extract|cbor-extract)$/ }, (a) => ({ path: a.path, namespace: 'no-native' }));
          b.onLoad({ filter: /.*/, namespace: 'no-native' }, (a) => ({ contents: `throw new Error(${JSON.stringify(`${a.path} is not bundled`)});`, loader: 'js' }));
        },
      },
    ],
  });
  return createRequire(import.meta.url)(outfile);
}

/** RSS samples every 20 ms while fn runs: the peak, and each sample with the progress it was taken at. */
async function sampled(fn, progress) {
  const samples = [];
  const timer = setInterval(() => samples.push({ rss: process.memoryUsage().rss, at: progress() }), 20);
  const t0 = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  const ms = performance.now() - t0;
  samples.push({ rss: process.memoryUsage().rss, at: progress() });
  const peak = Math.max(...samples.map((s) => s.rss));
  const half = samples.find((s) => s.at >= 0.5) ?? samples[samples.length - 1];
  return { ms, peakMB: peak / 1e6, halfMB: half.rss / 1e6, endMB: samples[samples.length - 1].rss / 1e6 };
}

async function job(engine, started, label) {
  if (!started.ok) throw new Error(`${label}: ${started.message}`);
  for (;;) {
    const j = engine.snapshot().jobs.find((x) => x.id === started.value.id);
    if (j.state !== 'running') {
      if (j.state !== 'done') throw new Error(`${label} ${j.state}: ${j.message ?? ''}`);
      return j;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function child(bytes) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'si-files-bench-'));
  try {
    const { Engine } = await loadEngine(dir);
    // Room for the capture and, once opened, its copy.
    const engine = new Engine({ captureBudgetBytes: 3 * bytes, filesDir: dir });
    const sub = engine.subscribe((batch) => sub.ack(batch.id));
    const listener = await engine.startListener({ host: '127.0.0.1', port: 0 });
    if (!listener.ok) throw new Error(listener.message);
    // The sender: 64 KiB writes as fast as the engine reads them.
    const piece = Buffer.alloc(64 * 1024);
    for (let i = 0; i < piece.length; i++) piece[i] = (i * 131) & 0xff;
    const socket = net.connect(listener.value.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let sent = 0;
    const sentHash = createHash('sha256');
    while (sent < bytes) {
      const n = Math.min(piece.length, bytes - sent);
      sent += n;
      const data = n === piece.length ? piece : piece.subarray(0, n);
      sentHash.update(data);
      if (!socket.write(data)) await new Promise((r) => socket.once('drain', r));
    }
    socket.end();
    const id = () => engine.snapshot().connections.find((c) => c.listenerId === listener.value.id);
    while ((id()?.bytesIn ?? 0) < bytes || id()?.state !== 'closed') await new Promise((r) => setTimeout(r, 20));
    const connection = id();

    // Baseline: the same bytes, as the capture keeps them on disk, copied with fs streams.
    const segments = readdirSync(engine.captureFolder)
      .filter((f) => f.startsWith('segment-'))
      .map((f) => path.join(engine.captureFolder, f));
    const copyTo = path.join(dir, 'copy.bin');
    let copied = 0;
    const copy = await sampled(async () => {
      const out = createWriteStream(copyTo);
      for (const seg of segments) {
        for await (const piece of createReadStream(seg, { highWaterMark: MiB })) {
          copied += piece.length;
          if (!out.write(piece)) await once(out, 'drain');
        }
      }
      await new Promise((r) => out.end(r));
    }, () => copied / bytes);
    rmSync(copyTo);

    const file = path.join(dir, 'capture.pcapng');
    let exportJob;
    const exp = await sampled(async () => {
      exportJob = await job(engine, await engine.execute('exportCapture', { scope: { connectionId: connection.id }, format: 'pcapng', display: 'text', direction: 'both', filePath: file }), 'export');
    }, () => (engine.snapshot().jobs.at(-1)?.done ?? 0) / bytes);
    const fileBytes = statSync(file).size;

    let openJob;
    const open = await sampled(async () => {
      openJob = await job(engine, await engine.execute('openCapture', { filePath: file }), 'open');
    }, () => (engine.snapshot().jobs.at(-1)?.done ?? 0) / fileBytes);
    const opened = engine.snapshot().connections.find((c) => c.source?.jobId === openJob.id);
    // The opened stream is seen from its client, the sender: its out direction is what was sent.
    const openedHash = createHash('sha256');
    for (let from = 0; opened && from < opened.bytesOut; from += 16 * MiB) {
      const r = await engine.execute('readStream', { connectionId: opened.id, direction: 'out', from, to: Math.min(opened.bytesOut, from + 16 * MiB), fromSeq: 0 });
      if (!r.ok) throw new Error(`reading the opened stream: ${r.message}`);
      openedHash.update(r.value.data);
    }
    const same = opened?.bytesOut === bytes && opened.bytesIn === 0 && openedHash.digest('hex') === sentHash.digest('hex');
    await engine.shutdown();
    const mbps = (n, ms) => n / 1e6 / (ms / 1000);
    const copyMBps = mbps(bytes, copy.ms);
    const rows = [
      { row: 'files-copy', bytes, ms: copy.ms, mbps: copyMBps, rss: copy },
      {
        row: 'files-export',
        bytes,
        fileBytes,
        ms: exp.ms,
        mbps: mbps(bytes, exp.ms),
        ratio: mbps(bytes, exp.ms) / copyMBps,
        rss: exp,
        chunks: exportJob.chunks,
      },
      {
        row: 'files-open',
        bytes: fileBytes,
        ms: open.ms,
        mbps: mbps(fileBytes, open.ms),
        ratio: mbps(fileBytes, open.ms) / copyMBps,
        rss: open,
        streams: openJob.connections,
        same,
        problems: openJob.problems,
      },
    ];
    for (const r of rows) console.log(JSON.stringify({ ...r, rssTargetMB: RSS_TARGET_MB }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the measurement in a child process and returns its rows. */
export async function runFilesBench({ quick = false } = {}) {
  const bytes = (quick ? 256 : 1024) * MiB;
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', String(bytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  const code = await new Promise((r) => proc.on('exit', r));
  if (code !== 0) throw new Error(`the files bench exited with ${code}`);
  return out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

if (process.argv[2] === '--child') await child(Number(process.argv[3]));
else if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await runFilesBench({ quick: process.argv.includes('--quick') })) console.log(JSON.stringify(r));
}
