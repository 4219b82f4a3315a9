// Socket Inspector benchmarks: throughput, memory, UI latency, UI responsiveness under a flood,
// many connections, a relay, and an echo auto-reply to a client that does not read, each against
// a baseline measured in the same run.
// Usage: npm run bench  (builds first), or: node bench/run.mjs [--quick] [--only a,b] [--out FILE]
// See bench/README.md for what each row measures.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  armDoneWatch,
  armFrameMeter,
  armLatencyObserver,
  collectLatency,
  frameStats,
  headerText,
  launchBrowser,
  listenerRow,
  openApp,
  pageClockOffset,
  pageCpuSeconds,
  waitViewCaughtUp,
  startListenerFromUi,
  stopFrameMeter,
  waitDone,
  waitTrafficLog,
} from './browser.mjs';
import { engineCommand } from './engine-ws.mjs';
import { runSearchBench } from './search.mjs';
import { runFilesBench } from './files.mjs';
// The listen backlog of the inspector's listeners (electron/engine/listeners.ts), for row 5c's baseline.
const LISTEN_BACKLOG = 4096;
import { BENCH, killAllNow, wasInterrupted, listenDrops, peer, procCpuSeconds, procStatus, start, startHost, stop, tcpTable, waitLine, waitListening, which } from './procs.mjs';

const SECTIONS = ['throughput', 'rss', 'latency', 'flood', 'scale', 'packetsender', 'relay', 'echo', 'search', 'files'];
const USAGE = `Usage: node bench/run.mjs [--quick] [--only ${SECTIONS.join(',')}] [--rounds N] [--out FILE] [--host-cpu-prof DIR]

  --quick     smaller volumes (128/256 MiB), 2 s floods and holds, 1,000 connections: a fast check
  --only      run these sections only (comma-separated)
  --out FILE  where to write the JSON results (default: bench/results/latest.json for a full
              run, bench/results/partial.json otherwise)
  --rounds N  rounds of row 1 (5, or 2 with --quick)
  --host-cpu-prof DIR
              run every browser host with node --cpu-prof, writing .cpuprofile files to DIR
              (open them in Chrome DevTools): where the host's time goes`;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    'host-cpu-prof': { type: 'string' },
    rounds: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const only = args.only ? args.only.split(',').map((s) => s.trim()).filter(Boolean) : SECTIONS;
for (const s of only) {
  if (!SECTIONS.includes(s)) {
    console.error(`unknown section "${s}"\n\n${USAGE}`);
    process.exit(2);
  }
}
const full = !args.quick && only.length === SECTIONS.length;
const hostNodeArgs = args['host-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['host-cpu-prof'])}`] : [];
const outFile = path.resolve(args.out ?? path.join(BENCH, 'results', full ? 'latest.json' : 'partial.json'));

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const CONFIG = args.quick
  ? { volumes: [128 * MiB, 256 * MiB], latencySeconds: 2, floodSeconds: 2, idleSeconds: 2, connections: 1000, echoHoldSeconds: 2, captureRounds: 2 }
  : { volumes: [1 * GiB, 2 * GiB], latencySeconds: 10, floodSeconds: 10, idleSeconds: 10, connections: 10_000, echoHoldSeconds: 5, captureRounds: 5 };
if (args.rounds !== undefined) {
  const n = Number(args.rounds);
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new Error('--rounds must be a whole number from 1 to 50');
  CONFIG.captureRounds = n;
}
/** The views row 1 captures in, each in every round. */
const CAPTURE_VIEWS = ['Chunks', 'Lines', 'Stream', 'Frames'];
Object.assign(CONFIG, { latencyRate: 2000, floodRate: 50_000, messageSize: 32, connectBatch: 500 });
// Under the default 256 MiB capture budget, so every occurrence is still kept when it is searched.
CONFIG.searchBytes = args.quick ? 64 * MiB : 240 * MiB;
CONFIG.searchNeedles = args.quick ? 250 : 1000;

// Bounded in time whatever happens: past this the bench stops everything and says so.
const WATCHDOG_MS = 15 * 60 * 1000;
const watchdog = setTimeout(() => {
  console.error(`\nThe bench ran past ${WATCHDOG_MS / 60000} minutes: stopping.`);
  killAllNow();
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

const now = () => performance.timeOrigin + performance.now();
// Peak RSS of the same volume varies by up to ~15% between runs here (garbage-collector timing);
// memory that grew with volume would double from 1 to 2 GiB.
const GROWTH_TOLERANCE = 1.25;
const MB = 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The UI's byte format (shared/format.ts formatBytes), to find a count in the page text. */
function uiBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}
const volumeLabel = (n) => (n >= GiB ? `${n / GiB} GiB` : `${n / MiB} MiB`);
/** The median of the finite numbers among xs (NaN when there are none). */
function median(xs) {
  const a = xs.filter((x) => Number.isFinite(x)).sort((x, y) => x - y);
  return a.length === 0 ? NaN : a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
}
const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const mb = (bytes) => `${fmt(bytes / MB, 0)} MB`;
const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : NaN);
const chunksIn = (header) => Number((/in [^·]+· (\d+) chunks?/.exec(header)?.[1] ?? 'NaN'));

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const read = (f) => {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      return null;
    }
  };
  let fdHardLimit = null;
  try {
    fdHardLimit = execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  } catch {
    // no bash
  }
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryBytes: os.totalmem(),
    memory: `${(os.totalmem() / GiB).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    somaxconn: Number(read('/proc/sys/net/core/somaxconn')),
    tcpMaxSynBacklog: Number(read('/proc/sys/net/ipv4/tcp_max_syn_backlog')),
    openFilesHardLimit: fdHardLimit,
  };
}

/**
 * Other processes busy on this machine when the bench starts (over 20% of a core in one second),
 * by name: they compete with what is measured, so the results say so.
 */
async function busyProcesses() {
  const { readdirSync } = await import('node:fs');
  const ticks = () => {
    const m = new Map();
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        const name = stat.slice(stat.indexOf('(') + 1, close);
        const f = stat.slice(close + 2).split(' ');
        m.set(pid, { name, ticks: Number(f[11]) + Number(f[12]) });
      } catch {
        // gone
      }
    }
    return m;
  };
  const a = ticks();
  await sleep(1000);
  const b = ticks();
  const hz = 100;
  const busy = [];
  for (const [pid, { name, ticks: t }] of b) {
    const before = a.get(pid);
    const cpu = before ? (t - before.ticks) / hz : 0;
    if (cpu > 0.2 && Number(pid) !== process.pid) busy.push({ pid: Number(pid), name, cpuPercent: Math.round(cpu * 100) });
  }
  return busy;
}

async function freePort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** Time to move `bytes` through TCP at a floor of 8 MB/s, plus a minute: past that, it failed. */
const transferTimeout = (bytes) => 60_000 + (bytes / (8 * MB)) * 1000;

// ---------------------------------------------------------------------------------------------
// Measurements. Each starts what it needs and stops it in finally.

/** The stream into a plain node:net sink in its own process. */
async function streamIntoNodeSink(bytes) {
  const sink = peer('sink');
  let sender;
  try {
    const { port } = await waitLine(sink, (o) => o.event === 'listening', 10_000, 'port');
    sender = peer('stream', { port, bytes });
    const sent = await waitLine(sender, (o) => o.event === 'done', transferTimeout(bytes), 'end of the stream');
    const got = await waitLine(sink, (o) => o.event === 'done', 30_000, 'byte count');
    const seconds = (got.endAt - sent.connectedAt) / 1000;
    return { bytes: got.bytes, seconds, mbps: got.bytes / seconds / MB, senderSeconds: (sent.finishedAt - sent.connectedAt) / 1000, sinkPeakRss: got.hwm, sender: sent };
  } finally {
    await stop(sender);
    await stop(sink);
  }
}

/** The stream into `socat -u TCP-LISTEN:PORT,reuseaddr /dev/null` (bound to loopback). */
async function streamIntoSocat(bytes) {
  const port = await freePort();
  const socat = start('socat', ['-u', `TCP-LISTEN:${port},reuseaddr,bind=127.0.0.1`, '/dev/null'], { name: 'socat' });
  let sender;
  try {
    await waitListening(port);
    sender = peer('stream', { port, bytes });
    const sent = await waitLine(sender, (o) => o.event === 'done', transferTimeout(bytes), 'end of the stream');
    // socat -u exits when it has read the peer's end: everything is in.
    let timer;
    const exit = await Promise.race([socat.exited, new Promise((r) => (timer = setTimeout(() => r(null), 30_000)))]);
    clearTimeout(timer);
    if (!exit) throw new Error('socat did not exit after the stream ended');
    const seconds = (socat.exitedAt - sent.connectedAt) / 1000;
    return { bytes, seconds, mbps: bytes / seconds / MB, exit, sender: sent };
  } finally {
    await stop(sender);
    await stop(socat);
  }
}

/**
 * CPU seconds per GiB moved, host (the engine's process) and page (its main thread), between two
 * readings: the cost of a GiB, which the machine's noise changes far less than the time it takes.
 */
function cpuPerGiB(before, after, bytes) {
  const per = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? Math.round(((b - a) / (bytes / 2 ** 30)) * 1000) / 1000 : null);
  return {
    hostSecondsPerGiB: per(before.host, after.host),
    pageThreadSecondsPerGiB: per(before.page?.thread, after.page?.thread),
    pageProcessSecondsPerGiB: per(before.page?.process, after.page?.process),
  };
}

/**
 * The stream into a listener started from the UI, with the page open and the connection selected.
 * With a `view`, the sender connects and holds; the connection is shown in that view before its
 * first write, and time runs from that write (without, from the connect, which is then the first
 * write too).
 */
async function streamIntoInspector(browser, bytes, view = null) {
  const host = await startHost({ nodeArgs: hostNodeArgs });
  let page;
  let sender;
  try {
    page = await openApp(browser, host.url);
    const port = await startListenerFromUi(page);
    if (view) {
      sender = peer('stream', { port, bytes, hold: 1 });
      await waitLine(sender, (o) => o.event === 'connected', 10_000, 'connect');
      await waitTrafficLog(page);
      await chooseView(page, view);
    }
    await armDoneWatch(page, uiBytes(bytes));
    const clock = await pageClockOffset(page);
    const rssSamples = [];
    const sampler = setInterval(() => {
      try {
        rssSamples.push([now(), procStatus(host.pid).rss]);
      } catch {
        // host gone: the wait below reports it
      }
    }, 100);
    try {
      const cpuBefore = { host: procCpuSeconds(host.pid), page: await pageCpuSeconds(page) };
      if (sender) sender.child.stdin.write('go\n');
      else sender = peer('stream', { port, bytes });
      const sent = await waitLine(sender, (o) => o.event === 'done', transferTimeout(bytes), 'end of the stream');
      const ui = await waitDone(page, 120_000);
      const status = procStatus(host.pid);
      const cpu = cpuPerGiB(cpuBefore, { host: procCpuSeconds(host.pid), page: await pageCpuSeconds(page) }, bytes);
      const header = await headerText(page);
      if (!ui) throw new Error(`the UI did not show ${uiBytes(bytes)} in and the peer's FIN within 2 minutes after the sender finished (header: ${header})`);
      const seconds = (ui.at - sent.startedAt) / 1000;
      // The row views read at their own pace under a flood: how long after the capture they list the last row.
      const caughtUpAt = view && view !== 'Chunks' ? await waitViewCaughtUp(page, bytes, 120_000) : null;
      const chunks = chunksIn(ui.text);
      // Within the run: the resident set's peak in the first and the second half of the transfer.
      // Memory that grows with volume peaks later; bounded memory plateaus.
      const mid = (sent.startedAt + ui.at) / 2;
      const halfPeak = (inFirst) => rssSamples.filter(([t]) => t >= sent.startedAt && t <= ui.at && t < mid === inFirst).reduce((a, [, r]) => Math.max(a, r), 0);
      return {
        view: view ?? 'Chunks',
        bytes,
        seconds,
        mbps: bytes / seconds / MB,
        senderSeconds: (sent.finishedAt - sent.startedAt) / 1000,
        uiLagAfterSenderMs: ui.at - sent.finishedAt,
        viewCaughtUpAfterMs: caughtUpAt ? caughtUpAt - ui.at : null,
        chunks,
        averageChunkBytes: bytes / chunks,
        hostPeakRss: status.hwm,
        hostRssAfter: status.rss,
        hostPeakRssSampled: rssSamples.reduce((a, [, r]) => Math.max(a, r), 0),
        hostRssPeakFirstHalf: halfPeak(true),
        hostRssPeakSecondHalf: halfPeak(false),
        cpu,
        clock,
        header: ui.text,
        sender: sent,
      };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await stop(sender);
    await page?.close().catch(() => {});
    await host.close();
  }
}

