// Saved messages on a real file system: permissions, atomic replacement (with a writer killed
// mid-write, again and again), damaged files kept aside and reported, and links and folders
// where the file belongs left alone.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SavedState } from '../../shared/model';
import type { Workspace } from '../../shared/workspace';
import { dispatchCommand } from './dispatch';
import { Engine } from './engine';
import { SavedStore } from './saved';
import { runUnprivileged } from './testing/unprivileged';

const posix = process.platform !== 'win32';
const mode = (p: string) => fs.statSync(p).mode & 0o777;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  while (cleanups.length) await cleanups.pop()!();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-saved-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const STATE: SavedState = {
  snippets: [{ name: 'greet', text: 'hello\\r\\n', hex: false, lineEnding: 'none' }],
  history: ['a', 'b'],
};

describe('SavedStore permissions', () => {
  it.runIf(posix)('creates the data folder 0700 and the file 0600, whatever the umask', () => {
    const dataDir = path.join(tempDir(), 'config', 'socket-inspector');
    const file = path.join(dataDir, 'saved.json');
    const old = process.umask(0o000);
    try {
      expect(new SavedStore(file).set(STATE)).toBeNull();
    } finally {
      process.umask(old);
    }
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(STATE);
    // No temporary file is left beside it.
    expect(fs.readdirSync(dataDir)).toEqual(['saved.json']);
  });

  it.runIf(posix)('tightens a folder and file of ours left world-readable by an earlier version', () => {
    const dataDir = path.join(tempDir(), 'socket-inspector');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    const file = path.join(dataDir, 'saved.json');
    fs.writeFileSync(file, JSON.stringify(STATE), { mode: 0o644 });
    fs.chmodSync(file, 0o644);

    const store = new SavedStore(file);
    expect(store.get()).toEqual(STATE);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(store.set({ ...STATE, history: ['c'] })).toBeNull();
    expect(mode(file)).toBe(0o600);
  });

  it.runIf(posix && process.getuid?.() === 0)('leaves a folder that belongs to someone else as it is', () => {
    const dataDir = path.join(tempDir(), 'shared');
    fs.mkdirSync(dataDir);
    fs.chmodSync(dataDir, 0o755);
    fs.chownSync(dataDir, 65534, 65534);
    new SavedStore(path.join(dataDir, 'saved.json'));
    expect(mode(dataDir)).toBe(0o755);
  });
});

