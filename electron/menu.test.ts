// The application menu: its template is plain data (tested as such on each platform), and the
// thin wrapper hands it to a stand-in Menu whose items can be clicked.
import type { MenuItemConstructorOptions } from 'electron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Channels } from '../shared/channels';
import type { OpenFileRequest } from '../shared/contract';
import { SHORTCUTS, SHORTCUT_ACTIONS, toAccelerator, type ShortcutAction } from '../shared/shortcuts';

const fake = vi.hoisted(() => ({
  applicationMenu: null as { template: unknown[] } | null,
  focused: null as unknown,
}));

vi.mock('electron', () => ({
  Menu: {
    buildFromTemplate: (template: unknown[]) => ({ template }),
    setApplicationMenu: (menu: { template: unknown[] } | null) => {
      fake.applicationMenu = menu;
    },
  },
  BrowserWindow: { getFocusedWindow: () => fake.focused },
}));

const { buildMenuTemplate, installApplicationMenu, sendMenuCommand, sendOpenFile } = await import('./menu');

type Item = MenuItemConstructorOptions;
const PLATFORMS = ['linux', 'win32', 'darwin'] as const;

/** Every item of the menu, submenus included, depth first. */
function flatten(items: Item[]): Item[] {
  return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu as Item[]) : [])]);
}

function template(platform: NodeJS.Platform = 'linux', packaged = false, onAction: (a: ShortcutAction) => void = () => undefined, recent: readonly OpenFileRequest[] = []): Item[] {
  return buildMenuTemplate({ platform, packaged, onAction, recent, onOpenRecent: () => undefined, onClearRecent: () => undefined });
}

/** What a File menu looks like, one line per item: ids and roles, '---' for a separator, submenus indented. */
function outline(items: Item[], indent = ''): string[] {
  return items.flatMap((i) => [
    indent + (i.type === 'separator' ? '---' : (i.id ?? i.role ?? i.label ?? '?')),
    ...(Array.isArray(i.submenu) ? outline(i.submenu as Item[], `${indent}  `) : []),
  ]);
}

function submenu(items: Item[], label: string): Item[] {
  const top = items.find((i) => i.label === label);
  if (!top || !Array.isArray(top.submenu)) throw new Error(`no ${label} menu`);
  return top.submenu as Item[];
}

/**
 * The accelerators Electron gives each role we use when the item sets none (its
 * menu-item-roles defaults). Roles without one (zoom, front, appMenu's own) are left out.
 */
function roleAccelerator(role: string, platform: NodeJS.Platform): string | undefined {
  const mac = platform === 'darwin';
  const table: Record<string, string | undefined> = {
    undo: 'CommandOrControl+Z',
    redo: platform === 'win32' ? 'Control+Y' : 'Shift+CommandOrControl+Z',
    cut: 'CommandOrControl+X',
    copy: 'CommandOrControl+C',
    paste: 'CommandOrControl+V',
    selectall: 'CommandOrControl+A',
    reload: 'CmdOrCtrl+R',
    forcereload: 'Shift+CmdOrCtrl+R',
    toggledevtools: mac ? 'Alt+Command+I' : 'Ctrl+Shift+I',
    resetzoom: 'CommandOrControl+0',
    zoomin: 'CommandOrControl+Plus',
    zoomout: 'CommandOrControl+-',
    togglefullscreen: mac ? 'Control+Command+F' : 'F11',
    minimize: 'CommandOrControl+M',
    close: 'CommandOrControl+W',
    quit: platform === 'win32' ? undefined : 'CommandOrControl+Q',
  };
  return table[role.toLowerCase()];
}

/** One spelling per key combination on a platform: CmdOrCtrl is Cmd on macOS and Ctrl elsewhere. */
function canonical(accelerator: string, platform: NodeJS.Platform): string {
  const mac = platform === 'darwin';
  const parts = accelerator.split('+').map((p) => p.toLowerCase());
  const key = parts.pop()!;
  const mods = parts.map((m) => {
    if (m === 'cmdorctrl' || m === 'commandorcontrol') return mac ? 'cmd' : 'ctrl';
    if (m === 'command') return 'cmd';
    if (m === 'control') return 'ctrl';
    if (m === 'option') return 'alt';
    return m;
  });
  return [...new Set(mods)].sort().concat(key).join('+');
}

