// Open Recent's list with real files in a temporary folder, the checks of what the page says it
// opened, the files a command line names, and the save dialog's file types.
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OpenFileRequest } from '../shared/contract';
import {
  MAX_PATH_LENGTH,
  MAX_RECENT_FILES,
  openFileKind,
  openFileRequestsFromArgv,
  parseOpenFileRequest,
  parseRecentFiles,
  parseSuggestedName,
  readRecentFiles,
  RECENT_FILES_FILE,
  RecentFiles,
  saveFilters,
} from './recent-files';

const POSIX = process.platform !== 'win32';
let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(tmpdir(), 'si-recent-'));
  file = path.join(dir, RECENT_FILES_FILE);
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** An absolute path on this platform. */
const abs = (name: string) => path.join(dir, name);
const capture = (name: string): OpenFileRequest => ({ kind: 'capture', path: abs(name) });
const workspace = (name: string): OpenFileRequest => ({ kind: 'workspace', path: abs(name) });

describe('parseOpenFileRequest', () => {
  it('takes a capture or a workspace by absolute path, and only those two fields', () => {
    expect(parseOpenFileRequest(capture('a.pcapng'))).toEqual(capture('a.pcapng'));
    expect(parseOpenFileRequest({ ...workspace('w.json'), extra: 'x', __proto__: { polluted: true } })).toEqual(workspace('w.json'));
    expect(Object.keys(parseOpenFileRequest({ ...capture('a.pcap'), more: 1 })!)).toEqual(['kind', 'path']);
    // Any file name will do: the page says what it opened.
    expect(parseOpenFileRequest(capture('no-extension'))).toEqual(capture('no-extension'));
  });

  it('refuses everything else', () => {
    const long = `/${'a'.repeat(MAX_PATH_LENGTH - 1)}`;
    expect(long).toHaveLength(MAX_PATH_LENGTH);
    for (const junk of [
      null,
      undefined,
      'x.pcap',
      42,
      [capture('a.pcap').kind, capture('a.pcap').path],
      {},
      { kind: 'capture' },
      { path: abs('a.pcap') },
      { kind: 'Capture', path: abs('a.pcap') },
      { kind: 'settings', path: abs('a.pcap') },
      { kind: 'capture', path: 'relative/a.pcap' },
      { kind: 'capture', path: './a.pcap' },
      { kind: 'capture', path: '' },
      { kind: 'capture', path: `${abs('a')}\0.pcap` },
      { kind: 'capture', path: long },
      { kind: 'capture', path: 7 },
      { kind: 'capture', path: [abs('a.pcap')] },
      { kind: 'capture', path: { toString: () => abs('a.pcap') } },
    ]) {
      expect(parseOpenFileRequest(junk), JSON.stringify(junk) ?? String(junk)).toBeNull();
    }
    expect(parseOpenFileRequest({ kind: 'capture', path: long }, () => true)).toBeNull();
    expect(parseOpenFileRequest({ kind: 'capture', path: long.slice(0, -1) })).not.toBeNull();
  });

  it('follows the platform’s idea of an absolute path', () => {
    expect(parseOpenFileRequest({ kind: 'capture', path: 'C:\\captures\\a.pcap' }, path.win32.isAbsolute)).toEqual({ kind: 'capture', path: 'C:\\captures\\a.pcap' });
    expect(parseOpenFileRequest({ kind: 'capture', path: 'captures\\a.pcap' }, path.win32.isAbsolute)).toBeNull();
    expect(parseOpenFileRequest({ kind: 'capture', path: 'C:\\captures\\a.pcap' }, path.posix.isAbsolute)).toBeNull();
  });
});

describe('files named on a command line', () => {
  it('knows captures and workspaces by their extension, whatever its case', () => {
    for (const name of ['a.pcapng', 'a.pcap', 'A.PCAPNG', 'b.cap', 'c.ntar']) expect(openFileKind(name), name).toBe('capture');
    expect(openFileKind('w.json')).toBe('workspace');
    expect(openFileKind('W.JSON')).toBe('workspace');
    for (const name of ['a.txt', 'pcap', 'a.pcap.gz', '.', 'main.cjs', '']) expect(openFileKind(name), name).toBeNull();
  });

  it('takes the files after the executable (and the app folder), resolved where the command ran, each once; switches and other files are left alone', () => {
    const argv = ['/opt/si/socket-inspector', '.', '--no-sandbox', 'x.pcapng', '-v', 'sub/w.json', abs('abs.pcap'), 'x.pcapng', 'notes.txt', '--flag=a.pcap'];
    expect(openFileRequestsFromArgv(argv, dir, 2)).toEqual([capture('x.pcapng'), workspace('sub/w.json'), capture('abs.pcap')]);
    // An installed app: only the executable comes first.
    expect(openFileRequestsFromArgv(['/opt/si/socket-inspector', 'first.pcap'], dir, 1)).toEqual([capture('first.pcap')]);
    expect(openFileRequestsFromArgv(['/opt/si/socket-inspector.json'], dir, 1)).toEqual([]);
    expect(openFileRequestsFromArgv([], dir, 1)).toEqual([]);
  });
});

