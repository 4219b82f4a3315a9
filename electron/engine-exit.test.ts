import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeEngineExit, keepCaptureFolder } from './engine-exit';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function parent(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'si-exit-'));
  dirs.push(d);
  return d;
}

describe('keepCaptureFolder', () => {
  it('moves a dead engine\'s payloads aside, without its owner file, and counts them', () => {
    const p = parent();
    const folder = path.join(p, 'socket-inspector-capture-abc123');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'owner.json'), '{"pid":1}');
    writeFileSync(path.join(folder, 'segment-0.bin'), Buffer.alloc(3000));
    writeFileSync(path.join(folder, 'segment-1.bin'), Buffer.alloc(500));
    const kept = keepCaptureFolder(folder, new Date('2026-11-30T12:34:56.789Z'));
    expect(kept).toEqual({ folder: path.join(p, 'socket-inspector-kept-2026-11-30T12-34-56-789Z'), bytes: 3500 });
    expect(existsSync(folder)).toBe(false);
    expect(readdirSync(kept!.folder).sort()).toEqual(['segment-0.bin', 'segment-1.bin']);
  });

  it('removes a folder that holds nothing captured, and leaves what is not a folder alone', () => {
    const p = parent();
    const empty = path.join(p, 'socket-inspector-capture-empty1');
    mkdirSync(empty);
    writeFileSync(path.join(empty, 'owner.json'), '{}');
    expect(keepCaptureFolder(empty)).toBeNull();
    expect(existsSync(empty)).toBe(false);
    const file = path.join(p, 'socket-inspector-capture-file11');
    writeFileSync(file, 'not a folder');
    expect(keepCaptureFolder(file)).toBeNull();
    expect(existsSync(file)).toBe(true);
    const target = path.join(p, 'elsewhere');
    mkdirSync(target);
    writeFileSync(path.join(target, 'segment-0.bin'), 'x');
    const link = path.join(p, 'socket-inspector-capture-link11');
    symlinkSync(target, link);
    expect(keepCaptureFolder(link)).toBeNull();
    expect(existsSync(path.join(target, 'segment-0.bin'))).toBe(true);
    expect(keepCaptureFolder(undefined)).toBeNull();
    expect(keepCaptureFolder(path.join(p, 'missing'))).toBeNull();
  });
});

describe('describeEngineExit', () => {
  it('says what happened, where the bytes are, and what to do', () => {
    expect(describeEngineExit(137, { folder: '/tmp/socket-inspector-kept-x', bytes: 3 * 1024 * 1024 })).toBe(
      'The engine stopped unexpectedly (exit code 137): its connections are closed and its listeners stopped. What it had captured (3.00 MiB of payloads, without the index that said which connection each belonged to) is kept in /tmp/socket-inspector-kept-x; delete it when you no longer need it. Restart the engine to go on.',
    );
    expect(describeEngineExit(1, null)).toBe(
      'The engine stopped unexpectedly (exit code 1): its connections are closed and its listeners stopped. It had nothing captured on disk. Restart the engine to go on.',
    );
  });
});
