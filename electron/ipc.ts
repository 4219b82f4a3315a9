import { ipcMain, type BrowserWindow, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { Channels, COMMAND_NAMES } from '../shared/channels';
import { fail, type Result } from '../shared/result';
import { dispatchCommand } from './engine/dispatch';
import type { Engine, Subscription } from './engine/engine';
import { isTrustedRendererUrl } from './sender';

/** What bindIpc needs: the engine, and the window it streams to and takes commands from. */
export interface IpcBinding {
  engine: Engine;
  window: BrowserWindow;
}

/**
 * True when the message comes from the main frame of our window showing our page. The URL alone
 * is not enough: an iframe or another window could load a page of our origin. Frames are
 * compared by their ids because Electron may hand out distinct WebFrameMain objects for one
 * frame; a detached frame is a document being unloaded, no longer the window's page.
 */
function sentByOurPage(event: IpcMainEvent | IpcMainInvokeEvent, contents: WebContents): boolean {
  if (contents.isDestroyed() || event.sender?.id !== contents.id) return false;
  const frame = event.senderFrame;
  const main = contents.mainFrame;
  if (!frame || !main || frame.parent !== null || frame.detached) return false;
  if (frame.frameTreeNodeId !== main.frameTreeNodeId || frame.processId !== main.processId || frame.routingId !== main.routingId) {
    return false;
  }
  return isTrustedRendererUrl(frame.url);
}

function forbidden(url: string | undefined): Result<never> {
  return fail({
    code: 'FORBIDDEN',
    message: `Refused a request from ${url ? JSON.stringify(url.slice(0, 200)) : 'an unknown frame'}: only the Socket Inspector window may use the inspector.`,
  });
}

/**
 * Binds the contract to ipcMain: one handler per command (sender checked: our window, its main
 * frame, our page; input parsed by the engine's dispatcher), event batches streamed to the
 * window, and acknowledgements back from the same page.
 * Call it before the window loads its page. Returns a function that removes every handler and
 * closes the event subscription.
 */
export function bindIpc({ engine, window: win }: IpcBinding): () => void {
  const contents = win.webContents;
  const trusted = (event: IpcMainEvent | IpcMainInvokeEvent): boolean => sentByOurPage(event, contents);

  for (const name of COMMAND_NAMES) {
    ipcMain.handle(Channels.command[name], (event, args: unknown) => {
      if (!trusted(event)) return forbidden(event.senderFrame?.url);
      return dispatchCommand(engine, name, args);
    });
  }

  // One subscription per loaded document: a reload gets a fresh batcher, so batches the old page
  // never acknowledged cannot keep the engine's sockets paused.
  let subscription: Subscription | null = null;
  const unsubscribe = (): void => {
    subscription?.close();
    subscription = null;
  };
  const subscribe = (): void => {
    unsubscribe();
    subscription = engine.subscribe((batch) => {
      if (win.isDestroyed() || contents.isDestroyed()) {
        unsubscribe();
        return;
      }
      contents.send(Channels.events, batch);
    });
  };

  const onAck = (event: IpcMainEvent, batchId: unknown): void => {
    if (!trusted(event)) return;
    if (typeof batchId !== 'number' || !Number.isSafeInteger(batchId) || batchId < 1) return;
    subscription?.ack(batchId);
  };
  ipcMain.on(Channels.ack, onAck);

  // did-navigate fires once the new document is committed, before its scripts run; the preload
  // holds batches until the page registers a listener, and the page's first snapshot covers
  // anything that happened earlier.
  const onNavigate = (): void => subscribe();
  const onGone = (): void => unsubscribe();
  contents.on('did-navigate', onNavigate);
  contents.on('render-process-gone', onGone);
  contents.once('destroyed', onGone);
  win.once('closed', onGone);

  let disposed = false;
  return () => {
    if (disposed) return;
    disposed = true;
    for (const name of COMMAND_NAMES) ipcMain.removeHandler(Channels.command[name]);
    ipcMain.removeListener(Channels.ack, onAck);
    if (!contents.isDestroyed()) {
      contents.removeListener('did-navigate', onNavigate);
      contents.removeListener('render-process-gone', onGone);
    }
    unsubscribe();
  };
}
