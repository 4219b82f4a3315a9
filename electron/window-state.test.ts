// The desktop window's remembered state: real files in a temporary folder, and a small window
// double with the events BrowserWindow emits.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseWindowState, placeWindow, readWindowState, trackWindowState, windowStateFile, writeWindowState, type Rect, type WindowState } from './window-state';

const POSIX = process.platform !== 'win32';
let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(tmpdir(), 'si-window-state-'));
  file = windowStateFile(dir);
});
afterEach(() => {
  vi.useRealTimers();
  fs.rmSync(dir, { recursive: true, force: true });
});

const state: WindowState = { bounds: { x: 100, y: 50, width: 1200, height: 700 }, maximized: false };

describe('reading and writing', () => {
  it('writes the state and reads it back', () => {
    expect(readWindowState(file)).toBeNull();
    writeWindowState(file, state);
    expect(readWindowState(file)).toEqual(state);
    writeWindowState(file, { ...state, maximized: true });
    expect(readWindowState(file)).toEqual({ ...state, maximized: true });
  });

  it.runIf(POSIX)('writes a private file (0600) in a private folder (0700), and leaves no temporary file', () => {
    const nested = path.join(dir, 'user-data');
    const inside = windowStateFile(nested);
    writeWindowState(inside, state);
    expect(fs.statSync(inside).mode & 0o777).toBe(0o600);
    expect(fs.statSync(nested).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(nested)).toEqual([path.basename(inside)]);
  });

  it('replaces the file by renaming a new one over it, never rewriting it in place', () => {
    writeWindowState(file, state);
    const before = fs.statSync(file).ino;
    writeWindowState(file, { ...state, bounds: { ...state.bounds, x: 300 } });
    expect(fs.statSync(file).ino).not.toBe(before);
    expect(readWindowState(file)?.bounds.x).toBe(300);
  });

  it('ignores a damaged file: not JSON, empty, the wrong shape, numbers out of range', () => {
    const bad = [
      '',
      '{',
      'null',
      '[]',
      '"text"',
      JSON.stringify({ bounds: { x: 0, y: 0, width: 800 }, maximized: false }),
      JSON.stringify({ bounds: { x: 0, y: 0, width: 800, height: 600 } }),
      JSON.stringify({ bounds: { x: 0, y: 0, width: 0, height: 600 }, maximized: false }),
      JSON.stringify({ bounds: { x: 0, y: 0, width: -800, height: 600 }, maximized: false }),
      JSON.stringify({ bounds: { x: 0.5, y: 0, width: 800, height: 600 }, maximized: false }),
      JSON.stringify({ bounds: { x: '0', y: 0, width: 800, height: 600 }, maximized: false }),
      JSON.stringify({ bounds: { x: 1e12, y: 0, width: 800, height: 600 }, maximized: false }),
      JSON.stringify({ bounds: { x: 0, y: 0, width: 800, height: 600 }, maximized: 'yes' }),
    ];
    for (const text of bad) {
      fs.writeFileSync(file, text);
      expect(readWindowState(file), text).toBeNull();
    }
    // Negative positions are real: a monitor left of or above the primary one.
    expect(parseWindowState(JSON.stringify({ bounds: { x: -1920, y: -200, width: 800, height: 600 }, maximized: false }))).toEqual({
      bounds: { x: -1920, y: -200, width: 800, height: 600 },
      maximized: false,
    });
  });

  it('ignores a file far too big to be ours', () => {
    fs.writeFileSync(file, JSON.stringify({ ...state, padding: 'x'.repeat(100_000) }));
    expect(readWindowState(file)).toBeNull();
  });

  it.runIf(POSIX)('never reads through, or writes over, a link or a folder where the file belongs', () => {
    const elsewhere = path.join(dir, 'elsewhere.json');
    fs.writeFileSync(elsewhere, JSON.stringify(state));
    fs.symlinkSync(elsewhere, file);
    expect(readWindowState(file)).toBeNull();
    expect(() => writeWindowState(file, { ...state, maximized: true })).toThrow(/symbolic link/);
    expect(JSON.parse(fs.readFileSync(elsewhere, 'utf8'))).toEqual(state);
    fs.unlinkSync(file);
    fs.mkdirSync(file);
    expect(readWindowState(file)).toBeNull();
    expect(() => writeWindowState(file, state)).toThrow(/folder/);
    expect(fs.statSync(file).isDirectory()).toBe(true);
  });

  it('a missing user-data folder is no state, not an error', () => {
    expect(readWindowState(windowStateFile(path.join(dir, 'nope')))).toBeNull();
  });
});

