import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProgramInfo, ResponderConfig, ResponderRule } from '../../shared/model';
import { createResponder, expandTemplate, MAX_LINE_BYTES, MAX_PENDING_BYTES, MAX_PENDING_REPLIES, STDERR_KEEP, type Responder, type ResponderShared, type SendOutcome } from './responders';

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (text: string) => enc.encode(text);
const s = (bytes: Uint8Array) => dec.decode(bytes);

/** Records what a responder does, in order. */
class FakeHost {
  sent: Uint8Array[] = [];
  programs: ProgramInfo[] = [];
  /** 'send:<text>' | 'end' | 'program:<state>', in call order. */
  log: string[] = [];
  ends = 0;
  canSend = true;
  /** When set, every send after this many reports 'full' until drain() is called. */
  fullAfter = Number.POSITIVE_INFINITY;
  /** Whether the responder asked to stop reading from the peer, and how often it changed its mind. */
  holding = false;
  holdChanges = 0;
  private waiters: Array<() => void> = [];

  sendAuto(bytes: Uint8Array): SendOutcome {
    this.sent.push(Uint8Array.from(bytes));
    this.log.push(`send:${s(bytes)}`);
    if (!this.canSend) return 'closed';
    return this.sent.length >= this.fullAfter ? 'full' : 'ok';
  }
  whenWritable(callback: () => void): void {
    this.waiters.push(callback);
  }
  holdInput(hold: boolean): void {
    if (hold !== this.holding) this.holdChanges++;
    this.holding = hold;
  }
  /** The peer read everything: the send buffer is empty again. */
  drain(): void {
    this.fullAfter = Number.POSITIVE_INFINITY;
    for (const w of this.waiters.splice(0)) w();
  }
  get waiting(): number {
    return this.waiters.length;
  }
  end(): void {
    this.ends++;
    this.log.push('end');
  }
  programUpdated(info: ProgramInfo): void {
    this.programs.push(info);
    this.log.push(`program:${info.state}`);
  }
  get text(): string {
    return this.sent.map(s).join('');
  }
  get replies(): string[] {
    return this.sent.map(s);
  }
  get lastProgram(): ProgramInfo | undefined {
    return this.programs[this.programs.length - 1];
  }
}

const made: Responder[] = [];
const pids = new Set<number>();

function make(config: ResponderConfig, shared?: ResponderShared): { r: Responder; host: FakeHost } {
  const host = new FakeHost();
  const programUpdated = host.programUpdated.bind(host);
  host.programUpdated = (info) => {
    if (info.pid !== undefined) pids.add(info.pid);
    programUpdated(info);
  };
  const r = createResponder(config, host, shared);
  if (!r) throw new Error('expected a responder');
  made.push(r);
  return { r, host };
}