describe('SavedStore damaged files', () => {
  it('keeps a damaged file aside under a new name, reports it, and starts empty', () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'saved.json');
    fs.writeFileSync(file, '{"snippets": [ {"name": "half a');

    const store = new SavedStore(file);
    const { warning, ...state } = store.get();
    expect(state).toEqual({ snippets: [], history: [] });
    const aside = fs.readdirSync(dataDir).filter((n) => n.startsWith('saved.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(dataDir, aside[0]!), 'utf8')).toBe('{"snippets": [ {"name": "half a');
    expect(fs.existsSync(file)).toBe(false);
    expect(warning).toContain(`${file} is damaged (it is not valid JSON`);
    expect(warning).toContain(`It was kept as ${aside[0]}`);

    // Saving works again, into a fresh file, and the kept copy stays as it was.
    expect(store.set(STATE)).toBeNull();
    expect(new SavedStore(file).get()).toEqual(STATE);
    expect(fs.readFileSync(path.join(dataDir, aside[0]!), 'utf8')).toBe('{"snippets": [ {"name": "half a');
  });

  it('never overwrites an earlier kept-aside file, even one from the same millisecond', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-24T10:20:30.456Z'));
    const dataDir = tempDir();
    const file = path.join(dataDir, 'saved.json');
    const contents = ['first damage', '{"snippets": 5, "history": []}', ''];
    for (const text of contents) {
      fs.writeFileSync(file, text);
      expect(new SavedStore(file).get().warning).toMatch(/is damaged/);
    }
    const aside = fs.readdirSync(dataDir).sort();
    expect(aside).toEqual([
      'saved.json.corrupt-2026-11-24T10-20-30.456Z',
      'saved.json.corrupt-2026-11-24T10-20-30.456Z-2',
      'saved.json.corrupt-2026-11-24T10-20-30.456Z-3',
    ]);
    expect(aside.map((n) => fs.readFileSync(path.join(dataDir, n), 'utf8'))).toEqual(contents);
  });

  it('says what is wrong with a file of the wrong shape or an empty one', () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'saved.json');
    fs.writeFileSync(file, JSON.stringify({ snippets: [{ name: '', text: 'x', hex: false, lineEnding: 'none' }], history: [] }));
    expect(new SavedStore(file).get().warning).toMatch(/is damaged \(it is not in the expected form \(snippets\.0\.name: A saved message needs a name\)\)/);
    fs.writeFileSync(file, '   \n');
    expect(new SavedStore(file).get().warning).toMatch(/is damaged \(it is empty\)/);
  });

  it('ignores a warning sent back by the page, and never saves one', () => {
    const file = path.join(tempDir(), 'saved.json');
    fs.writeFileSync(file, 'garbage');
    const store = new SavedStore(file);
    const echoed = store.get();
    expect(echoed.warning).toBeTruthy();
    expect(store.set({ ...echoed, history: ['new'] })).toBeNull();
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ snippets: [], history: ['new'] });
    expect(new SavedStore(file).get()).toEqual({ snippets: [], history: ['new'] });
  });

  it('reaches the page through getSaved, and the page can save the state it got back', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, 'saved.json'), '{oops');
    const engine = new Engine({ dataDir });
    cleanups.push(() => engine.shutdown());
    const got = await dispatchCommand(engine, 'getSaved', {});
    expect(got).toMatchObject({ ok: true, value: { snippets: [], history: [], warning: expect.stringMatching(/kept as saved\.json\.corrupt-/) } });
    // What the page does: change the state it holds (warning and all) and send it back.
    const held = (got as { value: SavedState }).value;
    expect(await dispatchCommand(engine, 'setSaved', { ...held, history: ['sent'] })).toMatchObject({ ok: true });
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'saved.json'), 'utf8'))).toEqual({ snippets: [], history: ['sent'] });
  });
});

describe('SavedStore and the last workspace', () => {
  const WORKSPACE: Workspace = {
    format: 'socket-inspector-workspace',
    version: 1,
    name: 'lab',
    savedAt: '2026-05-01T12:00:00.000Z',
    listeners: [{ kind: 'tcp', host: '127.0.0.1', port: 7000, responder: { kind: 'echo' } }],
    relays: [],
    udp: [{ host: '127.0.0.1', port: 0, broadcast: false }],
    recentTargets: [{ host: '127.0.0.1', port: 7000 }],
    settings: { captureBudgetMiB: 64 },
  };

  it('keeps the last workspace across restarts, beside the saved messages', () => {
    const file = path.join(tempDir(), 'saved.json');
    expect(new SavedStore(file).set({ ...STATE, workspace: WORKSPACE })).toBeNull();
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ ...STATE, workspace: WORKSPACE });
    expect(new SavedStore(file).get()).toEqual({ ...STATE, workspace: WORKSPACE });
    // A state sent without one forgets it.
    const store = new SavedStore(file);
    expect(store.set(STATE)).toBeNull();
    expect(new SavedStore(file).get()).toEqual(STATE);
  });

  it('drops a damaged workspace with a warning, and keeps the saved messages', () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'saved.json');
    fs.writeFileSync(file, JSON.stringify({ ...STATE, workspace: { ...WORKSPACE, listeners: [{ kind: 'tcp', host: '127.0.0.1', port: 70000 }] } }));
    const { warning, ...state } = new SavedStore(file).get();
    expect(state).toEqual(STATE);
    expect(warning).toBe(
      `The last workspace in ${file} could not be read (listeners.0.port: Port must be a whole number from 0 to 65535); it was dropped and is not offered at start. Saved messages are as they were.`,
    );
    // Nothing was moved aside: the messages in the file were fine.
    expect(fs.readdirSync(dataDir)).toEqual(['saved.json']);

    fs.writeFileSync(file, JSON.stringify({ ...STATE, workspace: { ...WORKSPACE, version: 2 } }));
    expect(new SavedStore(file).get()).toMatchObject({ ...STATE, warning: expect.stringContaining('could not be read (version: ') });
    fs.writeFileSync(file, JSON.stringify({ ...STATE, workspace: 'lab' }));
    expect(new SavedStore(file).get()).toMatchObject({ snippets: STATE.snippets, warning: expect.stringContaining('was dropped') });
  });

  it('checks a workspace the page sends with setSaved by the workspace schema', async () => {
    const dataDir = tempDir();
    const engine = new Engine({ dataDir });
    cleanups.push(() => engine.shutdown());
    const bad = { ...WORKSPACE, listeners: [{ kind: 'tcp', host: '127.0.0.1', port: 7000, responder: { kind: 'program', command: '' } }] };
    expect(await dispatchCommand(engine, 'setSaved', { ...STATE, workspace: bad })).toMatchObject({ ok: false, code: 'INVALID_INPUT', message: expect.stringContaining('Enter a command to run') });
    expect(await dispatchCommand(engine, 'setSaved', { ...STATE, workspace: WORKSPACE })).toMatchObject({ ok: true, value: { workspace: WORKSPACE } });
    expect(await dispatchCommand(engine, 'getSaved', {})).toEqual({ ok: true, value: { ...STATE, workspace: WORKSPACE } });
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'saved.json'), 'utf8')).workspace).toEqual(WORKSPACE);
  });
});

