import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bundle, killChildren, runNode } from '../testing/node-child';
import { CaptureStore, ConnectionCapture } from './capture';
import { OWNER_FILE, currentOwner, processStartTime, readOwner, sweepAbandonedCaptureFolders, type FolderOwner } from './capture-folder';

const linux = process.platform === 'linux';

/** A process that records bytes into a store in the folder given as argv[2], then waits to be killed. */
const CAPTURING_CHILD = `
import { CaptureStore, ConnectionCapture } from ${JSON.stringify(path.join(import.meta.dirname, 'capture'))};
const store = new CaptureStore(1 << 20, { dir: process.argv[2], segmentBytes: 4096, bufferBytes: 1024 });
const capture = new ConnectionCapture('C1');
for (let seq = 0; seq < 20; seq++) {
  store.add(capture, { connectionId: 'C1', seq, direction: 'in', time: Date.now(), size: 1000, data: new Uint8Array(1000).fill(seq) });
}
console.log('capturing in ' + store.directory);
setInterval(() => {}, 1000);
`;

let scratch: string;
let childScript: string;
/** The parent folder the stores under test use; a fresh one per test, so concurrent runs never meet. */
let parent: string;
const stores: CaptureStore[] = [];

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'si-capture-folder-test-'));
  fs.writeFileSync(path.join(scratch, 'child.ts'), CAPTURING_CHILD);
  childScript = path.join(scratch, 'child.cjs');
  await bundle(path.join(scratch, 'child.ts'), childScript);
});

beforeEach(() => {
  parent = fs.mkdtempSync(path.join(scratch, 'parent-'));
});

afterEach(async () => {
  for (const store of stores.splice(0)) store.close();
  await killChildren();
});

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function newStore(): CaptureStore {
  const store = new CaptureStore(1 << 20, { dir: parent });
  stores.push(store);
  return store;
}

function captureFolders(): string[] {
  return fs.readdirSync(parent).filter((name) => name.startsWith('socket-inspector-capture-')).sort();
}

/** A process that has certainly exited: its pid names nobody (until the system reuses it). */
function deadPid(): number {
  const run = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(run.stdout.trim());
}

/** A folder as a store makes it, with the given owner (or none) and a payload file. */
function fakeFolder(name: string, owner: Partial<FolderOwner> | null, extra: Record<string, string> = {}): string {
  const folder = path.join(parent, name);
  fs.mkdirSync(folder, { mode: 0o700 });
  if (owner) fs.writeFileSync(path.join(folder, OWNER_FILE), JSON.stringify({ start: null, boot: null, ...owner }), { mode: 0o600 });
  fs.writeFileSync(path.join(folder, 'segment-0.bin'), 'captured payload', { mode: 0o600 });
  for (const [file, text] of Object.entries(extra)) fs.writeFileSync(path.join(folder, file), text);
  return folder;
}

async function capturingChild() {
  const child = runNode(childScript, [parent]);
  const folder = (await child.waitFor(/capturing in (\S+)/))[1]!;
  return { ...child, folder };
}