/**
 * The stream straight into a plain node:net sink, the sender holding between its connect and its
 * first write (as it does through the relay, where the pair is selected in between): time runs
 * from the first write until the sink's end.
 */
async function streamDirectHeld(bytes) {
  const sink = peer('sink');
  let sender;
  try {
    const { port } = await waitLine(sink, (o) => o.event === 'listening', 10_000, 'port');
    sender = peer('stream', { port, bytes, hold: 1 });
    await waitLine(sender, (o) => o.event === 'connected', 10_000, 'connect');
    sender.child.stdin.write('go\n');
    const sent = await waitLine(sender, (o) => o.event === 'done', transferTimeout(bytes), 'end of the stream');
    const got = await waitLine(sink, (o) => o.event === 'done', 30_000, 'byte count');
    if (got.bytes !== bytes) throw new Error(`the sink received ${got.bytes} bytes of ${bytes}`);
    const seconds = (got.endAt - sent.startedAt) / 1000;
    return { bytes: got.bytes, seconds, mbps: got.bytes / seconds / MB, senderSeconds: (sent.finishedAt - sent.startedAt) / 1000, sinkPeakRss: got.hwm, sender: sent };
  } finally {
    await stop(sender);
    await stop(sink);
  }
}

/**
 * The same held stream through a plain node:net relay (peer.mjs pipe-relay: socket.pipe both
 * ways) into the same kind of sink: what a relay on node:net costs by itself on this machine.
 */
async function streamThroughPipeRelay(bytes) {
  const sink = peer('sink');
  let relay;
  let sender;
  try {
    const { port: sinkPort } = await waitLine(sink, (o) => o.event === 'listening', 10_000, 'port');
    relay = peer('pipe-relay', { port: sinkPort });
    const { port } = await waitLine(relay, (o) => o.event === 'listening', 10_000, 'port');
    sender = peer('stream', { port, bytes, hold: 1 });
    await waitLine(sender, (o) => o.event === 'connected', 10_000, 'connect');
    const cpu0 = procCpuSeconds(relay.pid);
    sender.child.stdin.write('go\n');
    const sent = await waitLine(sender, (o) => o.event === 'done', transferTimeout(bytes), 'end of the stream');
    const got = await waitLine(sink, (o) => o.event === 'done', 120_000, 'byte count');
    if (got.bytes !== bytes) throw new Error(`the sink received ${got.bytes} bytes of ${bytes} through the pipe relay`);
    const seconds = (got.endAt - sent.startedAt) / 1000;
    return { bytes, seconds, mbps: bytes / seconds / MB, relayCpuSecondsPerGiB: cpuPerGiB({ host: cpu0 }, { host: procCpuSeconds(relay.pid) }, bytes).hostSecondsPerGiB, sender: sent };
  } finally {
    await stop(sender);
    await stop(relay);
    await stop(sink);
  }
}

/**
 * The same stream through a relay of the inspector into the same kind of sink. The relay is
 * started with the engine's startRelay command over the host's WebSocket; the page is open and
 * the pair is selected (automatically, or by clicking it in the Connections list) before the
 * sender's first write. Time runs from that write until the sink's end. With `browser` null, no
 * page is open (a reference: the engine's relay alone, nothing to flow-control it).
 */
