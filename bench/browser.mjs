// Chromium for the bench (Debian's, where present) and what the bench does in the page:
// drive the UI by role and label, and measure inside the page with the page's own clock.
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { onCleanup } from './procs.mjs';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Launches headless Chromium; closed on interrupt too. */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM_PATH ?? (existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined);
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const off = onCleanup(() => browser.close());
  const close = browser.close.bind(browser);
  browser.close = async () => {
    off();
    await close().catch(() => {});
  };
  return browser;
}

/** Opens a page at the host's URL and waits for the UI. */
export async function openApp(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  await page.getByRole('toolbar', { name: 'New' }).waitFor({ timeout: 15_000 });
  return page;
}

/**
 * Starts a listener from the UI (127.0.0.1, port 0) and reads the chosen port from its row.
 * Names match exactly: other forms have fields such as "Relay listen address".
 */
export async function startListenerFromUi(page) {
  await page.getByRole('toolbar', { name: 'New' }).getByRole('button', { name: 'Listen', exact: true }).click();
  const form = page.getByRole('dialog', { name: 'New listener' });
  await form.getByLabel('Listen address', { exact: true }).fill('127.0.0.1');
  await form.getByLabel('Listen port', { exact: true }).fill('0');
  await form.getByRole('button', { name: 'Start listener', exact: true }).click();
  const row = listenerRow(page);
  await row.waitFor({ timeout: 10_000 });
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    const m = /127\.0\.0\.1:(\d+)/.exec((await row.innerText()) ?? '');
    if (m) return Number(m[1]);
    await page.waitForTimeout(20);
  }
  throw new Error('the listener row shows no port');
}

/** The newest listener's row in the connections tree (listener rows have their own Stop). */
export function listenerRow(page) {
  return page
    .getByRole('tree', { name: 'Connections' })
    .getByRole('treeitem', { level: 1 })
    .filter({ has: page.getByRole('button', { name: /^Stop / }) })
    .last();
}

/** Waits until the selected connection's Traffic log is on the page. */
export async function waitTrafficLog(page) {
  await page.getByRole('log', { name: 'Traffic' }).waitFor({ timeout: 15_000 });
}

/** Clock offset page − bench process (ms), from the tightest of a few round trips. */
export async function pageClockOffset(page) {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 15; i++) {
    const t0 = performance.timeOrigin + performance.now();
    const p = await page.evaluate(() => performance.timeOrigin + performance.now());
    const t1 = performance.timeOrigin + performance.now();
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: p - (t0 + t1) / 2 };
  }
  return best;
}

/**
 * Polls (every 5 ms, in the page) the selected connection's header until it shows `bytesLabel`
 * received and the peer's FIN (or closed): the engine has then received every byte, since FIN
 * comes after the data. Records the page time when it first does, and the header text.
 */
export async function armDoneWatch(page, bytesLabel) {
  await page.evaluate((label) => {
    const w = (window.__benchDone = { at: 0, text: '' });
    const timer = setInterval(() => {
      const main = document.querySelector('[aria-label="Selected connection"]');
      const header = main?.querySelector('header');
      const text = header?.textContent ?? '';
      if (text.includes(`in ${label} `) && (text.includes('peer sent FIN') || text.includes('closed'))) {
        w.at = performance.timeOrigin + performance.now();
        w.text = text;
        clearInterval(timer);
      }
    }, 5);
  }, bytesLabel);
}

/** Waits for armDoneWatch's condition; returns { at, text } or null on time-out. */
export async function waitDone(page, timeoutMs) {
  try {
    await page.waitForFunction(() => window.__benchDone && window.__benchDone.at > 0, null, { timeout: timeoutMs, polling: 100 });
  } catch {
    return null;
  }
  return page.evaluate(() => window.__benchDone);
}

/** The selected connection's header text (counters), for the record. */
export async function headerText(page) {
  return page.evaluate(() => document.querySelector('[aria-label="Selected connection"] header')?.textContent ?? '');
}

/**
 * Records, for every traffic row that appears (first time its data-seq is seen), page time minus
 * its data-time (the engine's receive time). Watches the whole body: rows added and rows whose
 * data-seq changes (a recycled element).
 */