describe('capture folders left by stores that died', () => {
  it('a store killed with SIGKILL leaves its folder with payloads; the next store removes it', async () => {
    const child = await capturingChild();
    expect(fs.readdirSync(child.folder).filter((f) => f.startsWith('segment-')).length).toBeGreaterThan(0);
    child.child.kill('SIGKILL');
    await child.exited();
    expect(fs.existsSync(child.folder)).toBe(true);
    const store = newStore();
    expect(fs.existsSync(child.folder)).toBe(false);
    expect(captureFolders()).toEqual([path.basename(store.directory!)]);
  });

  it("keeps a live owner's folder, and removes it once that owner is killed", async () => {
    const child = await capturingChild();
    newStore();
    expect(fs.existsSync(child.folder)).toBe(true);
    expect(sweepAbandonedCaptureFolders(parent)).toEqual([]);
    child.child.kill('SIGKILL');
    await child.exited();
    expect(sweepAbandonedCaptureFolders(parent)).toEqual([child.folder]);
    expect(fs.existsSync(child.folder)).toBe(false);
  });

  it('makes its folder 0700 and its files 0600, and names its owner in it', async () => {
    const store = new CaptureStore(1 << 20, { dir: parent, segmentBytes: 4096, bufferBytes: 1024 });
    stores.push(store);
    const capture = new ConnectionCapture('C1');
    for (let seq = 0; seq < 20; seq++) store.add(capture, { connectionId: 'C1', seq, direction: 'in', time: 0, offset: seq * 1000, size: 1000, data: new Uint8Array(1000) });
    const folder = store.directory!;
    if (process.platform !== 'win32') {
      expect(fs.statSync(folder).mode & 0o777).toBe(0o700);
      const files = fs.readdirSync(folder);
      expect(files).toContain(OWNER_FILE);
      expect(files.filter((f) => f.startsWith('segment-')).length).toBeGreaterThan(1);
      for (const file of files) expect(fs.statSync(path.join(folder, file)).mode & 0o777, file).toBe(0o600);
    }
    expect(readOwner(folder)).toEqual(currentOwner());
    expect(currentOwner().pid).toBe(process.pid);
  });

  it('removes the folder of a process that has exited, and leaves its own', () => {
    const dead = fakeFolder('socket-inspector-capture-dead01', { pid: deadPid() });
    const store = newStore();
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(store.directory!)).toBe(true);
    // Another store in the same process does not take the first one's folder for a dead one.
    const second = newStore();
    expect(captureFolders()).toEqual([path.basename(store.directory!), path.basename(second.directory!)].sort());
  });

  it.runIf(linux)('tells a reused pid from the owner by its start time and boot', () => {
    const me = currentOwner();
    expect(me.start).toMatch(/^\d+$/);
    expect(processStartTime(process.pid)).toBe(me.start);
    // This very pid, but a process that started at another time: an earlier run in a container.
    const earlierSelf = fakeFolder('socket-inspector-capture-reuse1', { pid: process.pid, start: String(Number(me.start) - 1), boot: me.boot });
    // A live process (our parent), but not the one that made the folder.
    const reusedParent = fakeFolder('socket-inspector-capture-reuse2', { pid: process.ppid, start: '1', boot: me.boot });
    // The same pid and start, but from before the last boot.
    const lastBoot = fakeFolder('socket-inspector-capture-reuse3', { pid: process.ppid, start: processStartTime(process.ppid), boot: 'another-boot' });
    // The live parent process itself: kept.
    const liveParent = fakeFolder('socket-inspector-capture-alive1', { pid: process.ppid, start: processStartTime(process.ppid), boot: me.boot });
    expect(sweepAbandonedCaptureFolders(parent).sort()).toEqual([earlierSelf, reusedParent, lastBoot].sort());
    expect(fs.existsSync(liveParent)).toBe(true);
  });

  it('leaves alone symlinks, folders without an owner file, other names, and folders holding anything else', () => {
    const gone = { pid: deadPid() };
    const target = fakeFolder('not-a-capture-folder', gone);
    fs.symlinkSync(target, path.join(parent, 'socket-inspector-capture-link01'));
    const noOwner = fakeFolder('socket-inspector-capture-nomark', null);
    const otherName = fakeFolder('socket-inspector-capture-longername', gone);
    const foreignFile = fakeFolder('socket-inspector-capture-notes1', gone, { 'notes.txt': 'the user put this here' });
    const ownerLink = fakeFolder('socket-inspector-capture-olink1', null);
    fs.symlinkSync(path.join(target, OWNER_FILE), path.join(ownerLink, OWNER_FILE));
    const badOwner = fakeFolder('socket-inspector-capture-badown', null, { [OWNER_FILE]: '{"pid": 0}' });
    const notJson = fakeFolder('socket-inspector-capture-nojson', null, { [OWNER_FILE]: 'pid=1' });
    const aFile = path.join(parent, 'socket-inspector-capture-afile1');
    fs.writeFileSync(aFile, JSON.stringify(gone));

    newStore();
    expect(sweepAbandonedCaptureFolders(parent)).toEqual([]);
    for (const kept of [target, noOwner, otherName, foreignFile, ownerLink, badOwner, notJson, aFile]) {
      expect(fs.existsSync(kept), kept).toBe(true);
    }
    expect(fs.lstatSync(path.join(parent, 'socket-inspector-capture-link01')).isSymbolicLink()).toBe(true);
    for (const folder of [target, noOwner, foreignFile]) expect(fs.readFileSync(path.join(folder, 'segment-0.bin'), 'utf8')).toBe('captured payload');
  });

  it.runIf(process.getuid?.() === 0)("leaves another user's folder alone", () => {
    const folder = fakeFolder('socket-inspector-capture-nobody', { pid: deadPid() });
    fs.chownSync(folder, 65534, 65534);
    expect(sweepAbandonedCaptureFolders(parent)).toEqual([]);
    expect(fs.existsSync(folder)).toBe(true);
  });
});
