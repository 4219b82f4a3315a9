import { ipcMain, nativeTheme, type BrowserWindow, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { Channels } from '../shared/channels';
import { fail, type Result } from '../shared/result';
import { isThemeSource } from '../shared/shortcuts';
import { isTrustedRendererUrl } from './sender';

/**
 * True when the message comes from the main frame of our window showing our page. The URL alone
 * is not enough: an iframe or another window could load a page of our origin. Frames are
 * compared by their ids because Electron may hand out distinct WebFrameMain objects for one
 * frame; a detached frame is a document being unloaded, no longer the window's page.
 */
/** Whether a message came from our page in the window's main frame (not a subframe, not another page). */
export function sentByOurPage(event: IpcMainEvent | IpcMainInvokeEvent, contents: WebContents): boolean {
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

/** What the IPC binding hands pages to: the engine process's host. */
export interface EngineLink {
  /** Gives the page its port to the engine. */
  connect(page: WebContents): void;
  /** Starts a stopped engine again. */
  restart(): Result<{ restarted: true }>;
}

/**
 * Binds what IPC still does, for our window only (its main frame, our page): hand the page a
 * port to the engine process (each load asks again), start the engine again after it stopped,
 * and follow the theme the page chose (so menus, dialogs and the title bar match it; the page
 * keeps the choice and tells us again on every load, so nothing is stored here). Commands and
 * events never pass through here. Returns a function that removes them all.
 */
export function bindIpc({ engine, window: win }: { engine: EngineLink; window: BrowserWindow }): () => void {
  const contents = win.webContents;
  const onConnect = (event: IpcMainEvent): void => {
    if (sentByOurPage(event, contents)) engine.connect(contents);
  };
  const onRestart = (event: IpcMainInvokeEvent): Result<{ restarted: true }> =>
    sentByOurPage(event, contents) ? engine.restart() : forbidden(event.senderFrame?.url);
  const onTheme = (event: IpcMainEvent, source: unknown): void => {
    if (sentByOurPage(event, contents) && isThemeSource(source)) nativeTheme.themeSource = source;
  };
  ipcMain.on(Channels.engine.connect, onConnect);
  ipcMain.handle(Channels.engine.restart, onRestart);
  ipcMain.on(Channels.app.theme, onTheme);

  let disposed = false;
  return () => {
    if (disposed) return;
    disposed = true;
    ipcMain.removeListener(Channels.engine.connect, onConnect);
    ipcMain.removeHandler(Channels.engine.restart);
    ipcMain.removeListener(Channels.app.theme, onTheme);
  };
}
