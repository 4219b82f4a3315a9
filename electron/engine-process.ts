/**
 * The engine's own process: in the desktop app an Electron utilityProcess, so a flood of bytes
 * never competes with the window, menus and dialogs for the main process's thread. The main
 * process hands it one MessagePort per page; each carries that page's session, in the same
 * binary frames as the browser host's WebSocket. Nothing per chunk goes through the main
 * process.
 *
 * Messages from the main process (parentPort):
 *   {kind: 'connect', client} with a port: that page's session (a reload replaces it);
 *   {kind: 'disconnect', client}: the page is gone;
 *   {kind: 'shutdown'}: close every socket, end every program, remove the capture folder, exit.
 * It tells the main process {kind: 'ready', pid, captureFolder} once it runs.
 */
import { Engine } from './engine/engine';
import { openSession, type Session } from './engine/session';
import { createQuitFlow, onQuitSignals } from './shutdown';

/** What the engine process needs of a MessagePort (Electron's MessagePortMain has it). */
export interface PortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
}

/** What it needs of its parent (Electron's process.parentPort has it). */
export interface ParentLike {
  on(event: 'message', listener: (event: { data: unknown; ports: PortLike[] }) => void): unknown;
  postMessage(message: unknown): void;
}

/** Frames arrive as Uint8Array (or, from some senders, an ArrayBuffer); anything else is dropped. */
function bytesOf(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return null;
}

/** Runs an engine for the pages the parent connects; resolves the engine for tests. */
export function runEngineProcess(parent: ParentLike, options: { dataDir?: string; exit?: (code: number) => void } = {}): Engine {
  const engine = new Engine({ dataDir: options.dataDir });
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const sessions = new Map<string, { port: PortLike; session: Session }>();

  const drop = (client: string) => {
    const held = sessions.get(client);
    if (!held) return;
    sessions.delete(client);
    held.session.close();
    held.port.close();
  };

  const attach = (client: string, port: PortLike) => {
    // A reloaded page gets a new session: the old one's unacknowledged batches must not hold
    // the sockets back.
    drop(client);
    const session = openSession(engine, (frame) => port.postMessage(frame));
    sessions.set(client, { port, session });
    port.on('message', (event) => {
      const frame = bytesOf(event.data);
      if (frame) session.receive(frame);
    });
    port.on('close', () => {
      if (sessions.get(client)?.port === port) drop(client);
    });
    port.start();
  };

  const quit = createQuitFlow({
    stop: () => {
      for (const client of [...sessions.keys()]) drop(client);
      return engine.shutdown();
    },
    quit: () => exit(0),
    exit,
    statusAfterSignal: () => 0,
    warn: (message) => console.error(`Socket Inspector engine: ${message}`),
  });
  onQuitSignals(process, (signal) => quit.signal(signal));

  parent.on('message', (event) => {
    const msg = (event.data && typeof event.data === 'object' ? event.data : {}) as { kind?: unknown; client?: unknown };
    const client = String(msg.client ?? '');
    if (msg.kind === 'connect' && event.ports[0]) attach(client, event.ports[0]);
    else if (msg.kind === 'disconnect') drop(client);
    else if (msg.kind === 'shutdown') quit.beforeQuit();
  });
  parent.postMessage({ kind: 'ready', pid: process.pid, captureFolder: engine.captureFolder });
  return engine;
}