describe('RecentFiles', () => {
  it('lists files most recent first, each path once, ten at most, and keeps them across runs', () => {
    const recent = new RecentFiles(file);
    expect(recent.list()).toEqual([]);
    expect(recent.add(capture('a.pcapng'))).toBe(true);
    expect(recent.add(workspace('w.json'))).toBe(true);
    expect(recent.add(capture('b.pcap'))).toBe(true);
    expect(recent.list()).toEqual([capture('b.pcap'), workspace('w.json'), capture('a.pcapng')]);
    // Opened again: it moves to the top, and is listed once.
    expect(recent.add(capture('a.pcapng'))).toBe(true);
    expect(recent.list()).toEqual([capture('a.pcapng'), capture('b.pcap'), workspace('w.json')]);
    // Already first: nothing changes, nothing is written.
    const written = fs.statSync(file).mtimeMs;
    const ino = fs.statSync(file).ino;
    expect(recent.add(capture('a.pcapng'))).toBe(false);
    expect(fs.statSync(file).ino).toBe(ino);
    expect(fs.statSync(file).mtimeMs).toBe(written);
    // The same path opened as the other kind takes the new kind.
    expect(recent.add(workspace('w.json'))).toBe(true);
    expect(recent.add({ kind: 'capture', path: abs('w.json') })).toBe(true);
    expect(recent.list()[0]).toEqual({ kind: 'capture', path: abs('w.json') });
    expect(recent.list().filter((r) => r.path === abs('w.json'))).toHaveLength(1);

    for (let i = 0; i < 15; i++) recent.add(capture(`f${i}.pcapng`));
    const expected = Array.from({ length: MAX_RECENT_FILES }, (_, i) => capture(`f${14 - i}.pcapng`));
    expect(recent.list()).toEqual(expected);
    expect(new RecentFiles(file).list()).toEqual(expected);
    expect(readRecentFiles(file)).toEqual(expected);
  });

  it('refuses what is not a request from the page, and writes nothing for it', () => {
    const recent = new RecentFiles(file);
    for (const junk of [null, 'a.pcap', { kind: 'capture', path: 'a.pcap' }, { kind: 'x', path: abs('a.pcap') }, { kind: 'capture', path: `${abs('a')}\0` }]) {
      expect(recent.add(junk)).toBe(false);
    }
    expect(recent.list()).toEqual([]);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('its list is a copy: changing it changes nothing kept', () => {
    const recent = new RecentFiles(file);
    recent.add(capture('a.pcap'));
    const list = recent.list();
    list[0]!.path = '/elsewhere.pcap';
    list.push(capture('b.pcap'));
    expect(recent.list()).toEqual([capture('a.pcap')]);
  });

  it('Clear empties the list, on disk too', () => {
    const recent = new RecentFiles(file);
    expect(recent.clear()).toBe(false);
    recent.add(capture('a.pcap'));
    recent.add(workspace('w.json'));
    expect(recent.clear()).toBe(true);
    expect(recent.list()).toEqual([]);
    expect(new RecentFiles(file).list()).toEqual([]);
    expect(recent.clear()).toBe(false);
  });

  it.runIf(POSIX)('writes a private file (0600) in a private folder (0700), atomically, leaving no temporary file', () => {
    const nested = path.join(dir, 'user-data');
    const inside = path.join(nested, RECENT_FILES_FILE);
    const recent = new RecentFiles(inside);
    recent.add(capture('a.pcap'));
    expect(fs.statSync(inside).mode & 0o777).toBe(0o600);
    expect(fs.statSync(nested).mode & 0o777).toBe(0o700);
    const before = fs.statSync(inside).ino;
    recent.add(capture('b.pcap'));
    expect(fs.statSync(inside).ino).not.toBe(before);
    expect(fs.readdirSync(nested)).toEqual([RECENT_FILES_FILE]);
  });

  it('a damaged file counts as an empty list, and the next file opened replaces it', () => {
    for (const text of ['', '{', 'null', '[]', '"x"', '{"files":{}}', '{"files":"a"}', JSON.stringify([capture('a.pcap')])]) {
      fs.writeFileSync(file, text);
      expect(new RecentFiles(file).list(), text).toEqual([]);
    }
    const recent = new RecentFiles(file);
    recent.add(capture('a.pcap'));
    expect(new RecentFiles(file).list()).toEqual([capture('a.pcap')]);
  });

  it('keeps the good entries of a file edited by hand: bad ones dropped, repeats once, ten at most', () => {
    const files = [
      capture('a.pcap'),
      { kind: 'capture', path: 'relative.pcap' },
      'junk',
      null,
      workspace('w.json'),
      capture('a.pcap'),
      { kind: 'nope', path: abs('x.pcap') },
      ...Array.from({ length: 12 }, (_, i) => capture(`f${i}.pcap`)),
    ];
    fs.writeFileSync(file, JSON.stringify({ files }));
    expect(new RecentFiles(file).list()).toEqual([capture('a.pcap'), workspace('w.json'), ...Array.from({ length: 8 }, (_, i) => capture(`f${i}.pcap`))]);
    expect(parseRecentFiles(JSON.stringify({ files: [capture('a.pcap')], more: true }))).toEqual([capture('a.pcap')]);
  });

  it('ignores a file far too large to be ours', () => {
    fs.writeFileSync(file, JSON.stringify({ files: [capture('a.pcap')], pad: 'x'.repeat(600 * 1024) }));
    expect(new RecentFiles(file).list()).toEqual([]);
  });

  it.runIf(POSIX)('never reads through or writes over a link or a folder in its place; the failed write is reported, the list still changes', () => {
    const target = path.join(dir, 'elsewhere.json');
    fs.writeFileSync(target, JSON.stringify({ files: [capture('secret.pcap')] }));
    fs.symlinkSync(target, file);
    const errors: unknown[] = [];
    const recent = new RecentFiles(file, (err) => errors.push(err));
    expect(recent.list()).toEqual([]);
    expect(recent.add(capture('a.pcap'))).toBe(true);
    expect(recent.list()).toEqual([capture('a.pcap')]);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/symbolic link/);
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(true);
    expect(JSON.parse(fs.readFileSync(target, 'utf8'))).toEqual({ files: [capture('secret.pcap')] });

    fs.rmSync(file);
    fs.mkdirSync(file);
    const again = new RecentFiles(file, (err) => errors.push(err));
    expect(again.list()).toEqual([]);
    again.add(capture('b.pcap'));
    expect(errors).toHaveLength(2);
    expect(fs.statSync(file).isDirectory()).toBe(true);
  });
});

describe('the save dialog', () => {
  it('takes a plain file name as the suggestion, nothing with a folder in it', () => {
    expect(parseSuggestedName('socket-inspector-c1.pcapng')).toBe('socket-inspector-c1.pcapng');
    expect(parseSuggestedName('a'.repeat(255))).toBe('a'.repeat(255));
    for (const junk of ['', '.', '..', '../x.pcapng', '/etc/passwd', 'a/b.txt', 'C:\\x.txt', 'a\\b.txt', 'a\0.txt', 'a'.repeat(256), 42, null, undefined, ['x.txt'], { name: 'x.txt' }]) {
      expect(parseSuggestedName(junk), String(junk)).toBeNull();
    }
  });

  it('offers the file type of the suggested name first, then all files', () => {
    const all = { name: 'All files', extensions: ['*'] };
    expect(saveFilters('x.pcapng')).toEqual([{ name: 'pcapng capture', extensions: ['pcapng'] }, all]);
    expect(saveFilters('x.ndjson')).toEqual([{ name: 'NDJSON (one chunk per line)', extensions: ['ndjson'] }, all]);
    expect(saveFilters('x.txt')).toEqual([{ name: 'Transcript (text)', extensions: ['txt'] }, all]);
    expect(saveFilters('x-in.bin')).toEqual([{ name: 'Raw bytes', extensions: ['bin'] }, all]);
    expect(saveFilters('x.tar')).toEqual([{ name: 'tar archive', extensions: ['tar'] }, all]);
    expect(saveFilters('workspace.json')).toEqual([{ name: 'Socket Inspector workspace', extensions: ['json'] }, all]);
    expect(saveFilters('X.PCAPNG')[0]).toEqual({ name: 'pcapng capture', extensions: ['pcapng'] });
    for (const name of ['x', 'x.exe', 'x.constructor', 'x.__proto__', 'x.toString']) expect(saveFilters(name), name).toEqual([all]);
  });
});