describe.runIf(posix)('SavedStore and things that are not a regular file', () => {
  it('refuses a symbolic link: neither it nor its target is read, moved or written', () => {
    const dir = tempDir();
    const target = path.join(dir, 'elsewhere.json');
    fs.writeFileSync(target, JSON.stringify(STATE));
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir);
    const file = path.join(dataDir, 'saved.json');
    fs.symlinkSync(target, file);

    const store = new SavedStore(file);
    const { warning, ...state } = store.get();
    expect(state).toEqual({ snippets: [], history: [] });
    expect(warning).toBe(`Saved messages could not be loaded: ${file} is a symbolic link, not a file; it was left as it is. They last for this run only.`);
    expect(store.set({ ...STATE, history: ['x'] })).toBe(`Saved for this run only: ${file} is a symbolic link, not a file; it was left as it is.`);
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(file)).toBe(target);
    expect(JSON.parse(fs.readFileSync(target, 'utf8'))).toEqual(STATE);
    expect(fs.readdirSync(dataDir)).toEqual(['saved.json']);
  });

  it('refuses a link that appears after loading, without touching it', () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'saved.json');
    const store = new SavedStore(file);
    const target = path.join(tempDir(), 'victim');
    fs.writeFileSync(target, 'keep me');
    fs.symlinkSync(target, file);
    expect(store.set(STATE)).toMatch(/is a symbolic link, not a file/);
    expect(fs.readFileSync(target, 'utf8')).toBe('keep me');
    expect(fs.readdirSync(dataDir)).toEqual(['saved.json']);
  });

  it('refuses a folder where the file belongs, and leaves its contents alone', () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'saved.json');
    fs.mkdirSync(file);
    fs.writeFileSync(path.join(file, 'inside'), 'x');
    const store = new SavedStore(file);
    expect(store.get().warning).toMatch(/saved\.json is a folder, not a file; it was left as it is/);
    expect(store.set(STATE)).toMatch(/is a folder, not a file/);
    expect(fs.readdirSync(file)).toEqual(['inside']);
  });

  // As root every file is readable, so this runs as an unprivileged user.
  it.runIf(process.platform === 'linux')('does not write over a file it could not read', async () => {
    const run = await runUnprivileged(`
      import fs from 'node:fs';
      import os from 'node:os';
      import path from 'node:path';
      import { SavedStore } from ${JSON.stringify(path.resolve(import.meta.dirname, 'saved'))};
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-saved-unreadable-'));
      try {
        const file = path.join(dir, 'saved.json');
        fs.writeFileSync(file, '{"snippets":[],"history":["keep"]}');
        fs.chmodSync(file, 0o200);
        const store = new SavedStore(file);
        const warning = store.get().warning;
        const problem = store.set({ snippets: [], history: [] });
        fs.chmodSync(file, 0o600);
        console.log(JSON.stringify({ file, warning, problem, content: fs.readFileSync(file, 'utf8') }));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    `);
    expect(run.status, run.stderr).toBe(0);
    const { file, warning, problem, content } = JSON.parse(run.stdout) as Record<string, string>;
    expect(warning).toBe(`Saved messages could not be loaded: ${file} could not be read (EACCES); it was left as it is. They last for this run only.`);
    expect(problem).toBe(`Saved for this run only: ${file} could not be read (EACCES); it was left as it is.`);
    expect(content).toBe('{"snippets":[],"history":["keep"]}');
  });
});

