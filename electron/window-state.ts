/**
 * The desktop window's size, position and maximized state, remembered between runs in a small
 * JSON file in the app's user-data folder. Plain Node (no Electron import), so it is tested with
 * real files; main.ts hands it the window and the displays.
 *
 * The file is private (0600, its folder 0700) and replaced atomically; a damaged file, or one
 * that is not a regular file, is ignored and the window opens at its default size. Saved bounds
 * are checked against the displays there are now, so a window last seen on a monitor that is
 * gone, or larger than the screen it lands on, never opens off-screen.
 */
import path from 'node:path';
import { privateFolder, readRegularFile, regularFileOrNothing, writeAtomically } from './engine/private-file';

/** A rectangle in screen coordinates (Electron's Rectangle). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What is remembered: the window's normal (not maximized) bounds, and whether it was maximized. */
export interface WindowState {
  bounds: Rect;
  maximized: boolean;
}

/** The file's name in the user-data folder. */
export const WINDOW_STATE_FILE = 'window-state.json';

/** Far beyond any real screen; a bigger number is a damaged file. */
const MAX_COORDINATE = 1_000_000;
/** The file is a few dozen bytes; anything much larger is not ours. */
const MAX_FILE_BYTES = 64 * 1024;

const isCoordinate = (v: unknown): v is number => Number.isInteger(v) && Math.abs(v as number) <= MAX_COORDINATE;
const isSize = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) <= MAX_COORDINATE;

/** The state in a file's text, or null when it is not a valid state. */
export function parseWindowState(text: string): WindowState | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (json === null || typeof json !== 'object') return null;
  const { bounds, maximized } = json as { bounds?: unknown; maximized?: unknown };
  if (bounds === null || typeof bounds !== 'object' || typeof maximized !== 'boolean') return null;
  const { x, y, width, height } = bounds as Record<string, unknown>;
  if (!isCoordinate(x) || !isCoordinate(y) || !isSize(width) || !isSize(height)) return null;
  return { bounds: { x, y, width, height }, maximized };
}

/** The remembered state, or null when there is none or the file cannot be used (which is never an error). */
export function readWindowState(file: string): WindowState | null {
  try {
    if (!privateFolder(path.dirname(file), false)) return null;
    const stat = regularFileOrNothing(file);
    if (!stat || stat.size > MAX_FILE_BYTES) return null;
    return parseWindowState(readRegularFile(file, stat));
  } catch {
    return null;
  }
}

/**
 * Writes the state (0600, through a temporary file renamed over the old one). Synchronous: the
 * file is tiny, and the last save happens as the window closes, when the app may be about to
 * exit; it also keeps an earlier save from landing after a later one.
 */
export function writeWindowState(file: string, state: WindowState): void {
  writeAtomically(file, `${JSON.stringify({ bounds: state.bounds, maximized: state.maximized })}\n`);
}

/** The area two rectangles share, 0 when they do not meet. */
function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(v, hi));

/** Where and how a window opens: its size always, its position only when it was remembered. */
export interface WindowPlacement {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

/**
 * Where the window opens, given what was remembered and the displays' work areas (the screen
 * minus task bars and docks). Nothing remembered, or remembered on no display there is now:
 * the default size, centered (no position). Otherwise the display it overlaps most takes it,
 * made to fit that display's work area and moved wholly inside it.
 */
export function placeWindow(
  saved: WindowState | null,
  displays: readonly { workArea: Rect }[],
  defaults: { width: number; height: number; minWidth: number; minHeight: number },
): WindowPlacement {
  const fallback: WindowPlacement = { width: defaults.width, height: defaults.height, maximized: false };
  if (!saved) return fallback;
  let best: Rect | null = null;
  let bestArea = 0;
  for (const { workArea } of displays) {
    const area = overlap(saved.bounds, workArea);
    if (area > bestArea) {
      best = workArea;
      bestArea = area;
    }
  }
  if (!best) return { ...fallback, maximized: saved.maximized };
  const width = Math.min(Math.max(saved.bounds.width, defaults.minWidth), best.width);
  const height = Math.min(Math.max(saved.bounds.height, defaults.minHeight), best.height);
  return {
    x: clamp(saved.bounds.x, best.x, best.x + best.width - width),
    y: clamp(saved.bounds.y, best.y, best.y + best.height - height),
    width,
    height,
    maximized: saved.maximized,
  };
}

/** The parts of a BrowserWindow whose state is remembered. */
export interface TrackedWindow {
  on(event: 'resize' | 'move' | 'maximize' | 'unmaximize' | 'close' | 'closed', listener: () => void): unknown;
  isDestroyed(): boolean;
  isMaximized(): boolean;
  /** The bounds it has, or would have when not maximized, minimized or full screen. */
  getNormalBounds(): Rect;
}

/**
 * Saves the window's state to `file` a moment after it stops moving or resizing (so a drag
 * writes once, not at every step), and at once as it closes. Failures to write are reported to
 * `onError` and otherwise ignored: remembering the window is a nicety.
 */
export function trackWindowState(win: TrackedWindow, file: string, { delayMs = 500, onError = () => undefined }: { delayMs?: number; onError?: (err: unknown) => void } = {}): void {
  let timer: NodeJS.Timeout | null = null;
  const save = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (win.isDestroyed()) return;
    try {
      writeWindowState(file, { bounds: win.getNormalBounds(), maximized: win.isMaximized() });
    } catch (err) {
      onError(err);
    }
  };
  const later = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, delayMs);
  };
  for (const event of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(event, later);
  win.on('close', save);
  win.on('closed', () => {
    if (timer) clearTimeout(timer);
    timer = null;
  });
}

/** The state file's path in a user-data folder. */
export function windowStateFile(userData: string): string {
  return path.join(userData, WINDOW_STATE_FILE);
}
