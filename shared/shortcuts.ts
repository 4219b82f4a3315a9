/**
 * The app's keyboard shortcuts, one list for both hosts: the page handles them itself in the
 * browser host, and the desktop app's menu carries them as accelerators (its items send the
 * action to the page). Chosen to avoid the keys a browser keeps for itself (Ctrl+N, Ctrl+T,
 * Ctrl+W and their Shift forms, Ctrl+Tab).
 */

/** What a shortcut or menu item asks the page to do. */
export const SHORTCUT_ACTIONS = [
  'new-listener',
  'new-connection',
  'new-udp',
  'new-relay',
  'open-capture',
  'export',
  'open-workspace',
  'save-workspace',
  'focus-message',
  'next-connection',
  'previous-connection',
  'toggle-view',
  'close-connection',
  'find',
  'search',
  'toggle-navigation',
  'show-ports',
  'show-help',
] as const;

/** One of SHORTCUT_ACTIONS. */
export type ShortcutAction = (typeof SHORTCUT_ACTIONS)[number];

/** Checks an untrusted value (a menu message) names an action. */
export function isShortcutAction(value: unknown): value is ShortcutAction {
  return typeof value === 'string' && (SHORTCUT_ACTIONS as readonly string[]).includes(value);
}

/** A key combination. `mod` is Ctrl, or Cmd on macOS. */
export interface KeyCombo {
  mod?: boolean;
  shift?: boolean;
  alt?: boolean;
  /** KeyboardEvent.key, compared without case for letters. */
  key: string;
}

/** One shortcut: what it does, in words, and its keys. */
export interface Shortcut {
  action: ShortcutAction;
  /** As a menu or the help list says it. */
  label: string;
  keys: KeyCombo;
}

/** Every shortcut, in the order the help list shows them. */
export const SHORTCUTS: readonly Shortcut[] = [
  { action: 'new-listener', label: 'New listener', keys: { mod: true, shift: true, key: 'L' } },
  { action: 'new-connection', label: 'Connect to a server', keys: { mod: true, shift: true, key: 'K' } },
  { action: 'new-udp', label: 'New UDP socket', keys: { mod: true, shift: true, key: 'U' } },
  { action: 'new-relay', label: 'New relay', keys: { mod: true, shift: true, key: 'Y' } },
  { action: 'open-capture', label: 'Open capture…', keys: { mod: true, key: 'O' } },
  { action: 'export', label: 'Export…', keys: { mod: true, shift: true, key: 'E' } },
  { action: 'open-workspace', label: 'Open workspace…', keys: { mod: true, shift: true, key: 'O' } },
  { action: 'save-workspace', label: 'Save workspace…', keys: { mod: true, shift: true, key: 'S' } },
  { action: 'focus-message', label: 'Focus the message box', keys: { mod: true, key: 'E' } },
  { action: 'next-connection', label: 'Next connection', keys: { alt: true, key: 'ArrowDown' } },
  { action: 'previous-connection', label: 'Previous connection', keys: { alt: true, key: 'ArrowUp' } },
  { action: 'toggle-view', label: 'Switch between Text and Hex', keys: { mod: true, shift: true, key: 'H' } },
  { action: 'close-connection', label: 'Close the selected connection', keys: { mod: true, shift: true, key: 'X' } },
  { action: 'search', label: 'Search the traffic', keys: { mod: true, key: 'F' } },
  { action: 'find', label: 'Find a connection (filter)', keys: { mod: true, shift: true, key: 'F' } },
  { action: 'toggle-navigation', label: 'Show or hide the connections pane', keys: { mod: true, key: 'B' } },
  { action: 'show-ports', label: 'Ports in use', keys: { mod: true, shift: true, key: 'P' } },
  { action: 'show-help', label: 'Keyboard shortcuts', keys: { key: 'F1' } },
];

/** The fields of a keyboard event a shortcut looks at (a DOM KeyboardEvent has them all). */
export interface KeyEventLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** Whether an event is this combination. `mac` makes `mod` mean Cmd instead of Ctrl. */
export function matchesCombo(combo: KeyCombo, e: KeyEventLike, mac = false): boolean {
  const mod = mac ? e.metaKey : e.ctrlKey;
  const other = mac ? e.ctrlKey : e.metaKey;
  if (Boolean(combo.mod) !== mod || other) return false;
  if (Boolean(combo.shift) !== e.shiftKey || Boolean(combo.alt) !== e.altKey) return false;
  return combo.key.length === 1 ? e.key.toLowerCase() === combo.key.toLowerCase() : e.key === combo.key;
}

/** The action an event asks for, if any. */
export function shortcutFor(e: KeyEventLike, mac = false): ShortcutAction | null {
  for (const s of SHORTCUTS) if (matchesCombo(s.keys, e, mac)) return s.action;
  return null;
}

const ELECTRON_KEYS: Record<string, string> = { ArrowDown: 'Down', ArrowUp: 'Up', ArrowLeft: 'Left', ArrowRight: 'Right' };

/** The combination as an Electron menu accelerator ("CmdOrCtrl+Shift+L"). */
export function toAccelerator(combo: KeyCombo): string {
  const parts: string[] = [];
  if (combo.mod) parts.push('CmdOrCtrl');
  if (combo.alt) parts.push('Alt');
  if (combo.shift) parts.push('Shift');
  parts.push(ELECTRON_KEYS[combo.key] ?? combo.key.toUpperCase());
  return parts.join('+');
}

/** The combination as people read it ("Ctrl+Shift+L", "⌘⇧L" style is left to the menu). */
export function describeCombo(combo: KeyCombo, mac = false): string {
  const parts: string[] = [];
  if (combo.mod) parts.push(mac ? 'Cmd' : 'Ctrl');
  if (combo.alt) parts.push(mac ? 'Option' : 'Alt');
  if (combo.shift) parts.push('Shift');
  const names: Record<string, string> = { ArrowDown: '↓', ArrowUp: '↑' };
  parts.push(names[combo.key] ?? (combo.key.length === 1 ? combo.key.toUpperCase() : combo.key));
  return parts.join('+');
}

/** A theme choice: follow the system, or always light or dark. */
export type ThemeSource = 'system' | 'light' | 'dark';

/** Checks an untrusted value (a message from the page) names a theme choice. */
export function isThemeSource(value: unknown): value is ThemeSource {
  return value === 'system' || value === 'light' || value === 'dark';
}