async function streamThroughRelay(browser, bytes) {
  const sink = peer('sink');
  let host;
  let page;
  let sender;
  try {
    const { port: sinkPort } = await waitLine(sink, (o) => o.event === 'listening', 10_000, 'port');
    host = await startHost({ nodeArgs: hostNodeArgs });
    if (browser) page = await openApp(browser, host.url);
    const started = await engineCommand(host.url, 'startRelay', { host: '127.0.0.1', port: 0, targetHost: '127.0.0.1', targetPort: sinkPort });
    if (!started.ok) throw new Error(`startRelay failed: ${started.message ?? JSON.stringify(started)}`);
    const relayPort = started.value.port;
    const rssAtStart = procStatus(host.pid);
    const rssSamples = [];
    const sampler = setInterval(() => {
      try {
        rssSamples.push([now(), procStatus(host.pid).rss]);
      } catch {
        // host gone: the waits below report it
      }
    }, 100);
    try {
      sender = peer('stream', { port: relayPort, bytes, hold: 1 });
      await waitLine(sender, (o) => o.event === 'connected', 10_000, 'connect');
      const selection = page ? await selectOnlyConnection(page) : null;
      const clock = page ? await pageClockOffset(page) : null;
      const cpuBefore = { host: procCpuSeconds(host.pid), page: page ? await pageCpuSeconds(page) : null };
      sender.child.stdin.write('go\n');
      const sent = await waitLine(sender, (o) => o.event === 'done', transferTimeout(bytes), 'end of the stream');
      const got = await waitLine(sink, (o) => o.event === 'done', 120_000, 'byte count');
      const status = procStatus(host.pid);
      const cpu = cpuPerGiB(cpuBefore, { host: procCpuSeconds(host.pid), page: page ? await pageCpuSeconds(page) : null }, bytes);
      if (got.bytes !== bytes) throw new Error(`the sink received ${got.bytes} bytes of ${bytes} through the relay`);
      const seconds = (got.endAt - sent.startedAt) / 1000;
      // For the record: how far the page is behind when the sink has everything (bounded wait).
      let ui = null;
      let header = null;
      if (page) {
        ui = await waitRelayShown(page, uiBytes(bytes), 15_000);
        header = ui?.text ?? (await headerText(page));
      }
      const mid = (sent.startedAt + got.endAt) / 2;
      const halfPeak = (inFirst) => rssSamples.filter(([t]) => t >= sent.startedAt && t <= got.endAt && t < mid === inFirst).reduce((a, [, r]) => Math.max(a, r), 0);
      return {
        bytes: got.bytes,
        seconds,
        mbps: got.bytes / seconds / MB,
        senderSeconds: (sent.finishedAt - sent.startedAt) / 1000,
        relayPort,
        selection,
        pageOpen: Boolean(page),
        uiShowedAllAfterSinkMs: ui ? ui.at - got.endAt : null,
        chunks: header ? Number(new RegExp(`${uiBytes(bytes).replace('.', '\\.')} · (\\d+) chunks?`).exec(header)?.[1] ?? NaN) : null,
        header,
        hostRssBeforeStream: rssAtStart.rss,
        hostPeakRss: status.hwm,
        hostRssAfter: status.rss,
        hostPeakRssSampled: rssSamples.reduce((a, [, r]) => Math.max(a, r), 0),
        hostRssPeakFirstHalf: halfPeak(true),
        hostRssPeakSecondHalf: halfPeak(false),
        sinkPeakRss: got.hwm,
        cpu,
        clock,
        sender: sent,
      };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await stop(sender);
    await page?.close().catch(() => {});
    await host?.close();
    await stop(sink);
  }
}

/**
 * Polls (every 5 ms, in the page) the selected pair's header until it shows the client-to-server
 * count `bytesLabel` (followed by its chunk count) and the pair closed; returns { at, text }
 * (page time) or null after `timeoutMs`.
 */
async function waitRelayShown(page, bytesLabel, timeoutMs) {
  await page.evaluate((label) => {
    const w = (window.__benchRelayShown = { at: 0, text: '' });
    const timer = setInterval(() => {
      const text = document.querySelector('[aria-label="Selected connection"] header')?.textContent ?? '';
      if (text.includes(`${label} · `) && text.includes('closed')) {
        w.at = performance.timeOrigin + performance.now();
        w.text = text;
        clearInterval(timer);
      }
    }, 5);
  }, bytesLabel);
  try {
    await page.waitForFunction(() => window.__benchRelayShown.at > 0, null, { timeout: timeoutMs, polling: 50 });
  } catch {
    return null;
  }
  return page.evaluate(() => window.__benchRelayShown);
}

/**
 * Waits for the one connection of a fresh host to be listed, and makes sure it is the selected
 * one: the page selects the first accepted connection by itself; where it did not, it is clicked.
 */
async function selectOnlyConnection(page) {
  const button = page.getByRole('tree', { name: 'Connections' }).getByRole('treeitem', { level: 2 }).first();
  await button.waitFor({ timeout: 10_000 });
  const selected = () =>
    page.evaluate(() => Boolean(document.querySelector('[role="tree"] [role="treeitem"][aria-level="2"][aria-selected="true"]') && document.querySelector('[aria-label="Selected connection"]')));
  const end = Date.now() + 1000;
  while (Date.now() < end) {
    if (await selected()) return { auto: true };
    await sleep(20);
  }
  await button.click();
  await page.locator('[aria-label="Selected connection"]').waitFor({ timeout: 10_000 });
  if (!(await selected())) throw new Error('the relay pair could not be selected in the page');
  return { auto: false };
}

/**
 * Sets the Auto-reply of the (only) listener to Echo from the UI: the listener row's
 * "Auto-reply: …" button opens its form, Echo is chosen and applied, and the row then says so.
 */
async function setListenerEchoFromUi(page) {
  await listenerRow(page).click({ timeout: 10_000 });
  const row = page.getByRole('main', { name: /^Selected (TCP|TLS|Unix) listener/ });
  await row.getByRole('button', { name: /^Auto-reply:/ }).click({ timeout: 10_000 });
  const form = row.getByRole('form', { name: /^Auto-reply for listener/ });
  await form.getByLabel('Auto-reply').selectOption({ label: 'Echo' }, { timeout: 10_000 });
  await form.getByRole('button', { name: 'Apply' }).click({ timeout: 10_000 });
  await row.getByRole('button', { name: 'Auto-reply: echo' }).waitFor({ timeout: 10_000 });
}

/**
 * A client (peer.mjs echo-client) floods the echo server at `port`, run by process `pid`, without
 * reading for CONFIG.echoHoldSeconds, then reads every byte back while it goes on sending. The
 * server's resident set is sampled every 100 ms: its highest sample while the client does not
 * read, and its peak (VmHWM) over its life once the client is done.
 */
async function floodEcho(pid, port, bytes) {
  const holdSeconds = CONFIG.echoHoldSeconds;
  const rssBefore = procStatus(pid).rss;
  const samples = [];
  const sampler = setInterval(() => {
    try {
      samples.push([now(), procStatus(pid).rss]);
    } catch {
      // server gone: the waits below report it
    }
  }, 100);
  let client;
  try {
    client = peer('echo-client', { port, bytes, hold: holdSeconds });
    const connected = await waitLine(client, (o) => o.event === 'connected', 10_000, 'connect');
    const blocked = await waitLine(client, (o) => o.event === 'blocked', holdSeconds * 1000 + 30_000, 'report at the end of the hold');
    const rssAtEndOfHold = procStatus(pid).rss;
    // Both directions at once, each as long as a stream of `bytes`.
    const done = await waitLine(client, (o) => o.event === 'done', transferTimeout(bytes) + 15_000, 'end of the echo');
    const status = procStatus(pid);
    const peakIn = (from, to) => samples.filter(([t]) => t >= from && t <= to).reduce((a, [, r]) => Math.max(a, r), 0);
    const back = done.lastByteAt !== null;
    return {
      bytes,
      holdSeconds,
      acceptedWhileNotReading: blocked.accepted,
      writtenWhileNotReading: blocked.written,
      writerStalledMs: blocked.writerStalledMs,
      received: done.received,
      identical: done.identical,
      blocksInOrder: done.blocksInOrder,
      firstOutOfOrder: done.firstOutOfOrder,
      sentSha256: done.sentSha256,
      receivedSha256: done.receivedSha256,
      peerEnded: done.peerEnded,
      // From the first read to the last byte back: the echo of (almost) all of it.
      echoSeconds: back ? (done.lastByteAt - done.readFrom) / 1000 : NaN,
      secondsFromConnect: back ? (done.lastByteAt - done.connectedAt) / 1000 : NaN,
      rssBefore,
      rssWhileNotReadingMax: Math.max(peakIn(connected.connectedAt, blocked.readFrom), rssAtEndOfHold),
      rssAtEndOfHold,
      rssWhileReadingMax: peakIn(blocked.readFrom, done.lastByteAt ?? now()),
      peakRss: status.hwm,
      rssAfter: status.rss,
      client: { blocked, done },
    };
  } finally {
    clearInterval(sampler);
    await stop(client);
  }
}

/** The echo flood into a plain node:net echo server in its own process (socket.pipe(socket)). */
async function echoNodeServer(bytes) {
  const server = peer('echo-server');
  try {
    const { port } = await waitLine(server, (o) => o.event === 'listening', 10_000, 'port');
    return await floodEcho(server.pid, port, bytes);
  } finally {
    await stop(server);
  }
}

/**
 * The echo flood into a listener started from the UI whose Auto-reply is set to Echo from the UI,
 * with the page open (the connection is selected by the page, as in row 1).
 */
async function echoInspector(browser, bytes) {
  const host = await startHost({ nodeArgs: hostNodeArgs });
  let page;
  try {
    page = await openApp(browser, host.url);
    const port = await startListenerFromUi(page);
    await setListenerEchoFromUi(page);
    const run = await floodEcho(host.pid, port, bytes);
    // For the record: the page may still be catching up with the engine at this point.
    return { ...run, headerWhenClientDone: await headerText(page).catch(() => null) };
  } finally {
    await page?.close().catch(() => {});
    await host.close();
  }
}

function latencySummary(samples, rows, extra = {}) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    rows,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    min: sorted[0] ?? NaN,
    ...extra,
  };
}

/** Shows the selected connection's traffic as Chunks, Lines or Frames (LF framing by default). */
async function chooseView(page, view) {
  if (view === 'Chunks') return;
  await page.getByRole('radiogroup', { name: 'View' }).getByRole('radio', { name: view }).check();
  await waitTrafficLog(page);
}

/**
 * Paced small writes into the inspector; latency from the engine's receive time to the row in
 * the DOM, with the connection shown in a view (Chunks, Lines or Frames).
 */
async function latencyInspector(browser, view = 'Chunks') {
  const host = await startHost({ nodeArgs: hostNodeArgs });
  let page;
  let sender;
  try {
    page = await openApp(browser, host.url);
    const port = await startListenerFromUi(page);
    sender = peer('paced', { port, rate: CONFIG.latencyRate, seconds: CONFIG.latencySeconds, size: CONFIG.messageSize });
    await waitLine(sender, (o) => o.event === 'connected', 10_000, 'connect');
    await waitTrafficLog(page);
    await chooseView(page, view);
    const clock = await pageClockOffset(page);
    await armLatencyObserver(page);
    sender.child.stdin.write('go\n');
    const done = await waitLine(sender, (o) => o.event === 'done', CONFIG.latencySeconds * 1000 + 30_000, 'end of the run');
    await armDoneWatch(page, uiBytes(done.sent * done.size));
    const ui = await waitDone(page, 30_000);
    await sleep(200);
    const { samples, rows } = await collectLatency(page);
    const header = ui?.text ?? (await headerText(page));
    // Page time minus engine time, both the machine's wall clock (the measured offset between the
    // page's and Node's clocks is kept in the results: a fraction of a millisecond).
    return latencySummary(samples, rows, { sent: done.sent, chunks: chunksIn(header), seconds: CONFIG.latencySeconds, clock, uiCaughtUp: Boolean(ui) });
  } finally {
    await stop(sender);
    await page?.close().catch(() => {});
    await host.close();
  }
}