describe('placeWindow', () => {
  const defaults = { width: 1280, height: 800, minWidth: 720, minHeight: 480 };
  const primary: Rect = { x: 0, y: 0, width: 1920, height: 1040 };
  const left: Rect = { x: -1280, y: 0, width: 1280, height: 984 };
  const saved = (bounds: Rect, maximized = false): WindowState => ({ bounds, maximized });

  it('nothing remembered: the default size, centered by the system', () => {
    expect(placeWindow(null, [{ workArea: primary }], defaults)).toEqual({ width: 1280, height: 800, maximized: false });
  });

  it('remembered on a display that is still there: exactly where it was', () => {
    expect(placeWindow(saved({ x: 100, y: 40, width: 1000, height: 700 }), [{ workArea: primary }], defaults)).toEqual({ x: 100, y: 40, width: 1000, height: 700, maximized: false });
    expect(placeWindow(saved({ x: -1200, y: 10, width: 1000, height: 700 }, true), [{ workArea: primary }, { workArea: left }], defaults)).toEqual({
      x: -1200,
      y: 10,
      width: 1000,
      height: 700,
      maximized: true,
    });
  });

  it('remembered on a display that is gone: the default size, centered, still maximized if it was', () => {
    expect(placeWindow(saved({ x: -1200, y: 10, width: 1000, height: 700 }), [{ workArea: primary }], defaults)).toEqual({ width: 1280, height: 800, maximized: false });
    expect(placeWindow(saved({ x: 5000, y: 5000, width: 1000, height: 700 }, true), [{ workArea: primary }], defaults)).toEqual({ width: 1280, height: 800, maximized: true });
    // No display reported at all (a headless session): the defaults.
    expect(placeWindow(saved({ x: 0, y: 0, width: 1000, height: 700 }), [], defaults)).toEqual({ width: 1280, height: 800, maximized: false });
  });

  it('partly off a display: moved wholly onto the one it overlaps most', () => {
    expect(placeWindow(saved({ x: 1800, y: 900, width: 1000, height: 700 }), [{ workArea: primary }], defaults)).toEqual({ x: 920, y: 340, width: 1000, height: 700, maximized: false });
    expect(placeWindow(saved({ x: -100, y: -50, width: 1000, height: 700 }), [{ workArea: primary }], defaults)).toMatchObject({ x: 0, y: 0 });
    // Straddling two displays: the one with more of it wins.
    expect(placeWindow(saved({ x: -300, y: 0, width: 1000, height: 700 }), [{ workArea: primary }, { workArea: left }], defaults)).toMatchObject({ x: 0, y: 0 });
    expect(placeWindow(saved({ x: -800, y: 0, width: 1000, height: 700 }), [{ workArea: primary }, { workArea: left }], defaults)).toMatchObject({ x: -1000, y: 0 });
  });

  it('larger than the display it lands on: made to fit it; smaller than the minimum: made the minimum', () => {
    const small: Rect = { x: 0, y: 24, width: 1366, height: 720 };
    expect(placeWindow(saved({ x: 0, y: 24, width: 2500, height: 1400 }), [{ workArea: small }], defaults)).toEqual({ x: 0, y: 24, width: 1366, height: 720, maximized: false });
    expect(placeWindow(saved({ x: 10, y: 30, width: 200, height: 100 }), [{ workArea: small }], defaults)).toEqual({ x: 10, y: 30, width: 720, height: 480, maximized: false });
  });

  it('a position in the work area only: never under a task bar or menu bar', () => {
    const underMenuBar: Rect = { x: 0, y: 25, width: 1440, height: 875 };
    expect(placeWindow(saved({ x: 20, y: 0, width: 1000, height: 700 }), [{ workArea: underMenuBar }], defaults)).toMatchObject({ x: 20, y: 25 });
  });
});

class FakeWindow extends EventEmitter {
  destroyed = false;
  maximized = false;
  bounds: Rect = { x: 10, y: 20, width: 900, height: 600 };
  isDestroyed() {
    return this.destroyed;
  }
  isMaximized() {
    return this.maximized;
  }
  getNormalBounds() {
    return { ...this.bounds };
  }
}

describe('trackWindowState', () => {
  it('saves once a moment after the window stops moving or resizing, not at every step', () => {
    vi.useFakeTimers();
    const win = new FakeWindow();
    trackWindowState(win, file, { delayMs: 500 });
    for (let i = 0; i < 20; i++) {
      win.bounds = { ...win.bounds, x: 10 + i };
      win.emit('move');
      vi.advanceTimersByTime(100);
    }
    expect(fs.existsSync(file)).toBe(false);
    vi.advanceTimersByTime(500);
    expect(readWindowState(file)).toEqual({ bounds: { x: 29, y: 20, width: 900, height: 600 }, maximized: false });
    win.bounds = { ...win.bounds, width: 1000 };
    win.emit('resize');
    vi.advanceTimersByTime(500);
    expect(readWindowState(file)?.bounds.width).toBe(1000);
  });

  it('remembers maximized with the bounds it returns to', () => {
    vi.useFakeTimers();
    const win = new FakeWindow();
    trackWindowState(win, file, { delayMs: 50 });
    win.maximized = true;
    win.emit('maximize');
    vi.advanceTimersByTime(50);
    expect(readWindowState(file)).toEqual({ bounds: { x: 10, y: 20, width: 900, height: 600 }, maximized: true });
    win.maximized = false;
    win.emit('unmaximize');
    vi.advanceTimersByTime(50);
    expect(readWindowState(file)?.maximized).toBe(false);
  });

  it('saves at once as the window closes, and a pending save never runs after it', () => {
    vi.useFakeTimers();
    const win = new FakeWindow();
    trackWindowState(win, file, { delayMs: 500 });
    win.bounds = { x: 1, y: 2, width: 800, height: 500 };
    win.emit('resize');
    win.emit('close');
    expect(readWindowState(file)?.bounds).toEqual({ x: 1, y: 2, width: 800, height: 500 });
    win.destroyed = true;
    win.emit('closed');
    fs.rmSync(file);
    vi.advanceTimersByTime(1000);
    expect(fs.existsSync(file)).toBe(false);
  });

  it.runIf(POSIX)('a failed save is reported, not thrown', () => {
    const errors: unknown[] = [];
    fs.mkdirSync(file);
    const win = new FakeWindow();
    trackWindowState(win, file, { onError: (err) => errors.push(err) });
    expect(() => win.emit('close')).not.toThrow();
    expect(errors).toHaveLength(1);
  });
});
