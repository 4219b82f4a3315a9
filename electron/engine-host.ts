/**
 * The main process's side of the engine process: starts it (utilityProcess.fork), hands each
 * page a MessagePort to it, notices when it dies, says so to every page with what became of
 * what it had captured, starts it again on request, and stops it when the app quits. Nothing
 * per chunk passes through here.
 */
import { MessageChannelMain, utilityProcess, type UtilityProcess, type WebContents } from 'electron';
import { Channels, type EngineStatus } from '../shared/channels';
import { fail, ok, type Result } from '../shared/result';
import { describeEngineExit, keepCaptureFolder } from './engine-exit';

/** How long a stopping engine gets before it is killed. */
const STOP_GRACE_MS = 4000;

export class EngineHost {
  private child: UtilityProcess | null = null;
  private captureFolder: string | undefined;
  private readonly pages = new Set<WebContents>();
  private stopping = false;
  /** Why the engine last stopped on its own, for a page that loads before it is restarted. */
  private lastExit: EngineStatus | null = null;

  constructor(
    /** dist/electron/engine.cjs */
    private readonly script: string,
    private readonly dataDir: string,
  ) {}

  /** The engine process's pid while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the engine process (again, after it stopped). */
  start(): void {
    if (this.child) return;
    this.stopping = false;
    const child = utilityProcess.fork(this.script, ['--data-dir', this.dataDir], { serviceName: 'Socket Inspector engine', stdio: 'inherit' });
    this.child = child;
    child.on('message', (msg: { kind?: string; captureFolder?: string }) => {
      if (msg?.kind === 'ready') this.captureFolder = msg.captureFolder;
    });
    child.once('exit', (code) => this.exited(child, code));
  }

  /** Gives a page (on each load) its own port to the engine; the engine replaces an older one. */
  connect(page: WebContents): void {
    if (!this.pages.has(page)) {
      this.pages.add(page);
      page.once('destroyed', () => {
        this.pages.delete(page);
        this.child?.postMessage({ kind: 'disconnect', client: String(page.id) });
      });
    }
    if (!this.child) {
      // Stopped: a page that (re)loads now hears why, and can restart it.
      if (this.lastExit) page.send(Channels.engine.status, this.lastExit);
      return;
    }
    const { port1, port2 } = new MessageChannelMain();
    this.child.postMessage({ kind: 'connect', client: String(page.id) }, [port1]);
    page.postMessage(Channels.engine.port, null, [port2]);
  }

  /** Starts a stopped engine again; every page reloads and connects anew. */
  restart(): Result<{ restarted: true }> {
    if (this.child) return fail({ code: 'RUNNING', message: 'The engine is running.' });
    this.lastExit = null;
    this.start();
    this.tell({ state: 'starting' });
    return ok({ restarted: true });
  }

  /** Asks the engine to close everything and leave; kills it if it has not within the grace. */
  stop(): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    this.stopping = true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill(), STOP_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.postMessage({ kind: 'shutdown' });
    });
  }

  private exited(child: UtilityProcess, code: number): void {
    if (this.child !== child) return;
    this.child = null;
    if (this.stopping) return;
    // It died on its own: its capture folder would be swept by the next engine, so it is kept
    // aside, and every page is told what happened and where the bytes are.
    const kept = keepCaptureFolder(this.captureFolder);
    this.captureFolder = undefined;
    this.lastExit = { state: 'stopped', detail: describeEngineExit(code, kept) };
    this.tell(this.lastExit);
  }

  private tell(status: EngineStatus): void {
    for (const page of this.pages) if (!page.isDestroyed()) page.send(Channels.engine.status, status);
  }
}