/** The same paced writes into the minimal relay page (one WebSocket message and one div per chunk). */
async function latencyMinimal(browser) {
  const relay = start(process.execPath, [path.join(BENCH, 'minimal-relay.mjs')], { name: 'minimal relay' });
  let page;
  let sender;
  try {
    const ready = await waitLine(relay, (o) => o.event === 'ready', 10_000, 'URL');
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(ready.url);
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 10_000 });
    const clock = await pageClockOffset(page);
    sender = peer('paced', { port: ready.tcpPort, rate: CONFIG.latencyRate, seconds: CONFIG.latencySeconds, size: CONFIG.messageSize });
    await waitLine(sender, (o) => o.event === 'connected', 10_000, 'connect');
    await armLatencyObserver(page);
    sender.child.stdin.write('go\n');
    const done = await waitLine(sender, (o) => o.event === 'done', CONFIG.latencySeconds * 1000 + 30_000, 'end of the run');
    await sleep(500);
    const { samples, rows } = await collectLatency(page);
    return latencySummary(
      samples,
      rows,
      { sent: done.sent, seconds: CONFIG.latencySeconds, clock },
    );
  } finally {
    await stop(sender);
    await page?.close().catch(() => {});
    await stop(relay);
  }
}

/** Idle, then a flood of small writes, with the connection selected in a view: frames and long tasks. */
async function flood(browser, view = 'Chunks') {
  const host = await startHost({ nodeArgs: hostNodeArgs });
  let page;
  let sender;
  try {
    page = await openApp(browser, host.url);
    const port = await startListenerFromUi(page);
    sender = peer('paced', { port, rate: CONFIG.floodRate, seconds: CONFIG.floodSeconds, size: CONFIG.messageSize });
    await waitLine(sender, (o) => o.event === 'connected', 10_000, 'connect');
    await waitTrafficLog(page);
    await chooseView(page, view);
    const clock = await pageClockOffset(page);
    await armFrameMeter(page);
    const idleFrom = now();
    await sleep(CONFIG.idleSeconds * 1000);
    const idleTo = now();
    sender.child.stdin.write('go\n');
    const done = await waitLine(sender, (o) => o.event === 'done', CONFIG.floodSeconds * 1000 + 30_000, 'end of the flood');
    const floodFrom = done.startedAt;
    const floodTo = done.endedAt;
    await armDoneWatch(page, uiBytes(done.sent * done.size));
    const ui = await waitDone(page, 60_000);
    const caughtUpAt = ui ? ui.at : now();
    const header = ui?.text ?? (await headerText(page));
    const idle = await frameStats(page, idleFrom, idleTo);
    const during = await frameStats(page, floodFrom, floodTo);
    const whole = await frameStats(page, floodFrom, caughtUpAt);
    await stopFrameMeter(page);
    const status = procStatus(host.pid);
    return {
      idle,
      flood: during,
      floodAndCatchUp: whole,
      sent: done.sent,
      skipped: done.skipped,
      sentPerSecond: done.sent / ((done.endedAt - done.startedAt) / 1000),
      chunks: chunksIn(header),
      chunksPerSecond: chunksIn(header) / ((done.endedAt - done.startedAt) / 1000),
      senderMaxQueuedBytes: done.maxQueued,
      uiCaughtUp: Boolean(ui),
      catchUpMs: caughtUpAt - floodTo,
      hostPeakRss: status.hwm,
      clock,
    };
  } finally {
    await stop(sender);
    await page?.close().catch(() => {});
    await host.close();
  }
}

/**
 * A capture of `bytes` with a 16-byte needle `CONFIG.searchNeedles` times (some across write
 * boundaries), searched from the find bar: how long until it says how many it found, and the
 * page's longest task meanwhile (against the same page idle).
 */
async function searchFromPage(browser, bytes) {
  const host = await startHost({ nodeArgs: hostNodeArgs });
  let page;
  let client;
  try {
    page = await openApp(browser, host.url);
    const port = await startListenerFromUi(page);
    const needle = Buffer.from('NEEDLE-0123456789'.slice(0, 16));
    const all = Buffer.alloc(bytes, 0x2e);
    const step = Math.floor(bytes / CONFIG.searchNeedles);
    for (let i = 0; i < CONFIG.searchNeedles; i++) {
      // Every fourth one straddles a 64 KiB write boundary.
      const at = i % 4 === 0 ? Math.min(bytes - 16, Math.max(0, Math.floor((i * step) / 65536) * 65536 + 65536 - 7)) : i * step + 100;
      needle.copy(all, at);
    }
    client = net.connect(port, '127.0.0.1');
    client.on('error', () => {});
    await new Promise((r) => client.once('connect', r));
    await waitTrafficLog(page);
    for (let off = 0; off < bytes; off += 65536) {
      if (!client.write(all.subarray(off, off + 65536))) await new Promise((r) => client.once('drain', r));
    }
    client.end();
    await armDoneWatch(page, uiBytes(bytes));
    if (!(await waitDone(page, 120_000))) throw new Error('the page did not show the whole capture in 120 s');
    await armFrameMeter(page);
    const idleFrom = now();
    await sleep(1000);
    const idle = await frameStats(page, idleFrom, now());
    await page.keyboard.press('Control+f');
    const bar = page.getByRole('search', { name: 'Search the traffic' });
    await bar.getByLabel('Find').fill(needle.toString('latin1'));
    await bar.getByLabel('Match case').check();
    const t0 = now();
    await bar.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForFunction(() => /Match \d|No matches/.test(document.querySelector('.find-status')?.textContent ?? ''), null, { timeout: 120_000, polling: 10 });
    const t1 = now();
    const status = (await bar.getByRole('status').textContent()) ?? '';
    const during = await frameStats(page, t0, t1);
    await stopFrameMeter(page);
    return {
      searchMs: t1 - t0,
      status,
      found: status.includes(`of ${CONFIG.searchNeedles.toLocaleString('en-US')}`),
      longTasks: during.longTasks,
      longestTaskMs: during.longestTaskMs,
      idleLongestTaskMs: idle.longestTaskMs,
    };
  } finally {
    client?.destroy();
    await page?.close().catch(() => {});
    await host.close();
  }
}

/** N connections into a listener started from the UI, held until the UI lists them all. */
async function scaleInspector(browser, n) {
  const drops0 = listenDrops();
  const host = await startHost({ raiseFdLimit: true, nodeArgs: hostNodeArgs });
  let page;
  let client;
  try {
    page = await openApp(browser, host.url);
    const port = await startListenerFromUi(page);
    const clock = await pageClockOffset(page);
    await page.evaluate((count) => {
      const w = (window.__benchListed = { at: 0, heading: '', listener: '' });
      // The connections pane's summary ("10000 connections") and the listener's row in the tree ("10000 clients").
      const timer = setInterval(() => {
        const h = document.querySelector('.nav-summary')?.textContent ?? '';
        const l = document.querySelector('[role="treeitem"][aria-level="1"]')?.textContent ?? '';
        if (h.replace(/\s+/g, ' ').trim().startsWith(`${count} connections`) && l.includes(`${count} clients`)) {
          w.at = performance.timeOrigin + performance.now();
          w.heading = h;
          w.listener = l;
          clearInterval(timer);
        }
      }, 20);
    }, n);
    client = peer('many', { port, count: n, batch: CONFIG.connectBatch }, { raiseFdLimit: true });
    const connected = await waitLine(client, (o) => o.event === 'connected', 180_000, 'connections');
    let listed = null;
    try {
      await page.waitForFunction(() => window.__benchListed.at > 0, null, { timeout: 120_000, polling: 100 });
      listed = await page.evaluate(() => window.__benchListed);
    } catch {
      // not all listed: reported below
    }
    const status = procStatus(host.pid);
    const shown = await page.evaluate(() => ({
      heading: document.querySelector('.nav-summary')?.textContent ?? '',
      listener: document.querySelector('[role="treeitem"][aria-level="1"]')?.textContent ?? '',
    }));
    const drops1 = listenDrops();
    return {
      count: n,
      connected: connected.count,
      connectErrors: connected.errors,
      connectErrorCodes: connected.errorCodes,
      clientSeconds: (connected.connectedAt - connected.startedAt) / 1000,
      listed: Boolean(listed),
      seconds: listed ? (listed.at - connected.startedAt) / 1000 : NaN,
      shown,
      hostRss: status.rss,
      hostPeakRss: status.hwm,
      hostOpenFilesLimit: status.nofile,
      listenOverflows: drops1.overflows - drops0.overflows,
      listenDrops: drops1.drops - drops0.drops,
    };
  } finally {
    await stop(client);
    await page?.close().catch(() => {});
    await host.close();
  }
}