describe('buildMenuTemplate', () => {
  it.each(PLATFORMS)('has File, Edit, View, Window and Help (%s)', (platform) => {
    const labels = template(platform).map((i) => i.label ?? i.role);
    expect(labels).toEqual([...(platform === 'darwin' ? ['appMenu'] : []), 'File', 'Edit', 'View', 'Window', 'Help']);
  });

  it.each(PLATFORMS)('carries every shortcut exactly once, with its accelerator and label (%s)', (platform) => {
    const items = flatten(template(platform)).filter((i) => i.id && (SHORTCUT_ACTIONS as readonly string[]).includes(i.id));
    expect(items.map((i) => i.id).sort()).toEqual([...SHORTCUT_ACTIONS].sort());
    for (const s of SHORTCUTS) {
      const item = items.find((i) => i.id === s.action)!;
      expect(item.accelerator, s.action).toBe(toAccelerator(s.keys));
      expect(item.label, s.action).toBe(s.label);
    }
  });

  it('puts the app actions in File, the view actions in View and the shortcut list in Help', () => {
    const menu = template();
    expect(submenu(menu, 'File').filter((i) => i.id).map((i) => i.id)).toEqual(['new-listener', 'new-connection', 'new-udp', 'new-relay', 'open-capture', 'export', 'open-workspace', 'save-workspace', 'open-recent']);
    expect(submenu(menu, 'View').filter((i) => i.id).map((i) => i.id)).toEqual([
      'toggle-view',
      'toggle-navigation',
      'search',
      'find',
      'next-connection',
      'previous-connection',
      'focus-message',
      'close-connection',
      'show-ports',
    ]);
    expect(submenu(menu, 'Help').map((i) => i.id)).toEqual(['show-help']);
  });

  it('has the standard roles: quit in File, editing in Edit, zoom and full screen in View, window roles in Window', () => {
    const roles = (items: Item[]) => items.filter((i) => i.role).map((i) => i.role);
    const linux = template('linux');
    expect(roles(submenu(linux, 'File'))).toEqual(['quit']);
    expect(roles(submenu(linux, 'Edit'))).toEqual(['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll']);
    expect(roles(submenu(linux, 'View'))).toEqual(['reload', 'forceReload', 'toggleDevTools', 'resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen']);
    expect(roles(submenu(linux, 'Window'))).toEqual(['minimize', 'close']);
    expect(submenu(linux, 'Window').map((i) => i.label ?? i.role)).toEqual(['minimize', 'Maximize', 'close']);

    const mac = template('darwin');
    expect(mac[0]).toEqual({ role: 'appMenu' });
    // Quit is in the app menu on macOS; File closes the window instead.
    expect(roles(submenu(mac, 'File'))).toEqual(['close']);
    expect(roles(submenu(mac, 'Window'))).toEqual(['minimize', 'zoom', 'front']);
    expect(mac.find((i) => i.label === 'Window')?.role).toBe('window');
    expect(mac.find((i) => i.label === 'Help')?.role).toBe('help');
  });

  it('leaves Reload and the developer tools out of an installed app', () => {
    const roles = flatten(template('linux', true)).map((i) => i.role);
    expect(roles).not.toContain('reload');
    expect(roles).not.toContain('forceReload');
    expect(roles).not.toContain('toggleDevTools');
    expect(roles).toEqual(expect.arrayContaining(['resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen']));
  });

  it.each(PLATFORMS.flatMap((p) => [[p, false], [p, true]] as const))('gives no two items the same keys, roles included (%s, packaged %s)', (platform, packaged) => {
    const seen = new Map<string, string>();
    for (const item of flatten(template(platform, packaged))) {
      const accelerator = item.accelerator ?? (item.role ? roleAccelerator(item.role, platform) : undefined);
      if (!accelerator) continue;
      const key = canonical(accelerator, platform);
      const who = item.id ?? item.role ?? item.label ?? '?';
      expect(seen.get(key), `${who} and ${seen.get(key)} both use ${key}`).toBeUndefined();
      seen.set(key, who);
    }
    // All of our shortcuts, and Electron's roles besides.
    expect(seen.size).toBeGreaterThan(SHORTCUTS.length);
  });

  it('choosing an item asks for its action, and only that one', () => {
    const chosen: ShortcutAction[] = [];
    const items = flatten(template('linux', false, (a) => chosen.push(a)));
    for (const action of SHORTCUT_ACTIONS) {
      const item = items.find((i) => i.id === action)!;
      (item.click as () => void)();
      expect(chosen.at(-1)).toBe(action);
    }
    expect(chosen).toEqual([...SHORTCUT_ACTIONS]);
  });

  it.each(PLATFORMS)('groups File: New items | captures | workspaces | Open Recent | Quit or Close (%s)', (platform) => {
    expect(outline(submenu(template(platform), 'File'))).toEqual([
      'new-listener',
      'new-connection',
      'new-udp',
      'new-relay',
      '---',
      'open-capture',
      'export',
      '---',
      'open-workspace',
      'save-workspace',
      '---',
      'open-recent',
      '  recent-none',
      '  ---',
      '  clear-recent',
      '---',
      platform === 'darwin' ? 'close' : 'quit',
    ]);
  });

  it('Open Recent says there is nothing yet, and Clear is then disabled', () => {
    const recent = submenu(template(), 'File').find((i) => i.id === 'open-recent')!;
    expect(recent.label).toBe('Open Recent');
    const items = recent.submenu as Item[];
    expect(items[0]).toMatchObject({ label: 'No recently opened files', enabled: false });
    expect(items.at(-1)).toMatchObject({ label: 'Clear Recently Opened', enabled: false });
  });

  it('Open Recent lists the files most recent first (ten at most) by path, each opening its own file; Clear clears', () => {
    const opened: OpenFileRequest[] = [];
    let cleared = 0;
    const files: OpenFileRequest[] = Array.from({ length: 12 }, (_, i) => ({ kind: i % 2 ? 'workspace' : 'capture', path: `/captures/f${i}${i % 2 ? '.json' : '.pcapng'}` }));
    files[1] = { kind: 'workspace', path: '/home/a&b/R&D.json' };
    const menu = buildMenuTemplate({ platform: 'linux', packaged: false, onAction: () => undefined, recent: files, onOpenRecent: (r) => opened.push(r), onClearRecent: () => cleared++ });
    const items = submenu(menu, 'File').find((i) => i.id === 'open-recent')!.submenu as Item[];
    const entries = items.filter((i) => i.id?.startsWith('recent-'));
    expect(entries).toHaveLength(10);
    expect(entries.map((i) => i.label)).toEqual(['/captures/f0.pcapng', '/home/a&&b/R&&D.json', ...files.slice(2, 10).map((f) => f.path)]);
    expect(entries.every((i) => !i.accelerator && i.enabled !== false)).toBe(true);
    (entries[1]!.click as () => void)();
    (entries[9]!.click as () => void)();
    expect(opened).toEqual([{ kind: 'workspace', path: '/home/a&b/R&D.json' }, files[9]]);
    const clear = items.at(-1)!;
    expect(clear).toMatchObject({ id: 'clear-recent', label: 'Clear Recently Opened' });
    expect(clear.enabled).not.toBe(false);
    expect(items.at(-2)?.type).toBe('separator');
    (clear.click as () => void)();
    expect(cleared).toBe(1);
  });

  it('Maximize (Linux, Windows) maximizes the window, or restores it', () => {
    const win = { maximized: false, isMaximized() { return this.maximized; }, maximize() { this.maximized = true; }, unmaximize() { this.maximized = false; } };
    const item = submenu(template('win32'), 'Window').find((i) => i.id === 'maximize')!;
    const click = item.click as unknown as (item: unknown, window: unknown) => void;
    click({}, win);
    expect(win.maximized).toBe(true);
    click({}, win);
    expect(win.maximized).toBe(false);
    expect(() => click({}, undefined)).not.toThrow();
  });
});