/** Running, as opposed to gone or a zombie (an orphan waits for init to reap it, which can take a while). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    // No /proc (macOS): a signal that was delivered is as far as we can tell.
    return !fs.existsSync('/proc/self');
  }
}

afterEach(() => {
  for (const r of made.splice(0)) r.dispose();
  // Whatever a failing test left behind: the program and anything it started in its group.
  for (const pid of pids) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  pids.clear();
});

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rule(match: ResponderRule['match'], pattern: string, reply: string, extra: Partial<ResponderRule> = {}): ResponderRule {
  return { match, pattern, reply, delayMs: 0, close: false, ...extra };
}

function rules(list: ResponderRule[], extra: { defaultReply?: string; lineFraming?: boolean } = {}): ResponderConfig {
  return { kind: 'rules', rules: list, defaultReply: extra.defaultReply ?? '', lineFraming: extra.lineFraming ?? false };
}

describe('expandTemplate', () => {
  const received = b('hi');

  it('interprets escapes in literal text', () => {
    expect(Array.from(expandTemplate('a\\r\\n\\t\\0\\\\\\x41\\xff', { counter: 1, received }))).toEqual([
      0x61, 0x0d, 0x0a, 0x09, 0x00, 0x5c, 0x41, 0xff,
    ]);
    expect(s(expandTemplate('héllo ✓', { counter: 1, received }))).toBe('héllo ✓');
    expect(expandTemplate('', { counter: 1, received }).length).toBe(0);
  });

  it('{{time}} is local ISO-8601 with milliseconds and the offset', () => {
    const now = new Date(2024, 0, 2, 3, 4, 5, 67);
    const out = s(expandTemplate('[{{time}}]', { counter: 1, received, now }));
    expect(out).toMatch(/^\[2024-01-02T03:04:05\.067[+-]\d{2}:\d{2}\]$/);
    expect(Date.parse(out.slice(1, -1))).toBe(now.getTime());
    const live = s(expandTemplate('{{time}}', { counter: 1, received }));
    expect(Math.abs(Date.parse(live) - Date.now())).toBeLessThan(5000);
  });

  it('{{unixtime}} is whole seconds', () => {
    const now = new Date(1_700_000_000_999);
    expect(s(expandTemplate('{{unixtime}}', { counter: 1, received, now }))).toBe('1700000000');
  });

  it('{{counter}}, {{random}} and {{hex}}', () => {
    expect(s(expandTemplate('#{{counter}}', { counter: 42, received }))).toBe('#42');
    for (let i = 0; i < 50; i++) {
      const r = Number(s(expandTemplate('{{random}}', { counter: 1, received })));
      expect(Number.isInteger(r)).toBe(true);
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThan(2 ** 31);
    }
    expect(s(expandTemplate('got {{hex}}', { counter: 1, received: Uint8Array.from([0x00, 0x0a, 0xff]) }))).toBe('got 00 0a ff');
    expect(s(expandTemplate('[{{hex}}]', { counter: 1, received: new Uint8Array(0) }))).toBe('[]');
  });

  it('regex groups: {{0}} {{1}}…, empty when absent', () => {
    const groups = ['user=bob', 'user', 'bob'];
    expect(s(expandTemplate('{{0}}|{{1}}|{{2}}|{{3}}|', { counter: 1, received, groups }))).toBe('user=bob|user|bob||');
    expect(s(expandTemplate('{{1}}', { counter: 1, received }))).toBe('');
  });

  it('placeholder values are raw text: a backslash in a group stays a backslash', () => {
    const out = expandTemplate('\\x41{{1}}\\n', { counter: 1, received, groups: ['', 'C:\\new\\x41'] });
    expect(s(out)).toBe('AC:\\new\\x41\n');
  });

  it('unknown placeholders and stray braces stay as typed', () => {
    expect(s(expandTemplate('{{nope}} {{ }} {x} {{counter', { counter: 7, received }))).toBe('{{nope}} {{ }} {x} {{counter');
    expect(s(expandTemplate('{{{counter}}}', { counter: 7, received }))).toBe('{7}');
    expect(s(expandTemplate('{{ counter }}', { counter: 7, received }))).toBe('7');
    // Text inside an unknown placeholder is not escape-processed.
    expect(s(expandTemplate('{{a\\n}}', { counter: 1, received }))).toBe('{{a\\n}}');
  });

  it('literal text with a bad escape is kept as typed instead of throwing', () => {
    expect(s(expandTemplate('C:\\dir {{counter}}', { counter: 3, received }))).toBe('C:\\dir 3');
  });
});

describe('createResponder: echo and fixed', () => {
  it('off is null', () => {
    expect(createResponder({ kind: 'off' }, new FakeHost())).toBeNull();
  });

  it('echo sends back exactly each chunk', () => {
    const { r, host } = make({ kind: 'echo' });
    const binary = Uint8Array.from([0, 1, 2, 0xff, 0x0d, 0x0a]);
    r.onData(b('hello'));
    r.onData(binary);
    r.onPeerEnd(() => undefined);
    expect(host.sent).toEqual([b('hello'), binary]);
    expect(host.ends).toBe(0);
  });

  it('fixed replies to each chunk with escapes interpreted', () => {
    const { r, host } = make({ kind: 'fixed', reply: 'OK\\r\\n', hex: false, close: false });
    r.onData(b('a'));
    r.onData(b('b'));
    expect(host.replies).toEqual(['OK\r\n', 'OK\r\n']);
    expect(host.ends).toBe(0);
  });

  it('fixed with hex', () => {
    const { r, host } = make({ kind: 'fixed', reply: 'de ad be ef', hex: true, close: false });
    r.onData(b('x'));
    expect(Array.from(host.sent[0]!)).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  it('fixed + close: the client gets ACK! then EOF, and later data gets nothing', () => {
    const { r, host } = make({ kind: 'fixed', reply: 'ACK!', hex: false, close: true });
    r.onData(b('hello server'));
    r.onData(b('more'));
    expect(host.log).toEqual(['send:ACK!', 'end']);
  });

  it('stops when the host says the connection cannot send', () => {
    const { r, host } = make({ kind: 'echo' });
    host.canSend = false;
    r.onData(b('a'));
    r.onData(b('b'));
    expect(host.sent.length).toBe(1);
  });

  it('a host that throws never makes onData throw', () => {
    const host = new FakeHost();
    host.sendAuto = () => {
      throw new Error('boom');
    };
    for (const config of [{ kind: 'echo' }, rules([rule('contains', 'a', 'x')])] as ResponderConfig[]) {
      const r = createResponder(config, host)!;
      expect(() => r.onData(b('a'))).not.toThrow();
      expect(() => r.onPeerEnd(() => undefined)).not.toThrow();
      expect(() => r.dispose()).not.toThrow();
    }
  });
});

describe('createResponder: rules', () => {
  it('exact compares bytes, with escapes in the pattern', () => {
    const { r, host } = make(rules([rule('exact', 'PING\\r\\n', 'PONG')]));
    r.onData(b('PING'));
    r.onData(b('PING\r\n'));
    r.onData(b('PING\r\n!'));
    expect(host.replies).toEqual(['PONG']);
  });

  it('contains', () => {
    const { r, host } = make(rules([rule('contains', 'needle', 'found')]));
    r.onData(b('haystack'));
    r.onData(b('a needle here'));
    r.onData(b('needl'));
    expect(host.replies).toEqual(['found']);
  });

  it('startsWith', () => {
    const { r, host } = make(rules([rule('startsWith', 'GET ', 'HTTP/1.0 200 OK\\r\\n\\r\\n')]));
    r.onData(b('POST / HTTP/1.0'));
    r.onData(b('GET / HTTP/1.0\r\n'));
    r.onData(b('xGET '));
    expect(host.replies).toEqual(['HTTP/1.0 200 OK\r\n\r\n']);
  });

  it('regex with groups, over UTF-8 text (invalid bytes become U+FFFD)', () => {
    const { r, host } = make(rules([rule('regex', '^HELLO (\\w+)(!)?', 'hi {{1}}{{2}} ({{0}})'), rule('regex', 'x(.)y', '[{{1}}]')]));
    r.onData(b('HELLO bob'));
    r.onData(b('HELLO amy!'));
    r.onData(b('nope'));
    r.onData(Uint8Array.from([0x78, 0xff, 0x79]));
    r.onData(b('xéy'));
    expect(host.replies).toEqual(['hi bob (HELLO bob)', 'hi amy! (HELLO amy!)', '[\ufffd]', '[é]']);
  });

  it('hex: the chunk contains these bytes', () => {
    const { r, host } = make(rules([rule('hex', '00 ff', 'bin')]));
    r.onData(Uint8Array.from([1, 0, 0xff, 2]));
    r.onData(Uint8Array.from([0xff, 0]));
    expect(host.replies).toEqual(['bin']);
  });

  it('the first matching rule wins', () => {
    const { r, host } = make(
      rules([rule('startsWith', 'A', 'first'), rule('contains', 'AB', 'second'), rule('regex', '.', 'third')]),
    );
    r.onData(b('AB'));
    r.onData(b('xAB'));
    r.onData(b('z'));
    expect(host.replies).toEqual(['first', 'second', 'third']);
  });

  it('default reply when nothing matches, with templates; none when empty', () => {
    const { r, host } = make(rules([rule('exact', 'a', 'A')], { defaultReply: '? {{hex}}\\n' }));
    r.onData(b('a'));
    r.onData(b('zz'));
    expect(host.replies).toEqual(['A', '? 7a 7a\n']);

    const quiet = make(rules([rule('exact', 'a', 'A')]));
    quiet.r.onData(b('zz'));
    expect(quiet.host.sent.length).toBe(0);
  });

  it('an empty reply sends nothing but close still applies', () => {
    const { r, host } = make(rules([rule('exact', 'bye', '', { close: true })]));
    r.onData(b('bye'));
    r.onData(b('bye'));
    expect(host.log).toEqual(['end']);
  });

  it('close ends after the reply, and nothing is sent after it', () => {
    const { r, host } = make(rules([rule('exact', 'quit', 'BYE\\n', { close: true }), rule('regex', '.*', 'echo {{0}}')], { lineFraming: true }));
    r.onData(b('one\nquit\ntwo\n'));
    r.onData(b('three\n'));
    expect(host.log).toEqual(['send:echo one', 'send:BYE\n', 'end']);
  });

  it('{{counter}} counts replies across the connections of one listener', () => {
    const shared: ResponderShared = { counter: 0 };
    const config = rules([rule('contains', 'x', 'n={{counter}}')], { defaultReply: 'd={{counter}}' });
    const a = make(config, shared);
    const c = make(config, shared);
    a.r.onData(b('x'));
    c.r.onData(b('x'));
    a.r.onData(b('y'));
    expect(a.host.replies).toEqual(['n=1', 'd=3']);
    expect(c.host.replies).toEqual(['n=2']);
    expect(shared.counter).toBe(3);
  });

  it('a delayed reply to chunk 1 still arrives before the reply to chunk 2', async () => {
    const { r, host } = make(rules([rule('exact', 'slow', 'A', { delayMs: 150 }), rule('exact', 'fast', 'B')]));
    const start = Date.now();
    r.onData(b('slow'));
    r.onData(b('fast'));
    expect(host.sent.length).toBe(0);
    await waitFor(() => host.sent.length === 2, 'both replies');
    expect(host.replies).toEqual(['A', 'B']);
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
  });

  it('delays count from when each chunk arrived, not one after another', async () => {
    const { r, host } = make(rules([rule('regex', '\\d', '{{0}}', { delayMs: 300 })]));
    const start = Date.now();
    r.onData(b('1'));
    r.onData(b('2'));
    r.onData(b('3'));
    await waitFor(() => host.sent.length === 3, 'three replies');
    expect(host.replies).toEqual(['1', '2', '3']);
    expect(Date.now() - start).toBeLessThan(800);
  });

  it('an immediate reply on an idle connection is sent during onData', () => {
    const { r, host } = make(rules([rule('contains', 'x', 'y')]));
    r.onData(b('x'));
    expect(host.replies).toEqual(['y']);
  });

  it('dispose cancels delayed replies', async () => {
    const { r, host } = make(rules([rule('contains', 'x', 'late', { delayMs: 50 })]));
    r.onData(b('x'));
    r.dispose();
    await sleep(120);
    expect(host.sent.length).toBe(0);
  });

  it('delayed close ends after the delayed reply', async () => {
    const { r, host } = make(rules([rule('contains', 'x', 'bye', { delayMs: 30, close: true })]));
    r.onData(b('x'));
    expect(host.log).toEqual([]);
    await waitFor(() => host.ends === 1, 'end');
    expect(host.log).toEqual(['send:bye', 'end']);
  });
});

describe('createResponder: backpressure', () => {
  it('echo keeps answering when the host reports full: holding the input is the engine\'s part', () => {
    const { r, host } = make({ kind: 'echo' });
    host.fullAfter = 1;
    r.onData(b('one'));
    r.onData(b('two'));
    expect(host.replies).toEqual(['one', 'two']);
    expect(host.holding).toBe(false);
  });

  it('rules: after a reply the peer does not read, the next replies wait for the drain, in order', () => {
    const { r, host } = make({ kind: 'rules', rules: [], defaultReply: '<{{hex}}>', lineFraming: false });
    host.fullAfter = 1;
    r.onData(b('a'));
    r.onData(b('b'));
    r.onData(b('c'));
    expect(host.replies).toEqual(['<61>']);
    expect(host.waiting).toBe(1);
    host.drain();
    expect(host.replies).toEqual(['<61>', '<62>', '<63>']);
  });

  it('rules: delayed replies past the queue bound hold the input until the queue is back under half', async () => {
    const { r, host } = make({ kind: 'rules', rules: [{ match: 'contains', pattern: 'x', reply: 'y', delayMs: 150, close: false }], defaultReply: '', lineFraming: false });
    for (let i = 0; i <= MAX_PENDING_REPLIES; i++) r.onData(b('x'));
    expect(host.holding).toBe(true);
    expect(host.sent.length).toBe(0);
    await waitFor(() => host.sent.length === MAX_PENDING_REPLIES + 1, 'every delayed reply');
    expect(host.holding).toBe(false);
    expect(host.holdChanges).toBe(2);
  });

  it('rules: large chunks waiting for a delayed {{hex}} reply count by their bytes', () => {
    const { r, host } = make({ kind: 'rules', rules: [], defaultReply: '{{hex}}', lineFraming: false });
    host.fullAfter = 0;
    const big = new Uint8Array(64 * 1024);
    let n = 0;
    while (!host.holding && n < 100) {
      r.onData(big);
      n++;
    }
    expect(host.holding).toBe(true);
    expect(n * big.length).toBeGreaterThan(MAX_PENDING_BYTES);
    expect(n * big.length).toBeLessThan(MAX_PENDING_BYTES + 2 * big.length);
    r.dispose();
    expect(host.holding).toBe(false);
  });

  it('rules: on the peer\'s FIN, finished is called once the last delayed reply went', async () => {
    const { r, host } = make({ kind: 'rules', rules: [{ match: 'exact', pattern: 'q', reply: 'bye', delayMs: 100, close: false }], defaultReply: '', lineFraming: false });
    r.onData(b('q'));
    let finished = 0;
    r.onPeerEnd(() => finished++);
    expect(finished).toBe(0);
    await waitFor(() => finished === 1, 'finished');
    expect(host.replies).toEqual(['bye']);
  });

  it('echo and fixed are finished at once on the peer\'s FIN', () => {
    for (const config of [{ kind: 'echo' }, { kind: 'fixed', reply: 'x', hex: false, close: false }] as ResponderConfig[]) {
      const { r } = make(config);
      let finished = 0;
      r.onPeerEnd(() => finished++);
      expect(finished).toBe(1);
    }
  });
});

describe('createResponder: rules with line framing', () => {
  const config = rules([rule('regex', '^GET (\\S+)$', 'got {{1}} [{{hex}}]\\n'), rule('exact', '', 'blank\\n')], {
    defaultReply: 'what? {{0}}{{hex}}\\n',
    lineFraming: true,
  });

  it('several lines in one chunk each get a reply, \\r\\n or \\n kept out of the match', () => {
    const { r, host } = make(config);
    r.onData(b('GET /a\r\nGET /b\n\r\nxyz\n'));
    expect(host.replies).toEqual(['got /a [47 45 54 20 2f 61]\n', 'got /b [47 45 54 20 2f 62]\n', 'blank\n', 'what? 78 79 7a\n']);
  });

  it('a line split across chunks is matched once it is complete', () => {
    const { r, host } = make(config);
    r.onData(b('GE'));
    r.onData(b('T /lo'));
    expect(host.sent.length).toBe(0);
    r.onData(b('ng\r'));
    expect(host.sent.length).toBe(0);
    r.onData(b('\nGET /next'));
    expect(host.replies).toEqual(['got /long [47 45 54 20 2f 6c 6f 6e 67]\n']);
    r.onData(b('\n'));
    expect(host.replies[1]).toBe('got /next [47 45 54 20 2f 6e 65 78 74]\n');
  });

  it('byte-at-a-time input', () => {
    const { r, host } = make(config);
    for (const byte of b('GET /x\nGET /y\n')) r.onData(Uint8Array.of(byte));
    expect(host.replies).toEqual(['got /x [47 45 54 20 2f 78]\n', 'got /y [47 45 54 20 2f 79]\n']);
  });

  it('on peer FIN a buffered partial line is a final line', () => {
    const { r, host } = make(config);
    r.onData(b('GET /a\nGET /last'));
    expect(host.sent.length).toBe(1);
    r.onPeerEnd(() => undefined);
    expect(host.replies[1]).toBe('got /last [47 45 54 20 2f 6c 61 73 74]\n');
    r.onPeerEnd(() => undefined);
    expect(host.sent.length).toBe(2);
  });

  it('a line longer than the cap is matched as it stands', () => {
    const { r, host } = make(rules([rule('startsWith', 'AAAA', 'long')], { lineFraming: true }));
    const piece = new Uint8Array(64 * 1024).fill(0x41);
    for (let sent = 0; sent < MAX_LINE_BYTES; sent += piece.length) r.onData(piece);
    expect(host.replies).toEqual(['long']);
  });

  it('without line framing, each chunk is one unit even with several lines', () => {
    const { r, host } = make(rules([rule('exact', 'a', 'A')], { defaultReply: '[{{hex}}]' }));
    r.onData(b('a\na\n'));
    expect(host.replies).toEqual(['[61 0a 61 0a]']);
  });
});

// These run real POSIX programs (python3, sh, sleep, tr).
describe.skipIf(process.platform === 'win32')('createResponder: program', () => {
  const CALC = [
    'import sys',
    'while True:',
    '    line = sys.stdin.readline()',
    '    if not line:',
    '        break',
    '    print(eval(line))',
  ].join('\n');

  it('a Python calculator: each line in, its value out; ends when the program does', async () => {
    const { r, host } = make({ kind: 'program', command: 'python3', args: ['-u', '-c', CALC], shell: false });
    expect(host.programs.length).toBe(0); // reported after createResponder returns
    await waitFor(() => host.programs.length > 0, 'running');
    expect(host.programs[0]).toMatchObject({ state: 'running', stderr: '' });
    expect(host.programs[0]!.pid).toBeGreaterThan(0);
    expect(host.programs[0]!.command).toContain('python3 -u -c');

    r.onData(b('2+3\n'));
    await waitFor(() => host.text === '5\n', '5');
    r.onData(b('6*'));
    r.onData(b('7\n10//3\n'));
    await waitFor(() => host.text === '5\n42\n3\n', '42 and 3');
    expect(host.ends).toBe(0);

    r.onPeerEnd(() => undefined);
    await waitFor(() => host.ends === 1, 'end after the program exits');
    expect(host.lastProgram).toMatchObject({ state: 'exited', exitCode: 0, signal: null });
    // Output first, then the final state, then FIN.
    expect(host.log.slice(-2)).toEqual(['program:exited', 'end']);
    const firstFinal = host.log.indexOf('program:exited');
    expect(host.log.slice(firstFinal + 1)).toEqual(['end']);
    expect(host.log.slice(0, firstFinal).filter((l) => l.startsWith('program:'))).toEqual(['program:running']);
  });

  it('stderr is captured and the exit code reported', async () => {
    const { host } = make({
      kind: 'program',
      command: 'python3',
      args: ['-c', 'import sys; print("out"); sys.stderr.write("bad thing\\nåäö\\n"); sys.exit(3)'],
      shell: false,
    });
    await waitFor(() => host.ends === 1, 'end');
    expect(host.text).toBe('out\n');
    expect(host.lastProgram).toMatchObject({ state: 'exited', exitCode: 3, signal: null, stderr: 'bad thing\nåäö\n' });
    expect(host.log.slice(-2)).toEqual(['program:exited', 'end']);
  });

  it('stderr keeps the last 8 KiB and updates are throttled; the final state is always reported', async () => {
    const script = [
      'import sys, time',
      'for i in range(60):',
      '    sys.stderr.write("line %03d " % i + "x" * 400 + "\\n")',
      '    sys.stderr.flush()',
      '    time.sleep(0.01)',
      'sys.stderr.write("THE END\\n")',
    ].join('\n');
    const { host } = make({ kind: 'program', command: 'python3', args: ['-c', script], shell: false });
    await waitFor(() => host.ends === 1, 'end');
    const last = host.lastProgram!;
    expect(last.state).toBe('exited');
    expect(last.stderr.length).toBe(STDERR_KEEP);
    expect(last.stderr.endsWith('line 059 ' + 'x'.repeat(400) + '\nTHE END\n')).toBe(true);
    // About 0.6 s of output: ~6 throttled updates, plus started and exited; never one per write.
    expect(host.programs.length).toBeLessThan(20);
    expect(host.programs.filter((p) => p.state === 'running').length).toBeGreaterThan(1);
  });

  it('a missing program: failed, in words, and the connection ends', async () => {
    const { r, host } = make({ kind: 'program', command: 'no-such-program-3f9c1', args: [], shell: false });
    await waitFor(() => host.ends === 1, 'end');
    expect(host.programs).toEqual([{ command: 'no-such-program-3f9c1', state: 'failed', stderr: '', error: 'No such program: no-such-program-3f9c1 (ENOENT)' }]);
    expect(host.sent.length).toBe(0);
    expect(() => r.onData(b('anything'))).not.toThrow();
    expect(() => r.onPeerEnd(() => undefined)).not.toThrow();
    await sleep(50);
    expect(host.ends).toBe(1);
  });

  it('a command spawn refuses outright fails the same way, without throwing', async () => {
    const { host } = make({ kind: 'program', command: 'bad\0name', args: [], shell: false });
    await waitFor(() => host.ends === 1, 'end');
    expect(host.lastProgram?.state).toBe('failed');
    expect(host.lastProgram?.error).toMatch(/^Could not start bad/);
  });

  it('shell: true runs a pipeline', async () => {
    const { r, host } = make({ kind: 'program', command: 'cat | tr a-z A-Z', args: [], shell: true });
    await waitFor(() => host.programs.length > 0, 'running');
    r.onData(b('hello\n'));
    r.onData(b('world\n'));
    r.onPeerEnd(() => undefined);
    await waitFor(() => host.ends === 1, 'end');
    expect(host.text).toBe('HELLO\nWORLD\n');
    expect(host.lastProgram).toMatchObject({ state: 'exited', exitCode: 0, command: 'cat | tr a-z A-Z' });
  });

  it('shell: true joins the arguments to the command line', async () => {
    const { r, host } = make({ kind: 'program', command: 'tr', args: ['a-z', 'A-Z'], shell: true });
    r.onData(b('abc'));
    r.onPeerEnd(() => undefined);
    await waitFor(() => host.ends === 1, 'end');
    expect(host.text).toBe('ABC');
  });

  it('without a shell, arguments are passed as they are', async () => {
    const { host } = make({ kind: 'program', command: 'python3', args: ['-c', 'import sys; print(sys.argv[1:])', '$HOME', 'a b'], shell: false });
    await waitFor(() => host.ends === 1, 'end');
    expect(host.text).toBe("['$HOME', 'a b']\n");
  });

  it('dispose kills a long-running program and reports how it ended, without ending the connection again', async () => {
    const { r, host } = make({ kind: 'program', command: 'sleep', args: ['30'], shell: false });
    await waitFor(() => host.programs.length > 0, 'running');
    const pid = host.programs[0]!.pid!;
    expect(alive(pid)).toBe(true);
    r.dispose();
    await r.whenGone!();
    expect(alive(pid)).toBe(false);
    await sleep(50);
    expect(host.log).toEqual(['program:running', 'program:exited']);
    expect(host.lastProgram).toMatchObject({ state: 'exited', signal: 'SIGTERM', pid });
    expect(host.ends).toBe(0);
    expect(() => r.dispose()).not.toThrow();
  });

  it('dispose ends everything a shell started, not just the shell', async () => {
    const { r, host } = make({ kind: 'program', command: 'sleep 30 & echo $!; wait', args: [], shell: true });
    await waitFor(() => /^\d+\n$/.test(host.text), 'the pid of sleep');
    const sleeper = Number(host.text.trim());
    pids.add(sleeper);
    expect(alive(sleeper)).toBe(true);
    r.dispose();
    await waitFor(() => !alive(sleeper), 'the background sleep to be gone');
  });

  it('a program that ignores SIGTERM gets SIGKILL two seconds later', async () => {
    const script = 'import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("ready", flush=True)\ntime.sleep(30)';
    const { r, host } = make({ kind: 'program', command: 'python3', args: ['-c', script], shell: false });
    await waitFor(() => host.text === 'ready\n', 'ready');
    const pid = host.programs[0]!.pid!;
    const start = Date.now();
    r.dispose();
    await sleep(500);
    expect(alive(pid)).toBe(true);
    await waitFor(() => !alive(pid), 'SIGKILL', 5000);
    expect(Date.now() - start).toBeGreaterThanOrEqual(1900);
    await r.whenGone!();
    expect(host.lastProgram).toMatchObject({ state: 'exited', signal: 'SIGKILL' });
  });

  it('when the peer does not read, the program\'s output is not read either, and resumes after the drain', async () => {
    // yes writes without end: only backpressure stops it.
    const { host } = make({ kind: 'program', command: 'yes', args: [], shell: false });
    host.fullAfter = 1;
    await waitFor(() => host.waiting === 1, 'a wait for the drain');
    await sleep(300);
    const before = host.sent.length;
    await sleep(300);
    expect(host.sent.length).toBe(before);
    host.drain();
    // One more send, then full again, so the program does not flood the test.
    host.fullAfter = before + 1;
    await waitFor(() => host.sent.length > before, 'output after the drain');
  });

  it('a program that does not read its stdin holds the input until it does', async () => {
    // Reads nothing for a while, then everything.
    const { r, host } = make({ kind: 'program', command: 'python3', args: ['-c', 'import sys, time\ntime.sleep(0.5)\nsys.stdin.buffer.read()'], shell: false });
    await waitFor(() => host.programs.length > 0, 'running');
    const chunk = new Uint8Array(64 * 1024);
    let n = 0;
    while (!host.holding && n < 1000) {
      r.onData(chunk);
      n++;
    }
    expect(host.holding).toBe(true);
    expect(n).toBeLessThan(1000);
    await waitFor(() => !host.holding, 'the input released once the program reads');
    r.onPeerEnd(() => undefined);
    await waitFor(() => host.ends === 1, 'the program to finish');
  });

  it('a program that exits while the peer keeps sending: no crash (EPIPE is handled)', async () => {
    const { r, host } = make({ kind: 'program', command: 'python3', args: ['-c', 'import sys; sys.stdin.read(1)'], shell: false });
    await waitFor(() => host.programs.length > 0, 'running');
    const big = new Uint8Array(256 * 1024).fill(0x61);
    for (let i = 0; i < 20; i++) {
      expect(() => r.onData(big)).not.toThrow();
      await sleep(5);
    }
    await waitFor(() => host.ends === 1, 'end');
    expect(() => r.onData(big)).not.toThrow();
    expect(() => r.onPeerEnd(() => undefined)).not.toThrow();
    expect(host.lastProgram).toMatchObject({ state: 'exited', exitCode: 0 });
  });

  it('output produced after the connection can no longer send is dropped, the program still reported', async () => {
    const { r, host } = make({ kind: 'program', command: 'python3', args: ['-u', '-c', CALC], shell: false });
    host.canSend = false;
    r.onData(b('1+1\n2+2\n'));
    await waitFor(() => host.sent.length === 1, 'first output');
    r.onPeerEnd(() => undefined);
    await waitFor(() => host.ends === 1, 'end');
    expect(host.sent.length).toBe(1);
    expect(host.lastProgram?.state).toBe('exited');
  });
});