/** The same N connections into a plain node:net server in its own process. */
async function scaleNodeServer(n, backlog) {
  const drops0 = listenDrops();
  const server = peer('accept', { count: n, ...(backlog ? { backlog } : {}) }, { raiseFdLimit: true });
  let client;
  try {
    const { port } = await waitLine(server, (o) => o.event === 'listening', 10_000, 'port');
    client = peer('many', { port, count: n, batch: CONFIG.connectBatch }, { raiseFdLimit: true });
    const connected = await waitLine(client, (o) => o.event === 'connected', 180_000, 'connections');
    const accepted = await waitLine(server, (o) => o.event === 'accepted', 60_000, 'accept count');
    const status = procStatus(server.pid);
    const drops1 = listenDrops();
    return {
      count: n,
      backlog: backlog ?? 'default (511)',
      connected: connected.count,
      connectErrors: connected.errors,
      clientSeconds: (connected.connectedAt - connected.startedAt) / 1000,
      seconds: (accepted.acceptedAt - connected.startedAt) / 1000,
      rss: status.rss,
      peakRss: status.hwm,
      openFilesLimit: status.nofile,
      listenOverflows: drops1.overflows - drops0.overflows,
      listenDrops: drops1.drops - drops0.drops,
    };
  } finally {
    await stop(client);
    await stop(server);
  }
}

/**
 * Packet Sender where installed. Its command line is a client only; its TCP server is part of
 * the GUI, so it is started with Qt's offscreen platform and its listening port found in /proc.
 * What it received is read from the kernel: its socket's receive queue drains to zero once it
 * has read everything the sender wrote.
 */
async function streamIntoPacketSender(bytes) {
  const bin = which('packetsender');
  if (!bin) return { installed: false };
  const { mkdtemp, rm } = await import('node:fs/promises');
  const home = await mkdtemp(path.join(os.tmpdir(), 'si-bench-ps-'));
  const ps = start('env', [`HOME=${home}`, 'QT_QPA_PLATFORM=offscreen', bin], { name: 'packetsender' });
  let sender;
  try {
    const port = await findListeningPort(ps.pid, 15_000);
    if (!port) return { installed: true, ran: false, reason: 'Packet Sender started but opened no TCP listening port within 15 s (its TCP server may be off in its settings)' };
    if (!isLoopbackListener(port)) return { installed: true, ran: false, reason: `Packet Sender listens on port ${port}, but not on loopback: not used` };
    sender = peer('stream', { port, bytes });
    const sent = await waitLine(sender, (o) => o.event === 'done', transferTimeout(bytes), 'end of the stream');
    const drained = await waitReceiveQueueEmpty(port, 120_000);
    const seconds = drained ? (drained - sent.connectedAt) / 1000 : NaN;
    return { installed: true, ran: true, port, bytesSent: sent.bytes, allRead: Boolean(drained), seconds, mbps: drained ? bytes / seconds / MB : NaN };
  } catch (err) {
    return { installed: true, ran: false, reason: String(err.message ?? err) };
  } finally {
    await stop(sender);
    await stop(ps);
    await rm(home, { recursive: true, force: true });
  }
}

async function findListeningPort(pid, timeoutMs) {
  const { readdirSync, readlinkSync } = await import('node:fs');
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const inodes = new Set();
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      }
    } catch {
      // not started yet, or gone
    }
    const listening = tcpTable().find((r) => r.state === '0A' && inodes.has(r.inode));
    if (listening) return listening.lport;
    await sleep(200);
  }
  return null;
}

function isLoopbackListener(port) {
  // 0100007F is 127.0.0.1; 00000000 (any) also accepts loopback connections.
  return tcpTable().some((r) => r.state === '0A' && r.lport === port && (r.laddr === '0100007F' || /^0+$/.test(r.laddr) || r.laddr.endsWith('01000000')));
}

async function waitReceiveQueueEmpty(port, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const accepted = tcpTable().filter((r) => r.lport === port && r.state !== '0A');
    if (accepted.length && accepted.every((r) => r.rxQueue === 0)) return now();
    await sleep(10);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The run.

const results = { machine: { ...machine(), loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))) }, date: new Date().toISOString(), mode: args.quick ? 'quick' : 'full', sections: only, config: CONFIG, raw: {}, rows: [], errors: [] };
const startedAt = Date.now();
try {
  // What was measured: the build of this working tree, at this commit, with these files changed.
  const git = (...a) => execFileSync('git', a, { cwd: path.dirname(BENCH), encoding: 'utf8' }).trim();
  const changed = git('status', '--porcelain', '--', 'electron', 'renderer', 'shared').split('\n').filter(Boolean);
  results.git = { commit: git('rev-parse', 'HEAD'), uncommittedSourceFiles: changed.length };
} catch {
  results.git = null;
}
results.machine.busyProcessesAtStart = await busyProcesses();
const row = (r) => results.rows.push(r);
const has = (s) => only.includes(s);

async function section(name, fn) {
  const t = Date.now();
  process.stderr.write(`• ${name} …\n`);
  try {
    await fn();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    results.errors.push({ section: name, message });
    process.stderr.write(`  ${name} failed: ${message}\n`);
  }
  process.stderr.write(`  ${name}: ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
}

function verdict(pass) {
  return pass === null ? 'info' : pass ? 'PASS' : 'FAIL';
}

let browser;
try {
  browser = await launchBrowser();
  results.machine.chromium = `Chromium ${browser.version()}`;
  const [v1, v2] = CONFIG.volumes;
  const raw = results.raw;

  if (has('throughput') || has('rss')) {
    await section(`node:net sink, ${volumeLabel(v1)}`, async () => {
      raw.nodeSink = await streamIntoNodeSink(v1);
    });
    if (has('throughput')) {
      if (which('socat')) {
        await section(`socat sink, ${volumeLabel(v1)}`, async () => {
          raw.socat = await streamIntoSocat(v1);
        });
      } else raw.socat = { installed: false };
    }
    await section(`inspector, ${volumeLabel(v1)}, UI open`, async () => {
      raw.inspector1 = await streamIntoInspector(browser, v1);
    });
  }
  if (has('throughput')) {
    // Rounds: the sink, then the inspector in each view, each on a fresh host; ratios within a round.
    raw.captureRounds = [];
    for (let round = 1; round <= CONFIG.captureRounds; round++) {
      const r = { round, sink: null, views: {} };
      raw.captureRounds.push(r);
      await section(`round ${round}: node:net sink, ${volumeLabel(v1)}`, async () => {
        r.sink = await streamDirectHeld(v1);
      });
      for (const view of CAPTURE_VIEWS) {
        await section(`round ${round}: inspector in the ${view} view, ${volumeLabel(v1)}`, async () => {
          r.views[view] = await streamIntoInspector(browser, v1, view);
        });
      }
    }
  }
  if (has('rss')) {
    await section(`inspector, ${volumeLabel(v2)}, UI open`, async () => {
      raw.inspector2 = await streamIntoInspector(browser, v2);
    });
  }
  if (has('latency')) {
    await section(`latency, inspector, ${CONFIG.latencyRate}/s for ${CONFIG.latencySeconds} s`, async () => {
      raw.latency = await latencyInspector(browser);
    });
    await section(`latency, minimal page, ${CONFIG.latencyRate}/s for ${CONFIG.latencySeconds} s`, async () => {
      raw.latencyMinimal = await latencyMinimal(browser);
    });
    await section(`latency, inspector in the Lines view, ${CONFIG.latencyRate}/s for ${CONFIG.latencySeconds} s`, async () => {
      raw.latencyLines = await latencyInspector(browser, 'Lines');
    });
    await section(`latency, inspector in the Frames view, ${CONFIG.latencyRate}/s for ${CONFIG.latencySeconds} s`, async () => {
      raw.latencyFrames = await latencyInspector(browser, 'Frames');
    });
  }
  if (has('flood')) {
    await section(`flood, ${CONFIG.floodRate}/s for ${CONFIG.floodSeconds} s`, async () => {
      raw.flood = await flood(browser);
    });
    await section(`flood in the Lines view, ${CONFIG.floodRate}/s for ${CONFIG.floodSeconds} s`, async () => {
      raw.floodLines = await flood(browser, 'Lines');
    });
    await section(`flood in the Frames view, ${CONFIG.floodRate}/s for ${CONFIG.floodSeconds} s`, async () => {
      raw.floodFrames = await flood(browser, 'Frames');
    });
  }
  if (has('search')) {
    await section(`search, engine, ${args.quick ? '64' : '256'} MiB capture against Buffer.indexOf`, async () => {
      raw.searchEngine = await runSearchBench({ quick: args.quick });
    });
    await section(`search from the page, ${volumeLabel(CONFIG.searchBytes)} capture`, async () => {
      raw.searchPage = await searchFromPage(browser, CONFIG.searchBytes);
    });
  }
  if (has('files')) {
    await section(`export to pcapng and open again, ${args.quick ? '256 MiB' : '1 GiB'}, against a plain copy`, async () => {
      raw.files = await runFilesBench({ quick: args.quick });
    });
  }
  if (has('scale')) {
    await section(`${CONFIG.connections} connections, plain node:net server`, async () => {
      raw.scaleNode = await scaleNodeServer(CONFIG.connections);
    });
    await section(`${CONFIG.connections} connections, plain node:net server with the inspector's backlog (${LISTEN_BACKLOG})`, async () => {
      raw.scaleNodeBacklog = await scaleNodeServer(CONFIG.connections, LISTEN_BACKLOG);
    });
    await section(`${CONFIG.connections} connections, inspector`, async () => {
      raw.scale = await scaleInspector(browser, CONFIG.connections);
    });
  }
  if (has('packetsender')) {
    await section('Packet Sender', async () => {
      raw.packetSender = await streamIntoPacketSender(v1);
    });
  }
  if (has('relay')) {
    await section(`direct to node:net sink, ${volumeLabel(v1)}`, async () => {
      raw.relayDirect = await streamDirectHeld(v1);
    });
    await section(`through the inspector's relay, ${volumeLabel(v1)}, UI open`, async () => {
      raw.relay = await streamThroughRelay(browser, v1);
    });
    await section(`through a plain node:net pipe relay, ${volumeLabel(v1)}`, async () => {
      raw.relayPipe = await streamThroughPipeRelay(v1);
    });
    await section(`through the inspector's relay, ${volumeLabel(v1)}, no page`, async () => {
      raw.relayNoPage = await streamThroughRelay(null, v1);
    });
  }
  if (has('echo')) {
    await section(`echo, node:net echo server, ${volumeLabel(v1)}, client not reading for ${CONFIG.echoHoldSeconds} s`, async () => {
      raw.echoNode = await echoNodeServer(v1);
    });
    await section(`echo, inspector listener with Auto-reply Echo, ${volumeLabel(v1)}, client not reading for ${CONFIG.echoHoldSeconds} s`, async () => {
      raw.echo = await echoInspector(browser, v1);
    });
  }
} finally {
  await browser?.close();
}