class FakeWindow {
  destroyed = false;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  readonly webContents = {
    destroyed: false,
    isDestroyed: () => this.webContents.destroyed,
    send: (channel: string, ...args: unknown[]) => {
      this.sent.push({ channel, args });
    },
  };
  isDestroyed() {
    return this.destroyed;
  }
}

describe('installApplicationMenu', () => {
  afterEach(() => {
    fake.applicationMenu = null;
    fake.focused = null;
  });

  function clickAction(action: string): void {
    const items = flatten(fake.applicationMenu!.template as Item[]);
    (items.find((i) => i.id === action)!.click as () => void)();
  }

  const noRecent = { recent: [], onClearRecent: () => undefined };

  it('sets the menu, whose items send their action to the focused window on the menu-command channel', () => {
    const main = new FakeWindow();
    const focused = new FakeWindow();
    installApplicationMenu({ platform: 'linux', packaged: true, mainWindow: () => main, ...noRecent });
    expect(fake.applicationMenu).not.toBeNull();
    fake.focused = focused;
    clickAction('new-listener');
    expect(focused.sent).toEqual([{ channel: Channels.app.menuCommand, args: ['new-listener'] }]);
    expect(main.sent).toEqual([]);
  });

  it('with no window focused, sends to the main window; with none at all, sends nothing', () => {
    let main: FakeWindow | null = new FakeWindow();
    installApplicationMenu({ platform: 'darwin', packaged: true, mainWindow: () => main, ...noRecent });
    clickAction('show-help');
    expect(main.sent).toEqual([{ channel: Channels.app.menuCommand, args: ['show-help'] }]);
    main = null;
    expect(() => clickAction('find')).not.toThrow();
  });

  it('a recent file chosen goes to the focused window (else the main one) on the open-file channel; Clear asks the main process', () => {
    const main = new FakeWindow();
    const focused = new FakeWindow();
    let cleared = 0;
    const recent: OpenFileRequest[] = [
      { kind: 'capture', path: '/tmp/a.pcapng' },
      { kind: 'workspace', path: '/tmp/w.json' },
    ];
    installApplicationMenu({ platform: 'linux', packaged: true, mainWindow: () => main, recent, onClearRecent: () => cleared++ });
    clickAction('recent-1');
    expect(main.sent).toEqual([{ channel: Channels.app.openFile, args: [{ kind: 'workspace', path: '/tmp/w.json' }] }]);
    fake.focused = focused;
    clickAction('recent-0');
    expect(focused.sent).toEqual([{ channel: Channels.app.openFile, args: [{ kind: 'capture', path: '/tmp/a.pcapng' }] }]);
    clickAction('clear-recent');
    expect(cleared).toBe(1);
    expect(main.sent).toHaveLength(1);
  });
});

