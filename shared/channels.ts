/**
 * Names that cross process boundaries: commands, IPC channels, the preload bridge key and the
 * WebSocket path. Kept free of any library import so the sandboxed preload stays tiny.
 */

/** Every command the renderer can ask of a host. */
export const COMMAND_NAMES = [
  'getSnapshot',
  'startListener',
  'stopListener',
  'connect',
  'send',
  'closeConnection',
  'getChunks',
  'getChunkData',
  'setSettings',
  'setResponder',
  'broadcast',
  'startRepeat',
  'stopTask',
  'listPorts',
  'endProcess',
  'getSaved',
  'setSaved',
  'listenUnix',
  'connectUnix',
  'bindUdp',
  'sendUdp',
  'udpMembership',
  'startRelay',
  'relayControl',
  'relayInject',
  'removeClosed',
  'getRows',
  'readStream',
  'decodeRange',
  'checksumRange',
  'startSearch',
  'cancelSearch',
  'getSearchMatches',
  'exportCapture',
  'openCapture',
  'cancelFileJob',
  'clearCapture',
  'startReplay',
  'readWorkspaceFile',
] as const;

/** A command's name. */
export type CommandName = (typeof COMMAND_NAMES)[number];

/** The browser host's path for uploads (files to open) and downloads (exports). */
export const FILES_PATH = '/files';

/** The largest piece of an upload one request may carry. */
export const MAX_UPLOAD_PIECE_BYTES = 16 * 1024 * 1024;

/** Checks that an untrusted value names a command. */
export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && (COMMAND_NAMES as readonly string[]).includes(name);
}

/**
 * IPC channel names of the desktop app. Commands, events and acknowledgements do not use IPC:
 * they go over a MessagePort straight between the page and the engine process. IPC only sets
 * that port up, and tells the page when the engine process stops.
 */
export const Channels = {
  engine: {
    /** Page → main: give this page a port to the engine (sent on every load). */
    connect: 'inspector:engine:connect',
    /** Main → page: the port (in the event's ports). */
    port: 'inspector:engine:port',
    /** Main → page: the engine process stopped, or is starting again. */
    status: 'inspector:engine:status',
    /** Page → main (invoke): start the engine process again after it stopped. */
    restart: 'inspector:engine:restart',
  },
  app: {
    /** Main → page: a menu item was chosen (a ShortcutAction). */
    menuCommand: 'inspector:app:menu-command',
    /** Page → main: the theme the user chose (a ThemeSource). */
    theme: 'inspector:app:theme',
    /** Page → main (invoke): ask where to save, from a suggested file name; a Result of the path, or null when cancelled. */
    chooseSavePath: 'inspector:app:choose-save-path',
    /** Main → page: open this file (an OpenFileRequest: Open Recent, or a file opened with the app). */
    openFile: 'inspector:app:open-file',
    /** Page → main: the page opened this file (an OpenFileRequest), so Open Recent lists it. */
    recentFileOpened: 'inspector:app:recent-file-opened',
  },
} as const;

/** What the main process tells a page about the engine process. */
export type EngineStatus =
  | { state: 'starting' }
  | {
      state: 'stopped';
      /** What happened, and what became of what it had captured, in words. */
      detail: string;
    };

/** The property of `window` where the Electron preload exposes the InspectorApi. */
export const BRIDGE_KEY = 'socketInspector';

/** The WebSocket path of the browser host. */
export const WS_PATH = '/ws';