// ---------------------------------------------------------------------------------------------
// Rows: value, baseline from this run, ratio = value / baseline, target, verdict.
{
  const { raw } = results;
  const [v1, v2] = CONFIG.volumes;
  const missing = (id, figure, target, why) => row({ id, figure, value: 'n/a', baseline: '', ratio: '', target, result: 'FAIL', note: why });
  const err = (names) => results.errors.filter((e) => names.some((n) => e.section.startsWith(n))).map((e) => e.message).join('; ') || 'not measured';

  if (has('throughput')) {
    const target = '≥ 50% of node:net sink (median)';
    const rounds = raw.captureRounds ?? [];
    CAPTURE_VIEWS.forEach((view, k) => {
      const id = k === 0 ? '1' : `1${'cdef'[k - 1]}`;
      const figure = `${id}. Capture throughput, ${volumeLabel(v1)}, UI open, connection selected, ${view} view (median of ${CONFIG.captureRounds} rounds)`;
      const pairs = rounds.filter((r) => r.sink && r.views[view]).map((r) => ({ sink: r.sink.mbps, mbps: r.views[view].mbps, ratio: r.views[view].mbps / r.sink.mbps }));
      if (pairs.length === 0) return missing(`throughput-${view}`, figure, target, err([`round`]));
      const ratios = pairs.map((p) => p.ratio);
      const ratio = median(ratios);
      row({
        id: `throughput-${view}`,
        figure,
        value: `${fmt(median(pairs.map((p) => p.mbps)))} MB/s${view === 'Chunks' ? '' : `, last row listed ${fmt(median(rounds.map((r) => (r.views[view]?.viewCaughtUpAfterMs ?? NaN) / 1000)), 1)} s later`}`,
        baseline: `node:net sink ${fmt(median(pairs.map((p) => p.sink)))} MB/s`,
        ratio: `${ratio.toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
        target,
        // A row view that never listed the last row within 2 minutes fails whatever its speed.
        result: verdict(pairs.length === CONFIG.captureRounds && ratio >= 0.5 && (view === 'Chunks' || rounds.every((r) => r.views[view]?.viewCaughtUpAfterMs != null))),
      });
    });
    // What a GiB costs, host and page, in each view (medians over the rounds).
    const costs = CAPTURE_VIEWS.filter((view) => rounds.some((r) => r.views[view]?.cpu)).map((view) => {
      const c = (k) => fmt(median(rounds.map((r) => r.views[view]?.cpu?.[k])), 2);
      return `${view} ${c('hostSecondsPerGiB')} / ${c('pageThreadSecondsPerGiB')} / ${c('pageProcessSecondsPerGiB')}`;
    });
    if (costs.length) {
      row({ id: 'throughput-cpu', figure: '1g. CPU seconds per GiB captured (median): host / page main thread / page renderer process', value: costs.join('; '), baseline: '', ratio: '', target: '(reference)', result: 'info' });
    }
    if (raw.inspector1 && raw.nodeSink) {
      const pauses = (r) => `${r.sender.drainWaitsOver50ms} waits > 50 ms, longest ${fmt(r.sender.longestDrainMs, 0)} ms`;
      row({ id: 'throughput-pauses', figure: `1a. Sender blocked by the receiver (waits for 'drain')`, value: pauses(raw.inspector1), baseline: `node:net sink: ${pauses(raw.nodeSink)}`, ratio: '', target: '(reference)', result: 'info' });
    } else missing('throughput', figure, target, err(['inspector', 'node:net']));
    if (raw.socat?.mbps && raw.nodeSink) {
      row({ id: 'throughput-socat', figure: `1b. Same stream into socat -u … /dev/null`, value: `${fmt(raw.socat.mbps)} MB/s`, baseline: `node:net sink ${fmt(raw.nodeSink.mbps)} MB/s`, ratio: (raw.socat.mbps / raw.nodeSink.mbps).toFixed(2), target: '(reference)', result: 'info' });
    } else if (raw.socat?.installed === false) {
      row({ id: 'throughput-socat', figure: '1b. Same stream into socat', value: 'socat not installed', baseline: '', ratio: '', target: '(reference)', result: 'info' });
    }
  }
  if (has('rss')) {
    const target = '< 300 MB';
    if (raw.inspector1 && raw.nodeSink) {
      const v = raw.inspector1.hostPeakRss;
      row({ id: 'rss-1', figure: `2a. Peak RSS of the host, ${volumeLabel(v1)} (VmHWM)`, value: mb(v), baseline: `node:net sink ${mb(raw.nodeSink.sinkPeakRss)}`, ratio: (v / raw.nodeSink.sinkPeakRss).toFixed(2), target, result: verdict(v < 300 * MB) });
    } else missing('rss-1', `2a. Peak RSS of the host, ${volumeLabel(v1)}`, target, err(['inspector', 'node:net']));
    if (raw.inspector2 && raw.inspector1) {
      const v = raw.inspector2.hostPeakRss;
      const growth = v / raw.inspector1.hostPeakRss;
      row({
        id: 'rss-2',
        figure: `2b. Peak RSS of the host, ${volumeLabel(v2)} (VmHWM)`,
        value: mb(v),
        baseline: `host at ${volumeLabel(v1)} ${mb(raw.inspector1.hostPeakRss)}`,
        ratio: growth.toFixed(2),
        target: '< 300 MB, not growing (ratio ≤ 1.25)',
        result: verdict(v < 300 * MB && growth <= GROWTH_TOLERANCE),
      });
    } else missing('rss-2', `2b. Peak RSS of the host, ${volumeLabel(v2)}`, '< 300 MB, not growing', err(['inspector']));
  }
  if (has('latency')) {
    const l = raw.latency;
    const b = raw.latencyMinimal;
    const base = (k) => (b ? `minimal page ${fmt(b[k])} ms` : 'minimal page n/a');
    const ratio = (k) => (l && b ? (l[k] / b[k]).toFixed(2) : '');
    if (l) {
      const rows = `${l.rows} rows / ${l.chunks} chunks`;
      row({ id: 'latency-p50', figure: `3a. UI latency chunk → row, p50, ${CONFIG.latencyRate}/s (${rows})`, value: `${fmt(l.p50)} ms`, baseline: base('p50'), ratio: ratio('p50'), target: '(reference)', result: 'info' });
      row({ id: 'latency-p99', figure: `3b. UI latency chunk → row, p99, ${CONFIG.latencyRate}/s`, value: `${fmt(l.p99)} ms`, baseline: base('p99'), ratio: ratio('p99'), target: 'p99 < 50 ms', result: verdict(l.rows > 0 && l.p99 < 50) });
    } else missing('latency-p99', '3. UI latency chunk → row', 'p99 < 50 ms', err(['latency']));
    for (const [id, key, name] of [
      ['latency-lines-p99', 'latencyLines', '3c. UI latency chunk → row in the Lines view, p99'],
      ['latency-frames-p99', 'latencyFrames', '3d. UI latency chunk → row in the Frames view (LF), p99'],
    ]) {
      const v = raw[key];
      if (v) row({ id, figure: `${name}, ${CONFIG.latencyRate}/s (${v.rows} rows)`, value: `${fmt(v.p99)} ms`, baseline: base('p99'), ratio: b ? (v.p99 / b.p99).toFixed(2) : '', target: 'p99 < 50 ms', result: verdict(v.rows > 0 && v.p99 < 50) });
      else missing(id, name, 'p99 < 50 ms', err([`latency, inspector in the ${key === 'latencyLines' ? 'Lines' : 'Frames'}`]));
    }
  }
  if (has('flood')) {
    const f = raw.flood;
    if (f) {
      const rate = `${Math.round(f.chunksPerSecond).toLocaleString('en-US')} chunks/s from ${Math.round(f.sentPerSecond).toLocaleString('en-US')} writes/s`;
      const worst = f.floodAndCatchUp;
      row({
        id: 'flood-longtask',
        figure: `4a. Longest main-thread task, flood ${CONFIG.floodSeconds} s (${rate}) and catch-up`,
        value: worst.longTasks ? `${fmt(worst.longestTaskMs, 0)} ms (${worst.longTasks} over 50 ms)` : 'none over 50 ms',
        baseline: f.idle.longTasks ? `idle ${fmt(f.idle.longestTaskMs, 0)} ms` : 'idle: none over 50 ms',
        ratio: f.idle.longestTaskMs > 0 && worst.longestTaskMs > 0 ? (worst.longestTaskMs / f.idle.longestTaskMs).toFixed(2) : 'n/a',
        target: 'no task > 100 ms',
        result: verdict(f.uiCaughtUp && worst.longestTaskMs <= 100),
      });
      row({ id: 'flood-fps', figure: `4b. Frames per second during the flood`, value: fmt(f.flood.fps), baseline: `idle ${fmt(f.idle.fps)}`, ratio: (f.flood.fps / f.idle.fps).toFixed(2), target: '(reference)', result: 'info' });
      row({ id: 'flood-gap', figure: `4c. Longest gap between frames during flood and catch-up`, value: `${fmt(worst.maxFrameGapMs, 0)} ms`, baseline: `idle ${fmt(f.idle.maxFrameGapMs, 0)} ms`, ratio: (worst.maxFrameGapMs / f.idle.maxFrameGapMs).toFixed(2), target: '(reference)', result: 'info' });
      row({ id: 'flood-catchup', figure: `4d. UI behind the engine when the flood stops (until it shows the last byte)`, value: f.uiCaughtUp ? `${fmt(f.catchUpMs / 1000, 2)} s` : 'did not catch up in 60 s', baseline: '—', ratio: '', target: '(reference)', result: 'info' });
    } else missing('flood-longtask', '4. UI under a flood', 'no task > 100 ms', err(['flood']));
    for (const [id, key, name] of [
      ['flood-lines-longtask', 'floodLines', '4e. Longest main-thread task, flood and catch-up, Lines view'],
      ['flood-frames-longtask', 'floodFrames', '4f. Longest main-thread task, flood and catch-up, Frames view (LF)'],
    ]) {
      const v = raw[key];
      if (v) {
        const worst = v.floodAndCatchUp;
        row({
          id,
          figure: `${name} (${Math.round(v.chunksPerSecond).toLocaleString('en-US')} chunks/s)`,
          value: worst.longTasks ? `${fmt(worst.longestTaskMs, 0)} ms (${worst.longTasks} over 50 ms)` : 'none over 50 ms',
          baseline: v.idle.longTasks ? `idle ${fmt(v.idle.longestTaskMs, 0)} ms` : 'idle: none over 50 ms',
          ratio: v.idle.longestTaskMs > 0 && worst.longestTaskMs > 0 ? (worst.longestTaskMs / v.idle.longestTaskMs).toFixed(2) : 'n/a',
          target: 'no task > 100 ms',
          result: verdict(v.uiCaughtUp && worst.longestTaskMs <= 100),
        });
      } else missing(id, name, 'no task > 100 ms', err([`flood in the ${key === 'floodLines' ? 'Lines' : 'Frames'}`]));
    }
  }
  if (has('scale')) {
    const s = raw.scale;
    const b = raw.scaleNode;
    const n = CONFIG.connections.toLocaleString('en-US');
    if (s) {
      row({
        id: 'scale-time',
        figure: `5a. ${n} connections: time until all accepted and listed in the UI`,
        value: s.listed ? `${fmt(s.seconds, 2)} s` : `not listed (${s.shown.heading.replace(/\s+/g, ' ').trim()}; ${s.connected} connected)`,
        baseline: b ? `node:net accept ${fmt(b.seconds, 2)} s` : 'n/a',
        ratio: s.listed && b ? (s.seconds / b.seconds).toFixed(2) : '',
        target: 'all accepted and listed, ≤ 3× node:net',
        result: verdict(s.listed && s.connected === CONFIG.connections && Boolean(b) && s.seconds <= 3 * b.seconds),
      });
      const bb = raw.scaleNodeBacklog;
      if (bb) {
        row({
          id: 'scale-time-backlog',
          figure: `5c. The same ${n} connections, against a node:net server with the inspector's listen backlog (${LISTEN_BACKLOG})`,
          value: s.listed ? `${fmt(s.seconds, 2)} s` : 'not listed',
          baseline: `node:net accept ${fmt(bb.seconds, 2)} s`,
          ratio: s.listed ? (s.seconds / bb.seconds).toFixed(2) : '',
          target: '(reference)',
          result: 'info',
        });
      }
      row({
        id: 'scale-rss',
        figure: `5b. Host RSS with ${n} connections open`,
        value: mb(s.hostRss),
        baseline: b ? `node:net server ${mb(b.rss)}` : 'n/a',
        ratio: b ? (s.hostRss / b.rss).toFixed(2) : '',
        target: '< 1 GB',
        result: verdict(s.hostRss < 1000 * MB),
      });
    } else missing('scale-time', `5. ${n} connections`, 'all accepted and listed, RSS < 1 GB', err([`${CONFIG.connections} connections`]));
  }
  if (has('packetsender')) {
    const p = raw.packetSender;
    if (!p || !p.installed) {
      row({ id: 'packetsender', figure: `6. Same ${volumeLabel(v1)} stream into Packet Sender's TCP server`, value: 'packetsender not installed', baseline: '', ratio: '', target: '(reference)', result: 'skipped' });
    } else if (!p.ran) {
      row({ id: 'packetsender', figure: `6. Same ${volumeLabel(v1)} stream into Packet Sender's TCP server`, value: `not run: ${p.reason}`, baseline: '', ratio: '', target: '(reference)', result: 'info' });
    } else {
      row({
        id: 'packetsender',
        figure: `6. Same ${volumeLabel(v1)} stream into Packet Sender's TCP server`,
        value: p.allRead ? `read all ${mb(p.bytesSent)}, ${fmt(p.mbps)} MB/s` : `did not read all ${mb(p.bytesSent)} within 2 min`,
        baseline: raw.nodeSink ? `node:net sink ${fmt(raw.nodeSink.mbps)} MB/s` : 'n/a',
        ratio: p.allRead && raw.nodeSink ? (p.mbps / raw.nodeSink.mbps).toFixed(2) : '',
        target: '(reference)',
        result: 'info',
      });
    }
  }
  if (has('relay')) {
    const r = raw.relay;
    const d = raw.relayDirect;
    const figure = `7. Relay throughput, ${volumeLabel(v1)} through the relay, UI open, pair selected`;
    const target = '≥ 50% of direct';
    if (r && d) {
      const ratio = r.mbps / d.mbps;
      row({ id: 'relay', figure, value: `${fmt(r.mbps)} MB/s`, baseline: `direct to node:net sink ${fmt(d.mbps)} MB/s`, ratio: ratio.toFixed(2), target, result: verdict(ratio >= 0.5) });
      row({
        id: 'relay-rss',
        figure: `7a. Peak RSS of the host during the relay run (VmHWM)`,
        value: mb(r.hostPeakRss),
        baseline: raw.inspector1 ? `capture host at ${volumeLabel(v1)} ${mb(raw.inspector1.hostPeakRss)}` : `node:net sink ${mb(d.sinkPeakRss)}`,
        ratio: (r.hostPeakRss / (raw.inspector1 ? raw.inspector1.hostPeakRss : d.sinkPeakRss)).toFixed(2),
        target: '(reference)',
        result: 'info',
      });
    } else missing('relay', figure, target, err(['direct to node:net', 'through the inspector']));
    const n = raw.relayNoPage;
    if (n && d) {
      row({ id: 'relay-no-page', figure: `7b. Same stream through the relay, no page open`, value: `${fmt(n.mbps)} MB/s`, baseline: `direct to node:net sink ${fmt(d.mbps)} MB/s`, ratio: (n.mbps / d.mbps).toFixed(2), target: '(reference)', result: 'info' });
    }
    const p = raw.relayPipe;
    if (p && d) {
      row({ id: 'relay-pipe', figure: `7c. Same stream through a plain node:net relay (socket.pipe both ways)`, value: `${fmt(p.mbps)} MB/s`, baseline: `direct to node:net sink ${fmt(d.mbps)} MB/s`, ratio: (p.mbps / d.mbps).toFixed(2), target: '(reference)', result: 'info' });
      const c = (x, k) => fmt(x?.cpu?.[k] ?? NaN, 2);
      row({
        id: 'relay-cpu',
        figure: '7e. CPU seconds per GiB relayed: the relay with the page (host / page main thread / renderer process), without a page (host), and the plain relay',
        value: `${c(r, 'hostSecondsPerGiB')} / ${c(r, 'pageThreadSecondsPerGiB')} / ${c(r, 'pageProcessSecondsPerGiB')}; ${c(n, 'hostSecondsPerGiB')}; ${fmt(p.relayCpuSecondsPerGiB, 2)}`,
        baseline: '',
        ratio: '',
        target: '(reference)',
        result: 'info',
      });
      if (r) row({ id: 'relay-vs-pipe', figure: `7d. The inspector's relay (row 7) against that plain relay`, value: `${fmt(r.mbps)} MB/s`, baseline: `node:net pipe relay ${fmt(p.mbps)} MB/s`, ratio: (r.mbps / p.mbps).toFixed(2), target: '(reference)', result: 'info' });
    }
  }
  if (has('echo')) {
    const e = raw.echo;
    const b = raw.echoNode;
    const hold = `${CONFIG.echoHoldSeconds} s`;
    const figure = `8. Peak RSS of the host, Echo, client not reading for ${hold} then reading, ${volumeLabel(v1)} (VmHWM)`;
    const target = '< 300 MB';
    if (e) {
      const base = (f) => (b ? `node:net echo server ${f(b)}` : 'node:net echo server n/a');
      row({ id: 'echo-rss', figure, value: mb(e.peakRss), baseline: base((r) => mb(r.peakRss)), ratio: b ? (e.peakRss / b.peakRss).toFixed(2) : '', target, result: verdict(e.peakRss < 300 * MB) });
      row({
        id: 'echo-rss-not-reading',
        figure: `8a. Host RSS while the client does not read (highest sample)`,
        value: mb(e.rssWhileNotReadingMax),
        baseline: base((r) => mb(r.rssWhileNotReadingMax)),
        ratio: b ? (e.rssWhileNotReadingMax / b.rssWhileNotReadingMax).toFixed(2) : '',
        target: '(reference)',
        result: 'info',
      });
      const through = (r) => `${mb(r.acceptedWhileNotReading)}, send blocked ${fmt(r.writerStalledMs / 1000, 1)} s`;
      row({
        id: 'echo-through',
        figure: `8b. Bytes the client got through while not reading (${hold})`,
        value: through(e),
        baseline: base(through),
        ratio: b ? (e.acceptedWhileNotReading / b.acceptedWhileNotReading).toFixed(2) : '',
        target: '(reference)',
        result: 'info',
      });
      row({
        id: 'echo-time',
        figure: `8c. Time to echo ${volumeLabel(v1)} once the client reads`,
        value: Number.isFinite(e.echoSeconds) ? `${fmt(e.echoSeconds, 2)} s` : 'not all back',
        baseline: base((r) => `${fmt(r.echoSeconds, 2)} s`),
        ratio: b && Number.isFinite(e.echoSeconds) ? (e.echoSeconds / b.echoSeconds).toFixed(2) : '',
        target: '(reference)',
        result: 'info',
      });
      const intact = (r) => (r.identical ? 'yes' : `no (${mb(r.received)} back${r.blocksInOrder ? '' : ', out of order'}${r.sentSha256 === r.receivedSha256 ? '' : ', sha256 differs'})`);
      row({ id: 'echo-intact', figure: `8d. Bytes identical (${volumeLabel(v1)} back, in order, same sha256)`, value: intact(e), baseline: base(intact), ratio: '', target: 'identical', result: verdict(e.identical) });
    } else missing('echo-rss', figure, target, err(['echo']));
  }
  if (has('search')) {
    const e = raw.searchEngine?.find((r) => r.row === 'search');
    const figure = `9a. Search a ${args.quick ? '64' : '256'} MiB spilled capture for a 16-byte needle (${args.quick ? 250 : 1000} occurrences)`;
    if (e) {
      row({ id: 'search', figure, value: `${fmt(e.inspectorMs, 0)} ms (${e.matches} found)`, baseline: `Buffer.indexOf ${fmt(e.indexOfMs, 0)} ms`, ratio: e.ratio.toFixed(2), target: '≥ 0.5 of Buffer.indexOf', result: verdict(e.ratio >= 0.5 && e.matches === e.expected) });
      for (const r of raw.searchEngine.filter((x) => x.row !== 'search')) {
        row({ id: r.row, figure: `9b. ${r.row === 'search-regex' ? 'Regex' : 'Case-insensitive text'} search, same capture`, value: `${fmt(r.inspectorMs, 0)} ms`, baseline: `Buffer.indexOf ${fmt(e.indexOfMs, 0)} ms`, ratio: r.ratio.toFixed(2), target: '(reference)', result: 'info' });
      }
    } else missing('search', figure, '≥ 0.5 of Buffer.indexOf', err(['search, engine']));
    const p = raw.searchPage;
    const pf = `9c. Longest page task while a ${volumeLabel(CONFIG.searchBytes)} capture is searched from the find bar`;
    if (p) {
      row({
        id: 'search-page-longtask',
        figure: `${pf} (${fmt(p.searchMs, 0)} ms, ${p.status})`,
        value: p.longTasks ? `${fmt(p.longestTaskMs, 0)} ms (${p.longTasks} over 50 ms)` : 'none over 50 ms',
        baseline: p.idleLongestTaskMs ? `idle ${fmt(p.idleLongestTaskMs, 0)} ms` : 'idle: none over 50 ms',
        ratio: '',
        target: 'no task > 100 ms',
        result: verdict(p.found && p.longestTaskMs <= 100),
      });
    } else missing('search-page-longtask', pf, 'no task > 100 ms', err(['search from the page']));
  }
  if (has('files')) {
    const size = args.quick ? '256 MiB' : '1 GiB';
    const copy = raw.files?.find((r) => r.row === 'files-copy');
    const exp = raw.files?.find((r) => r.row === 'files-export');
    const open = raw.files?.find((r) => r.row === 'files-open');
    const base = copy ? `plain copy ${fmt(copy.mbps)} MB/s` : 'plain copy n/a';
    const rss = (r) => `peak ${fmt(r.rss.peakMB, 0)} MB (half-way ${fmt(r.rss.halfMB, 0)}, end ${fmt(r.rss.endMB, 0)})`;
    const flat = (r) => r.rss.peakMB < 300 && r.rss.endMB < r.rss.halfMB * 1.25 + 20;
    const fe = `10a. Export a ${size} capture to pcapng (engine process)`;
    if (exp && copy) {
      row({ id: 'files-export', figure: `${fe}, ${mb(exp.fileBytes)} file`, value: `${fmt(exp.mbps)} MB/s`, baseline: base, ratio: exp.ratio.toFixed(2), target: '(reference)', result: 'info' });
      row({ id: 'files-export-rss', figure: `10b. Engine RSS while exporting ${size}`, value: rss(exp), baseline: `copy: peak ${fmt(copy.rss.peakMB, 0)} MB`, ratio: '', target: '< 300 MB, flat', result: verdict(flat(exp)) });
    } else missing('files-export', fe, '(reference)', err(['export to pcapng']));
    const fo = `10c. Open that pcapng again (${open?.streams ?? '?'} stream, bytes ${open?.same ? 'identical' : 'DIFFERENT'})`;
    if (open && copy) {
      row({ id: 'files-open', figure: fo, value: `${fmt(open.mbps)} MB/s`, baseline: base, ratio: open.ratio.toFixed(2), target: '(reference)', result: open.same ? 'info' : 'FAIL' });
      row({ id: 'files-open-rss', figure: `10d. Engine RSS while opening it`, value: rss(open), baseline: `copy: peak ${fmt(copy.rss.peakMB, 0)} MB`, ratio: '', target: '< 300 MB, flat', result: verdict(flat(open)) });
    } else missing('files-open', fo, '(reference)', err(['export to pcapng']));
  }
}

