/**
 * The application menu. Its app actions are the shortcuts of shared/shortcuts.ts: each item
 * carries the shortcut's keys as its accelerator and, when chosen, tells the page which action
 * to take (the page does the work, as it does for the same keys in the browser host). The rest
 * is Electron's standard roles. The template is built by a pure function so it can be tested
 * without Electron; installApplicationMenu is the thin part that hands it to Electron.
 */
import { BrowserWindow, Menu, type MenuItemConstructorOptions } from 'electron';
import { Channels } from '../shared/channels';
import { SHORTCUTS, toAccelerator, type ShortcutAction } from '../shared/shortcuts';

/** What the template depends on. */
export interface MenuTemplateOptions {
  /** process.platform: macOS gets the app menu first and its own Window menu. */
  platform: NodeJS.Platform;
  /** app.isPackaged: an installed app has no Reload or developer tools. */
  packaged: boolean;
  /** Called when an app action is chosen (by click or accelerator). */
  onAction(action: ShortcutAction): void;
}

const FILE_ACTIONS: readonly ShortcutAction[] = ['new-listener', 'new-connection', 'new-udp', 'new-relay', 'open-capture', 'export', 'open-workspace', 'save-workspace'];
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

/** The application menu's template: File, Edit, View, Window, Help (after the app menu on macOS). */
export function buildMenuTemplate({ platform, packaged, onAction }: MenuTemplateOptions): MenuItemConstructorOptions[] {
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
    { label: 'File', submenu: [...FILE_ACTIONS.map(item), separator, mac ? { role: 'close' } : { role: 'quit' }] },
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

/** Tells the page in `target` to take `action`; nothing when there is no live window. */
export function sendMenuCommand(target: MenuTarget | null | undefined, action: ShortcutAction): boolean {
  if (!target || target.isDestroyed() || target.webContents.isDestroyed()) return false;
  target.webContents.send(Channels.app.menuCommand, action);
  return true;
}

/**
 * Sets the application menu. Actions go to the focused window, or to the main window when none
 * of ours has focus (macOS keeps the menu bar with no window focused).
 */
export function installApplicationMenu({ platform, packaged, mainWindow }: { platform: NodeJS.Platform; packaged: boolean; mainWindow: () => MenuTarget | null }): void {
  const onAction = (action: ShortcutAction) => void sendMenuCommand(BrowserWindow.getFocusedWindow() ?? mainWindow(), action);
  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate({ platform, packaged, onAction })));
}