export async function armLatencyObserver(page) {
  await page.evaluate(() => {
    const seen = new Set();
    const lat = [];
    const take = (el) => {
      if (!(el instanceof Element)) return;
      const rows = el.matches('[role="row"][data-seq]') ? [el] : el.querySelectorAll('[role="row"][data-seq]');
      const t = performance.timeOrigin + performance.now();
      for (const row of rows) {
        const seq = row.dataset.seq;
        if (seen.has(seq)) continue;
        seen.add(seq);
        const time = Number(row.dataset.time);
        if (Number.isFinite(time)) lat.push(t - time);
      }
    };
    const log = document.querySelector('[role="log"][aria-label="Traffic"]');
    const obs = new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === 'attributes') take(r.target);
        else for (const n of r.addedNodes) take(n);
      }
    });
    obs.observe(log, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-seq'] });
    window.__benchLatency = { lat, seen, stop: () => obs.disconnect() };
  });
}

/** Stops the latency observer and returns the samples (ms). */
export async function collectLatency(page) {
  return page.evaluate(() => {
    const l = window.__benchLatency;
    l.stop();
    return { samples: l.lat, rows: l.seen.size };
  });
}

/** Starts counting frames (requestAnimationFrame) and long tasks (PerformanceObserver). */
export async function armFrameMeter(page) {
  await page.evaluate(() => {
    const m = (window.__benchFrames = { frames: [], longtasks: [], running: true });
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) m.longtasks.push({ start: performance.timeOrigin + e.startTime, duration: e.duration });
    });
    obs.observe({ type: 'longtask', buffered: false });
    m.obs = obs;
    const tick = () => {
      if (!m.running) return;
      m.frames.push(performance.timeOrigin + performance.now());
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

/** Frames and long tasks between two page times (ms since epoch). */
export async function frameStats(page, from, to) {
  return page.evaluate(
    ({ from, to }) => {
      const m = window.__benchFrames;
      const frames = m.frames.filter((t) => t >= from && t <= to);
      let maxGap = 0;
      for (let i = 1; i < frames.length; i++) maxGap = Math.max(maxGap, frames[i] - frames[i - 1]);
      // A gap that spans the window's start or end counts too.
      if (frames.length) maxGap = Math.max(maxGap, frames[0] - from, to - frames[frames.length - 1]);
      else maxGap = to - from;
      const tasks = m.longtasks.filter((t) => t.start + t.duration >= from && t.start <= to);
      return {
        fps: (frames.length / (to - from)) * 1000,
        frames: frames.length,
        maxFrameGapMs: maxGap,
        longTasks: tasks.length,
        longestTaskMs: tasks.reduce((a, t) => Math.max(a, t.duration), 0),
      };
    },
    { from, to },
  );
}

export async function stopFrameMeter(page) {
  await page.evaluate(() => {
    const m = window.__benchFrames;
    m.running = false;
    m.obs.disconnect();
  });
}

/**
 * CPU the page has used so far, in seconds, from Chromium's own counters (the DevTools
 * Performance domain, over a CDP session opened once per page): `thread`, its main thread
 * (ThreadTime), and `process`, its whole renderer process with the compositor and raster threads
 * (ProcessTime).
 */
export async function pageCpuSeconds(page) {
  let session = pageSessions.get(page);
  if (!session) {
    session = await page.context().newCDPSession(page);
    await session.send('Performance.enable');
    pageSessions.set(page, session);
  }
  const { metrics } = await session.send('Performance.getMetrics');
  const metric = (name) => metrics.find((m) => m.name === name)?.value ?? NaN;
  return { thread: metric('ThreadTime'), process: metric('ProcessTime') };
}

const pageSessions = new WeakMap();

/**
 * Waits (polling every 20 ms in the page) until the Lines, Stream or Frames view, following,
 * lists a row that ends within `slack` bytes of the stream's end `bytes`; returns that moment
 * (page time, ms since the epoch), or null after `timeoutMs`. Those views read their rows from
 * the engine at their own pace during a flood and catch up after it.
 */
export async function waitViewCaughtUp(page, bytes, timeoutMs, slack = 64) {
  await page.evaluate(
    ([end, within]) => {
      const w = (window.__benchViewCaughtUp = { at: 0 });
      const timer = setInterval(() => {
        const rows = document.querySelectorAll('[role="log"][aria-label="Traffic"] [role="row"]');
        const text = rows[rows.length - 1]?.querySelector('.cell-offsets')?.textContent ?? '';
        const last = Number(/(\d+)\s*$/.exec(text)?.[1] ?? NaN);
        if (last >= end - 1 - within) {
          w.at = performance.timeOrigin + performance.now();
          clearInterval(timer);
        }
      }, 20);
    },
    [bytes, slack],
  );
  try {
    await page.waitForFunction(() => window.__benchViewCaughtUp.at > 0, null, { timeout: timeoutMs, polling: 100 });
  } catch {
    return null;
  }
  return page.evaluate(() => window.__benchViewCaughtUp.at);
}