describe('SavedStore atomic writes', () => {
  it('loads the saved file as it is when a temporary file from a crashed write lies beside it', () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'saved.json');
    expect(new SavedStore(file).set(STATE)).toBeNull();
    const leftover = path.join(dataDir, 'saved.json.4242.0123456789ab.tmp');
    fs.writeFileSync(leftover, '{"snippets": [{"name": "half wri');
    const store = new SavedStore(file);
    expect(store.get()).toEqual(STATE);
    expect(store.set({ ...STATE, history: ['after'] })).toBeNull();
    expect(new SavedStore(file).get()).toEqual({ ...STATE, history: ['after'] });
  });

  describe.runIf(posix)('with a writer killed mid-write', () => {
    let bundleDir = '';
    let writer = '';
    beforeAll(async () => {
      bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-saved-writer-'));
      fs.writeFileSync(
        path.join(bundleDir, 'writer.ts'),
        `import { SavedStore } from ${JSON.stringify(path.resolve(import.meta.dirname, 'saved'))};
const store = new SavedStore(process.argv[2]);
// About 12 MB a write, mostly long plain strings: quick to serialize, slow enough to write and
// flush that kills land inside the write.
const line = 'x'.repeat(60_000);
const snippets = Array.from({ length: 500 }, (_, k) => ({ name: 'n' + k, text: 'hello', hex: false, lineEnding: 'none' as const }));
for (let i = 0; ; i++) {
  const problem = store.set({ snippets, history: [String(i), ...Array.from({ length: 199 }, () => line)] });
  if (problem) throw new Error(problem);
  if (i === 0) process.stdout.write('writing\\n');
}
`,
      );
      writer = path.join(bundleDir, 'writer.cjs');
      await build({ entryPoints: [path.join(bundleDir, 'writer.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: writer, logLevel: 'silent' });
    });
    afterAll(() => {
      if (bundleDir) fs.rmSync(bundleDir, { recursive: true, force: true });
    });

    it('always finds a whole file: the one before or the one after, never a mix', async () => {
      const dataDir = tempDir();
      const file = path.join(dataDir, 'saved.json');
      let lastSeen = -1;
      let leftovers = 0;
      // Six rounds at least, and more (up to 24) until a kill has landed mid-write: where the
      // kills fall depends on the machine's speed.
      for (let round = 0; round < 6 || (leftovers === 0 && round < 24); round++) {
        const child = spawn(process.execPath, [writer, file], { stdio: ['ignore', 'pipe', 'pipe'] });
        cleanups.push(() => child.kill('SIGKILL'));
        let err = '';
        child.stderr!.on('data', (d) => (err += String(d)));
        const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
        await new Promise<void>((resolve, reject) => {
          child.stdout!.once('data', () => resolve());
          child.once('exit', () => reject(new Error(`the writer stopped on its own: ${err}`)));
        });
        await new Promise((r) => setTimeout(r, 20 + (round % 6) * 15 + Math.floor(round / 6) * 4));
        child.kill('SIGKILL');
        expect(await exited).toBe('SIGKILL');

        leftovers += fs.readdirSync(dataDir).filter((n) => n.endsWith('.tmp')).length;
        const loaded = new SavedStore(file).get();
        expect(loaded.warning, `round ${round}`).toBeUndefined();
        expect(loaded.snippets).toHaveLength(500);
        expect(fs.readdirSync(dataDir).some((n) => n.includes('.corrupt-'))).toBe(false);
        const seen = Number(loaded.history[0]);
        expect(Number.isSafeInteger(seen)).toBe(true);
        lastSeen = seen;
      }
      expect(lastSeen).toBeGreaterThanOrEqual(0);
      // Kills landed mid-write at least once (a temporary file was left), and loading did not mind.
      expect(leftovers).toBeGreaterThan(0);
    });
  });
});
