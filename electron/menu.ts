/**
 * The application menu. Its app actions are the shortcuts of shared/shortcuts.ts: each item
 * carries the shortcut's keys as its accelerator and, when chosen, tells the page which action
 * to take (the page does the work, as it does for the same keys in the browser host). File's
 * Open Recent lists the files the page opened lately; choosing one asks the page to open it by
 * its path. The rest is Electron's standard roles. The template is built by a pure function so
 * it can be tested without Electron; installApplicationMenu is the thin part that hands it to
 * Electron.
 */
import { BrowserWindow, Menu, type MenuItemConstructorOptions } from 'electron';
import { Channels } from '../shared/channels';
import type { OpenFileRequest } from '../shared/contract';
import { SHORTCUTS, toAccelerator, type ShortcutAction } from '../shared/shortcuts';
import { MAX_RECENT_FILES } from './recent-files';

/** What the template depends on. */
export interface MenuTemplateOptions {
  /** process.platform: macOS gets the app menu first and its own Window menu. */
  platform: NodeJS.Platform;
  /** app.isPackaged: an installed app has no Reload or developer tools. */
  packaged: boolean;
  /** Called when an app action is chosen (by click or accelerator). */
  onAction(action: ShortcutAction): void;
  /** Files opened lately, most recent first: Open Recent lists them (ten at most). */
  recent: readonly OpenFileRequest[];
  /** Called when a file of Open Recent is chosen. */
  onOpenRecent(request: OpenFileRequest): void;
  /** Called when Clear Recently Opened is chosen. */
  onClearRecent(): void;
}

/** File's app actions, in groups the menu separates: make something new, captures, workspaces. */
const FILE_GROUPS: readonly (readonly ShortcutAction[])[] = [
  ['new-listener', 'new-connection', 'new-udp', 'new-relay'],
  ['open-capture', 'export'],
  ['open-workspace', 'save-workspace'],
];
const VIEW_ACTIONS: readonly ShortcutAction[] = [
  'toggle-view',
  'toggle-navigation',
  'search',
  'find',
  'next-connection',
  'previous-connection',
  'focus-message',
  'close-connection',
  'show-ports',
];
const HELP_ACTIONS: readonly ShortcutAction[] = ['show-help'];

const separator: MenuItemConstructorOptions = { type: 'separator' };

/** The part of a window Maximize needs. */
interface Maximizable {
  isMaximized(): boolean;
  maximize(): void;
  unmaximize(): void;
}

function toggleMaximized(win: Maximizable | undefined): void {
  if (!win) return;
  if (win.isMaximized()) win.unmaximize();
  else win.maximize();
}

/** A menu label that shows `text` as it is: Electron takes a single & as a mnemonic marker. */
function literalLabel(text: string): string {
  return text.replaceAll('&', '&&');
}

/** Open Recent: the files (or a line saying there are none), then Clear Recently Opened. */
function openRecentMenu(recent: readonly OpenFileRequest[], onOpenRecent: (request: OpenFileRequest) => void, onClearRecent: () => void): MenuItemConstructorOptions {
  const files = recent.slice(0, MAX_RECENT_FILES);
  const items: MenuItemConstructorOptions[] = files.length
    ? files.map((request, i) => ({ id: `recent-${i}`, label: literalLabel(request.path), click: () => onOpenRecent({ kind: request.kind, path: request.path }) }))
    : [{ id: 'recent-none', label: 'No recently opened files', enabled: false }];
  return {
    id: 'open-recent',
    label: 'Open Recent',
    submenu: [...items, separator, { id: 'clear-recent', label: 'Clear Recently Opened', enabled: files.length > 0, click: () => onClearRecent() }],
  };
}

/** The application menu's template: File, Edit, View, Window, Help (after the app menu on macOS). */
export function buildMenuTemplate({ platform, packaged, onAction, recent, onOpenRecent, onClearRecent }: MenuTemplateOptions): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const item = (action: ShortcutAction): MenuItemConstructorOptions => {
    const shortcut = SHORTCUTS.find((s) => s.action === action);
    if (!shortcut) throw new Error(`No shortcut for the menu action ${action}`);
    return { id: action, label: shortcut.label, accelerator: toAccelerator(shortcut.keys), click: () => onAction(action) };
  };
  const devItems: MenuItemConstructorOptions[] = packaged ? [] : [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, separator];
  return [
    ...(mac ? [{ role: 'appMenu' } satisfies MenuItemConstructorOptions] : []),
    // On macOS Quit lives in the app menu (with the same Cmd+Q), so File ends with Close instead.
    {
      label: 'File',
      submenu: [
        ...FILE_GROUPS.flatMap((group) => [...group.map(item), separator]),
        openRecentMenu(recent, onOpenRecent, onClearRecent),
        separator,
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: 'Edit',
      submenu: [{ role: 'undo' }, { role: 'redo' }, separator, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
    },
    {
      label: 'View',
      submenu: [
        ...VIEW_ACTIONS.map(item),
        separator,
        ...devItems,
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        separator,
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: 'Window',
      ...(mac ? { role: 'window' as const } : {}),
      // The zoom role is macOS only (it does nothing elsewhere), so Linux and Windows get Maximize.
      submenu: mac
        ? [{ role: 'minimize' }, { role: 'zoom' }, separator, { role: 'front' }]
        : [{ role: 'minimize' }, { id: 'maximize', label: 'Maximize', click: (_item, win) => toggleMaximized(win) }, { role: 'close' }],
    },
    { label: 'Help', ...(mac ? { role: 'help' as const } : {}), submenu: HELP_ACTIONS.map(item) },
  ];
}

/** The part of a window a menu command needs. */
export interface MenuTarget {
  isDestroyed(): boolean;
  webContents: { isDestroyed(): boolean; send(channel: string, ...args: unknown[]): void };
}

function isLive(target: MenuTarget | null | undefined): target is MenuTarget {
  return Boolean(target && !target.isDestroyed() && !target.webContents.isDestroyed());
}

/** Tells the page in `target` to take `action`; nothing when there is no live window. */
export function sendMenuCommand(target: MenuTarget | null | undefined, action: ShortcutAction): boolean {
  if (!isLive(target)) return false;
  target.webContents.send(Channels.app.menuCommand, action);
  return true;
}

/** Asks the page in `target` to open a file by its path; nothing when there is no live window. */
export function sendOpenFile(target: MenuTarget | null | undefined, request: OpenFileRequest): boolean {
  if (!isLive(target)) return false;
  target.webContents.send(Channels.app.openFile, { kind: request.kind, path: request.path });
  return true;
}

/** What installApplicationMenu needs from the main process. */
export interface ApplicationMenuOptions {
  platform: NodeJS.Platform;
  packaged: boolean;
  /** The app's window, when it has one. */
  mainWindow: () => MenuTarget | null;
  /** Files opened lately, most recent first. */
  recent: readonly OpenFileRequest[];
  /** Clear Recently Opened was chosen. */
  onClearRecent(): void;
}

/**
 * Sets the application menu; called again whenever the recent files change. Actions and recent
 * files go to the focused window, or to the main window when none of ours has focus (macOS
 * keeps the menu bar with no window focused).
 */
export function installApplicationMenu({ platform, packaged, mainWindow, recent, onClearRecent }: ApplicationMenuOptions): void {
  const target = () => BrowserWindow.getFocusedWindow() ?? mainWindow();
  const onAction = (action: ShortcutAction) => void sendMenuCommand(target(), action);
  const onOpenRecent = (request: OpenFileRequest) => void sendOpenFile(target(), request);
  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate({ platform, packaged, onAction, recent, onOpenRecent, onClearRecent })));
}