describe('sendOpenFile', () => {
  it('sends only kind and path, and nothing to a closed window or a destroyed page', () => {
    const win = new FakeWindow();
    const request = { kind: 'capture', path: '/tmp/x.pcap', extra: 'dropped' } as OpenFileRequest;
    win.destroyed = true;
    expect(sendOpenFile(win, request)).toBe(false);
    win.destroyed = false;
    win.webContents.destroyed = true;
    expect(sendOpenFile(win, request)).toBe(false);
    expect(sendOpenFile(null, request)).toBe(false);
    expect(win.sent).toEqual([]);
    win.webContents.destroyed = false;
    expect(sendOpenFile(win, request)).toBe(true);
    expect(win.sent).toEqual([{ channel: Channels.app.openFile, args: [{ kind: 'capture', path: '/tmp/x.pcap' }] }]);
  });
});

describe('sendMenuCommand', () => {
  it('sends nothing to a closed window or a destroyed page', () => {
    const win = new FakeWindow();
    win.webContents.destroyed = true;
    expect(sendMenuCommand(win, 'find')).toBe(false);
    win.webContents.destroyed = false;
    win.destroyed = true;
    expect(sendMenuCommand(win, 'find')).toBe(false);
    expect(sendMenuCommand(null, 'find')).toBe(false);
    expect(win.sent).toEqual([]);
    win.destroyed = false;
    expect(sendMenuCommand(win, 'find')).toBe(true);
    expect(win.sent).toEqual([{ channel: Channels.app.menuCommand, args: ['find'] }]);
  });
});