results.durationSeconds = Math.round((Date.now() - startedAt) / 1000);
results.machine.loadAverageAtEnd = os.loadavg().map((l) => Number(l.toFixed(2)));

/** The table as Markdown, which also reads well in a terminal. */
function table(rows) {
  const head = ['Figure', 'Value', 'Baseline (same run)', 'Ratio', 'Target', 'Result'];
  const lines = rows.map((r) => [r.figure, r.value, r.baseline, r.ratio, r.target, r.result]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const fmtLine = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [fmtLine(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...lines.map(fmtLine)].join('\n');
}

results.table = table(results.rows);
// An interrupted run's numbers are incomplete: the last results file stays as it was.
if (!wasInterrupted()) {
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
}
const m = results.machine;
console.log(`\n${results.table}\n`);
console.log(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memory}, ${m.os}, Node ${m.node}, ${m.chromium ?? 'Chromium n/a'}`);
for (const p of m.busyProcessesAtStart ?? []) console.log(`Note: another process was busy when the bench started: ${p.name} (pid ${p.pid}, ${p.cpuPercent}% of a core).`);
console.log(`MB = 10^6 bytes. Ran ${results.durationSeconds} s (${results.mode}). ${wasInterrupted() ? 'Interrupted: no results written.' : `Results: ${path.relative(process.cwd(), outFile)}`}`);
for (const e of results.errors) console.log(`Error in ${e.section}: ${e.message}`);
process.exitCode = results.errors.length ? 1 : 0;
