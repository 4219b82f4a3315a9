/**
 * Runs the built desktop app (dist/electron/main.cjs, preload.cjs, engine.cjs) in this test
 * process under the stand-in Electron (electron.ts): `require('electron')` from the app gets the
 * stand-in while it runs. Test-only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { BrowserContext, Page } from '@playwright/test';
import type { ConnectionInfo } from '../../shared/model';
import { createWireClient } from '../../shared/wire-client';
import { createStandIn, type StandIn } from './electron';
import { StandInMessageChannelMain } from './utility';

const require = createRequire(import.meta.url);
const Module = require('node:module') as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };

/** The desktop app, running. */
export interface DesktopApp {
  /** Its window. */
  page: Page;
  standIn: StandIn;
  /** Quits it as a user would (app.quit) and resolves with the exit status, once its engine process is gone. */
  quit(): Promise<number>;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Starts the built app; `root` is the project folder (after `npm run build`). */
export async function launchDesktop(context: BrowserContext, root: string): Promise<DesktopApp> {
  const main = path.join(root, 'dist/electron/main.cjs');
  for (const built of ['dist/electron/main.cjs', 'dist/electron/preload.cjs', 'dist/electron/engine.cjs', 'dist/renderer/index.html']) {
    if (!existsSync(path.join(root, built))) throw new Error(`${built} is missing: run "npm run build" before the desktop tests`);
  }
  const userData = await mkdtemp(path.join(tmpdir(), 'si-desktop-'));
  const standIn = createStandIn({ context, userData, readPreload: (file) => readFileSync(file, 'utf8') });
  // The app's main process adds its own signal handlers; they are taken away again after it.
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const originalLoad = Module._load;
  Module._load = function load(request, parent, isMain) {
    if (request === 'electron') return standIn.electron;
    return originalLoad.call(this, request, parent, isMain);
  };
  delete require.cache[main];
  require(main);
  let done = false;
  const cleanup = async () => {
    if (done) return;
    done = true;
    Module._load = originalLoad;
    delete require.cache[main];
    for (const s of SIGNALS) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l as () => void);
    for (const child of standIn.utilityProcesses) if (child.pid !== undefined) child.child.kill('SIGKILL');
    await standIn.dispose();
    await rm(userData, { recursive: true, force: true });
  };
  let page: Page;
  try {
    page = await Promise.race([
      standIn.firstWindow(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the window did not open: ${JSON.stringify(standIn.errorBoxes)}`)), 15_000)),
    ]);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    page,
    standIn,
    async quit() {
      try {
        (standIn.electron.app as { quit(): void }).quit();
        const code = await standIn.exited;
        await Promise.all(standIn.utilityProcesses.map((c) => (c.pid === undefined ? null : new Promise((r) => c.once('exit', r)))));
        return code;
      } finally {
        await cleanup();
      }
    },
  };
}

/**
 * The sha256 of everything a connection captured, read from the running engine process over a
 * session of the test's own: a port the test hands the engine as the main process hands one to
 * a page, speaking the same wire. (Reading 256 MiB through the page would measure the stand-in's
 * page bridge, not the app.)
 */
export async function captureDigest(app: DesktopApp, which: (c: ConnectionInfo) => boolean): Promise<string> {
  const engine = app.standIn.utilityProcesses.at(-1);
  if (!engine || engine.pid === undefined) throw new Error('the engine process is not running');
  const { port1, port2 } = new StandInMessageChannelMain();
  const client = createWireClient();
  port2.on('message', (event: { data: Uint8Array }) => client.receive(event.data));
  port2.start();
  engine.postMessage({ kind: 'connect', client: 'test-reader' }, [port1]);
  client.open({ send: (frame) => port2.postMessage(frame) });
  const api = client.api;
  // This session takes batches too: acknowledged at once, so it never holds the engine back.
  api.onEvents((batch) => api.ack(batch.id));
  try {
    const snap = await api.getSnapshot();
    if (!snap.ok) throw new Error(snap.message);
    const conn = snap.value.connections.find(which);
    if (!conn) throw new Error('no such connection');
    const hash = createHash('sha256');
    for (let from = 0; ; ) {
      const page = await api.getChunks({ connectionId: conn.id, fromSeq: from, limit: 2000 });
      if (!page.ok) throw new Error(page.message);
      if (from === 0 && page.value.firstKeptSeq > 0) throw new Error(`chunks before ${page.value.firstKeptSeq} are no longer kept`);
      if (page.value.chunks.length === 0) break;
      for (const chunk of page.value.chunks) {
        let data = chunk.data;
        if (chunk.size > data.byteLength) {
          const full = await api.getChunkData({ connectionId: conn.id, seq: chunk.seq });
          if (!full.ok) throw new Error(full.message);
          data = full.value.data;
        }
        hash.update(data);
        from = chunk.seq + 1;
      }
    }
    return hash.digest('hex');
  } finally {
    engine.postMessage({ kind: 'disconnect', client: 'test-reader' });
    port2.close();
  }
}
