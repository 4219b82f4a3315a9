/**
 * Auto-responders: what answers on a connection without the user typing. Echo, a fixed reply,
 * rules matched against each chunk or line, or a program run per connection the way
 * `ncat --exec` does. The module knows nothing about sockets: the engine hands it received
 * bytes and gives it a ResponderHost to send through.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { concatBytes, parseEscapes, parseHex, toHex } from '../../shared/bytes';
import type { ProgramInfo, ResponderConfig, ResponderRule } from '../../shared/model';
import { MAX_MATCH_BYTES } from '../../shared/regex-safety';

/**
 * What happened to an automatic reply: ok (sent, send more), full (taken, but the peer is not
 * reading: wait for whenWritable before sending more), closed (the connection cannot send).
 */
export type SendOutcome = 'ok' | 'full' | 'closed';

/** What a responder may do to its connection. */
export interface ResponderHost {
  /** Sends bytes as an automatic reply; the engine records them as an out chunk marked auto. */
  sendAuto(bytes: Uint8Array): SendOutcome;
  /** Calls back once the connection can take more replies (its send buffer drained). */
  whenWritable(callback: () => void): void;
  /**
   * Stops (true) or resumes (false) reading from the peer: what a responder cannot take yet
   * (its delayed replies or a program's stdin are full) waits in the kernel, not in memory.
   */
  holdInput(hold: boolean): void;
  /** Half-closes our side (FIN) after replies are flushed. */
  end(): void;
  /** Program responder state changed (started, stderr grew, exited, failed to start). */
  programUpdated(info: ProgramInfo): void;
}

/** State shared by every connection of one listener's responder (the {{counter}}). */
export interface ResponderShared {
  counter: number;
}

export interface Responder {
  /** A chunk the peer sent (exact bytes of one read). */
  onData(bytes: Uint8Array): void;
  /**
   * The peer sent FIN. finished is called once the responder has nothing more to send, so the
   * engine can close our side after the last reply (a program ends the connection itself when it
   * exits, and never calls it).
   */
  onPeerEnd(finished: () => void): void;
  /** The connection closed or the responder was replaced: stop timers, kill the program. */
  dispose(): void;
  /** For a program: resolves once its process is gone (after dispose, within the kill grace). */
  whenGone?(): Promise<void>;
}

/** A line longer than this without a \n is matched as it stands, so a peer cannot grow the buffer without bound. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** How much of a program's stderr is kept (characters of text). */
export const STDERR_KEEP = 8 * 1024;
/** Program updates caused by stderr output are reported at most this often. */
const STDERR_REPORT_MS = 100;
/** After SIGTERM, a program that is still running this long later gets SIGKILL. */
const KILL_GRACE_MS = 2000;

const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in the text, so a regex sees every character that arrived.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const EMPTY = new Uint8Array(0);

/** Null for { kind: 'off' }. */
export function createResponder(config: ResponderConfig, host: ResponderHost, shared?: ResponderShared): Responder | null {
  switch (config.kind) {
    case 'off':
      return null;
    case 'echo':
      return new EchoResponder(host);
    case 'fixed':
      return new FixedResponder(config, host);
    case 'rules':
      return new RulesResponder(config, host, shared ?? { counter: 0 });
    case 'program':
      return new ProgramResponder(config, host);
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Templates

/** A placeholder: two braces, a name without braces, two braces. */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

/** What a reply template expands from, prepared once: literal bytes and placeholders in order. */
export type CompiledTemplate = ReadonlyArray<Uint8Array | { name: string; raw: string }>;

/** Splits a template into its literal bytes (escapes interpreted) and its placeholders. */
export function compileTemplate(template: string): CompiledTemplate {
  const parts: Array<Uint8Array | { name: string; raw: string }> = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const at = m.index;
    if (at > last) parts.push(literalBytes(template.slice(last, at)));
    parts.push({ name: m[1]!.trim(), raw: m[0] });
    last = at + m[0].length;
  }
  if (last < template.length) parts.push(literalBytes(template.slice(last)));
  return parts;
}

/**
 * Expands a reply template (exported for tests and the UI preview; a string is compiled first).
 *
 * Literal text has its escapes (\r \n \t \0 \\ \xNN) interpreted; placeholders are replaced by
 * raw text that is not escape-processed, so a regex group holding a backslash stays one.
 * {{time}} local ISO-8601 with ms and offset, {{unixtime}} whole seconds, {{counter}},
 * {{random}} 0..2^31-1, {{0}} {{1}}… regex groups (empty when absent), {{hex}} the received
 * bytes as hex. Unknown placeholders stay as typed. Literal text with a bad escape (the schema
 * refuses it, but the preview may see it while the user types) is kept as typed, never thrown.
 */
export function expandTemplate(
  template: string | CompiledTemplate,
  ctx: { counter: number; groups?: string[]; received: Uint8Array; now?: Date },
): Uint8Array {
  const compiled = typeof template === 'string' ? compileTemplate(template) : template;
  const parts = compiled.map((part) => (part instanceof Uint8Array ? part : encoder.encode(placeholderValue(part.name, ctx) ?? part.raw)));
  return concatBytes(parts);
}

function placeholderValue(name: string, ctx: { counter: number; groups?: string[]; received: Uint8Array; now?: Date }): string | undefined {
  switch (name) {
    case 'time':
      return localIsoTime(ctx.now ?? new Date());
    case 'unixtime':
      return String(Math.floor((ctx.now ?? new Date()).getTime() / 1000));
    case 'counter':
      return String(ctx.counter);
    case 'random':
      return String(Math.floor(Math.random() * 0x80000000));
    case 'hex':
      return toHex(ctx.received);
    default:
      if (/^\d{1,3}$/.test(name)) return ctx.groups?.[Number(name)] ?? '';
      return undefined;
  }
}

function literalBytes(text: string): Uint8Array {
  const parsed = parseEscapes(text);
  return parsed.ok ? parsed.bytes : encoder.encode(text);
}

/** "2024-05-01T13:45:12.345+02:00": local wall-clock time, with the offset that makes it exact. */
function localIsoTime(d: Date): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return (
    `${String(d.getFullYear()).padStart(4, '0')}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}` +
    `T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}` +
    `${sign}${p2(Math.floor(abs / 60))}:${p2(abs % 60)}`
  );
}

// ---------------------------------------------------------------------------------------------
// Byte helpers

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0) return 0;
  const first = needle[0]!;
  const lastStart = haystack.length - needle.length;
  for (let i = haystack.indexOf(first); i !== -1 && i <= lastStart; i = haystack.indexOf(first, i + 1)) {
    let k = 1;
    while (k < needle.length && haystack[i + k] === needle[k]) k++;
    if (k === needle.length) return i;
  }
  return -1;
}

function startsWithBytes(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && startsWithBytes(a, b);
}

/** Runs a callback from a timer or an event without ever letting it throw into the event loop. */
function guarded<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch {
      // A responder is a convenience: whatever goes wrong in it must not take the engine down.
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Echo and fixed

class EchoResponder implements Responder {
  private live = true;
  constructor(private readonly host: ResponderHost) {}

  onData(bytes: Uint8Array): void {
    try {
      if (!this.live || bytes.length === 0) return;
      // 'full' needs nothing here: the engine stops reading from the peer until it drains.
      if (this.host.sendAuto(bytes) === 'closed') this.live = false;
    } catch {
      this.live = false;
    }
  }

  onPeerEnd(finished: () => void): void {
    finished();
  }

  dispose(): void {
    this.live = false;
  }
}

class FixedResponder implements Responder {
  private live = true;
  private readonly reply: Uint8Array;
  private readonly close: boolean;

  constructor(
    config: Extract<ResponderConfig, { kind: 'fixed' }>,
    private readonly host: ResponderHost,
  ) {
    const parsed = config.hex ? parseHex(config.reply) : parseEscapes(config.reply);
    // The schema refuses bad hex and bad escapes; if one slips through, text is sent as typed
    // and bad hex sends nothing rather than guessing at bytes.
    this.reply = parsed.ok ? parsed.bytes : config.hex ? EMPTY : encoder.encode(config.reply);
    this.close = config.close;
  }

  onData(bytes: Uint8Array): void {
    try {
      if (!this.live || bytes.length === 0) return;
      if (this.reply.length > 0 && this.host.sendAuto(this.reply) === 'closed') {
        this.live = false;
        return;
      }
      if (this.close) {
        this.live = false;
        this.host.end();
      }
    } catch {
      this.live = false;
    }
  }

  onPeerEnd(finished: () => void): void {
    finished();
  }

  dispose(): void {
    this.live = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Rules

/** A reply prepared once per rule: its template, and whether it shows the received bytes. */
interface Reply {
  template: CompiledTemplate;
  /** Uses {{hex}}: the received bytes must be kept until the reply goes. */
  usesHex: boolean;
  empty: boolean;
}

function compileReply(text: string): Reply {
  const template = compileTemplate(text);
  return { template, usesHex: template.some((p) => !(p instanceof Uint8Array) && p.name === 'hex'), empty: text === '' };
}

interface CompiledRule {
  rule: ResponderRule;
  /** Null for a regex rule, or a hex pattern that cannot be parsed (it never matches). */
  bytes: Uint8Array | null;
  regex: RegExp | null;
  reply: Reply;
}

function compileRule(rule: ResponderRule): CompiledRule {
  const reply = compileReply(rule.reply);
  switch (rule.match) {
    case 'regex': {
      let regex: RegExp | null = null;
      try {
        regex = new RegExp(rule.pattern);
      } catch {
        regex = null;
      }
      return { rule, bytes: null, regex, reply };
    }
    case 'hex': {
      const parsed = parseHex(rule.pattern);
      return { rule, bytes: parsed.ok && parsed.bytes.length > 0 ? parsed.bytes : null, regex: null, reply };
    }
    default:
      // A pattern with a stray backslash (say C:\dir) is compared as typed.
      return { rule, bytes: literalBytes(rule.pattern), regex: null, reply };
  }
}

/** The regex groups when the rule matches (empty for non-regex rules), or null. */
function matchRule(c: CompiledRule, unit: Uint8Array, text: () => string): string[] | null {
  switch (c.rule.match) {
    case 'exact':
      return c.bytes && equalBytes(unit, c.bytes) ? [] : null;
    case 'startsWith':
      return c.bytes && startsWithBytes(unit, c.bytes) ? [] : null;
    case 'contains':
    case 'hex':
      return c.bytes && indexOfBytes(unit, c.bytes) !== -1 ? [] : null;
    case 'regex': {
      if (!c.regex) return null;
      c.regex.lastIndex = 0;
      const m = c.regex.exec(text());
      return m ? Array.from(m, (g) => g ?? '') : null;
    }
    default:
      return null;
  }
}

interface PendingReply {
  /** performance.now() at which it may go. */
  due: number;
  reply: Reply;
  groups: string[];
  received: Uint8Array;
  close: boolean;
  /** What it holds in memory, counted against MAX_PENDING_BYTES. */
  cost: number;
}

/**
 * Delayed replies waiting beyond either bound stop reading from the peer until the queue is
 * back under half of both: a peer that sends faster than the delay lets replies go cannot grow
 * the queue without bound.
 */
export const MAX_PENDING_REPLIES = 10_000;
export const MAX_PENDING_BYTES = 1024 * 1024;

class RulesResponder implements Responder {
  private readonly rules: CompiledRule[];
  private readonly defaultReply: Reply;
  private readonly lineFraming: boolean;
  /** Pieces of the line not yet ended by \n (kept as pieces so byte-at-a-time input stays linear). */
  private partial: Uint8Array[] = [];
  private partialBytes = 0;
  /** Replies in the order their chunks arrived; a reply never overtakes an earlier delayed one. */
  private readonly queue: PendingReply[] = [];
  private queuedCost = 0;
  private holding = false;
  private timer: NodeJS.Timeout | undefined;
  /** Waiting for the peer to read what was sent before sending more. */
  private waitingForDrain = false;
  /** False once we sent FIN, the connection can no longer send, or we were disposed. */
  private live = true;
  /** Set when the peer sent FIN: called once the queue is empty. */
  private onIdle: (() => void) | undefined;

  constructor(
    config: Extract<ResponderConfig, { kind: 'rules' }>,
    private readonly host: ResponderHost,
    private readonly shared: ResponderShared,
  ) {
    this.rules = config.rules.map(compileRule);
    this.defaultReply = compileReply(config.defaultReply);
    this.lineFraming = config.lineFraming;
  }

  onData(bytes: Uint8Array): void {
    try {
      if (!this.live || bytes.length === 0) return;
      if (!this.lineFraming) {
        this.handleUnit(bytes);
        return;
      }
      let start = 0;
      for (let nl = bytes.indexOf(0x0a); nl !== -1 && this.live; nl = bytes.indexOf(0x0a, start)) {
        this.partial.push(bytes.subarray(start, nl));
        start = nl + 1;
        this.handleLine(this.takePartial());
      }
      if (start < bytes.length && this.live) {
        this.partial.push(bytes.subarray(start));
        this.partialBytes += bytes.length - start;
        if (this.partialBytes >= MAX_LINE_BYTES) this.handleLine(this.takePartial());
      }
    } catch {
      // Never let a bad rule or a host failure escape into the socket's data handler.
    }
  }

  onPeerEnd(finished: () => void): void {
    try {
      if (this.live && this.lineFraming && this.partialBytes > 0) this.handleLine(this.takePartial());
      this.partial = [];
      this.partialBytes = 0;
    } catch {
      // See onData.
    }
    if (!this.live || this.queue.length === 0) finished();
    else this.onIdle = finished;
  }

  dispose(): void {
    this.live = false;
    if (this.holding) {
      this.holding = false;
      this.host.holdInput(false);
    }
    this.queue.length = 0;
    this.queuedCost = 0;
    this.partial = [];
    this.partialBytes = 0;
    this.onIdle = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private takePartial(): Uint8Array {
    const line = concatBytes(this.partial);
    this.partial = [];
    this.partialBytes = 0;
    return line;
  }

  private handleLine(line: Uint8Array): void {
    const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
    this.handleUnit(line.subarray(0, end));
  }

  private handleUnit(unit: Uint8Array): void {
    let text: string | undefined;
    const decoded = () => (text ??= utf8.decode(unit.subarray(0, MAX_MATCH_BYTES)));
    const received = performance.now();
    for (const c of this.rules) {
      const groups = matchRule(c, unit, decoded);
      if (groups) {
        this.enqueue(received + c.rule.delayMs, c.reply, groups, unit, c.rule.close);
        return;
      }
    }
    if (!this.defaultReply.empty) this.enqueue(received, this.defaultReply, [], unit, false);
  }

  private enqueue(due: number, reply: Reply, groups: string[], unit: Uint8Array, close: boolean): void {
    // The received bytes are kept only when the reply shows them, and then as a copy: a view
    // would keep the whole read buffer it came from alive while the reply waits.
    const received = reply.usesHex ? unit.slice() : EMPTY;
    // The template is the rule's own string, shared by every reply: only what each reply adds counts.
    const cost = 64 + received.length + groups.reduce((n, g) => n + g.length, 0);
    this.queue.push({ due, reply, groups, received, close, cost });
    this.queuedCost += cost;
    if (!this.holding && (this.queue.length > MAX_PENDING_REPLIES || this.queuedCost > MAX_PENDING_BYTES)) {
      this.holding = true;
      this.host.holdInput(true);
    }
    // An immediate reply to an idle queue goes out now, so it lands right after the chunk that
    // caused it; anything else waits for its turn.
    if (this.queue.length === 1) this.pump();
  }

  private pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.live && !this.waitingForDrain && this.queue.length > 0) {
      const head = this.queue[0]!;
      const wait = head.due - performance.now();
      if (wait > 0) {
        this.timer = setTimeout(
          guarded(() => {
            this.timer = undefined;
            this.pump();
          }),
          Math.ceil(wait),
        );
        return;
      }
      this.queue.shift();
      this.queuedCost -= head.cost;
      this.send(head);
    }
    if (this.holding && this.queue.length <= MAX_PENDING_REPLIES / 2 && this.queuedCost <= MAX_PENDING_BYTES / 2) {
      this.holding = false;
      this.host.holdInput(false);
    }
    if (this.queue.length === 0 && this.onIdle) {
      const finished = this.onIdle;
      this.onIdle = undefined;
      finished();
    }
  }

  private send(pending: PendingReply): void {
    const { reply, groups, received } = pending;
    if (!reply.empty) {
      this.shared.counter += 1;
      const bytes = expandTemplate(reply.template, { counter: this.shared.counter, groups, received });
      const outcome = bytes.length > 0 ? this.host.sendAuto(bytes) : 'ok';
      if (outcome === 'closed') {
        this.dispose();
        return;
      }
      if (outcome === 'full') {
        // The peer is not reading: the next reply waits until it does.
        this.waitingForDrain = true;
        this.host.whenWritable(
          guarded(() => {
            this.waitingForDrain = false;
            this.pump();
          }),
        );
      }
    }
    if (pending.close) {
      this.dispose();
      this.host.end();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Program

function describeCommand(config: Extract<ResponderConfig, { kind: 'program' }>): string {
  const quote = (a: string) => (a === '' || /[\s"'\\$`]/.test(a) ? JSON.stringify(a) : a);
  return [config.shell ? config.command : quote(config.command), ...config.args.map(quote)].join(' ');
}

function spawnFailure(command: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return `No such program: ${command} (ENOENT)`;
    case 'EACCES':
      return `Not allowed to run ${command}: it is not executable, or you lack permission (EACCES)`;
    case 'ENOTDIR':
      return `No such program: ${command}: part of the path is not a folder (ENOTDIR)`;
    case 'EMFILE':
    case 'ENFILE':
      return `Could not start ${command}: too many open files (${code})`;
    case 'EAGAIN':
      return `Could not start ${command}: the system is out of processes (EAGAIN)`;
    default: {
      const message = err instanceof Error ? err.message : String(err);
      return `Could not start ${command}: ${message}${code ? ` (${code})` : ''}`;
    }
  }
}

/**
 * Process groups of programs still running, so that however the app leaves (even by
 * process.exit on a hard deadline) none of them outlives it.
 */
const runningGroups = new Set<number>();

function killRunningGroups(): void {
  for (const pid of runningGroups) {
    try {
      process.kill(process.platform === 'win32' ? pid : -pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  runningGroups.clear();
}

function trackGroup(pid: number): void {
  if (runningGroups.size === 0) process.on('exit', killRunningGroups);
  runningGroups.add(pid);
}

function untrackGroup(pid: number): void {
  if (runningGroups.delete(pid) && runningGroups.size === 0) process.removeListener('exit', killRunningGroups);
}

class ProgramResponder implements Responder {
  private child: ChildProcess | undefined;
  private info: ProgramInfo;
  private readonly stderrDecoder = new StringDecoder('utf8');
  private disposed = false;
  /** The process has exited ('exit'). */
  private exited = false;
  /** The process has exited and its stdout and stderr are drained ('close'), or it never started. */
  private finished = false;
  private endSent = false;
  /** False once sendAuto said the connection cannot send any more. */
  private canSend = true;
  /** The program's stdin is full: reading from the peer is held until it drains. */
  private stdinFull = false;
  private lastReport = 0;
  private reportTimer: NodeJS.Timeout | undefined;
  private readonly programName: string;
  private readonly gone: Promise<void>;
  private markGone: () => void = () => undefined;

  constructor(
    config: Extract<ResponderConfig, { kind: 'program' }>,
    private readonly host: ResponderHost,
  ) {
    this.programName = config.command;
    this.info = { command: describeCommand(config), state: 'running', stderr: '' };
    this.gone = new Promise((resolve) => (this.markGone = resolve));
    try {
      // With a shell, the command line is handed to it whole, as Node would join it; passing
      // args next to shell: true is deprecated in newer Node.
      const child = config.shell
        ? spawn([config.command, ...config.args].join(' '), [], this.spawnOptions(true))
        : spawn(config.command, config.args, this.spawnOptions(false));
      this.child = child;
      this.wire(child);
      // Reported after createResponder returns, so the engine never hears about a connection's
      // program before it holds the responder.
      if (child.pid !== undefined) {
        trackGroup(child.pid);
        this.info = { ...this.info, pid: child.pid };
        queueMicrotask(guarded(() => this.report()));
      }
    } catch (err) {
      // spawn throws synchronously for input it cannot even try (a NUL in the command…).
      queueMicrotask(guarded(() => this.fail(err)));
    }
  }

  private spawnOptions(shell: boolean) {
    return {
      shell,
      windowsHide: true,
      stdio: 'pipe' as const,
      // Its own process group, so dispose can end a whole pipeline (sh -c 'a | b') and not just
      // the shell in front of it.
      detached: process.platform !== 'win32',
    };
  }

  private wire(child: ChildProcess): void {
    child.on(
      'error',
      guarded((err: Error) => {
        // 'error' without a pid is a spawn failure; with one, it is a failed kill, which the
        // close handler or the SIGKILL fallback takes care of.
        if (child.pid === undefined) this.fail(err);
      }),
    );
    // EPIPE when the program exits while the peer is still sending: expected, not a crash.
    child.stdin?.on('error', () => {});
    child.stdout?.on('error', () => {});
    child.stderr?.on('error', () => {});
    const stdout = child.stdout;
    stdout?.on(
      'data',
      guarded((chunk: Buffer) => {
        if (this.disposed || !this.canSend || this.endSent || chunk.length === 0) return;
        const outcome = this.host.sendAuto(chunk);
        if (outcome === 'closed') this.canSend = false;
        else if (outcome === 'full') {
          // The peer is not reading: stop reading the program's output, so it blocks on its
          // own writes instead of filling our memory.
          stdout.pause();
          this.host.whenWritable(guarded(() => stdout.resume()));
        }
      }),
    );
    child.stderr?.on(
      'data',
      guarded((chunk: Buffer) => {
        this.appendStderr(this.stderrDecoder.write(chunk));
        this.scheduleReport();
      }),
    );
    child.on(
      'exit',
      guarded(() => {
        this.exited = true;
      }),
    );
    child.on(
      'close',
      guarded((code: number | null, signal: NodeJS.Signals | null) => {
        this.exited = true;
        if (child.pid !== undefined) untrackGroup(child.pid);
        this.markGone();
        this.releaseInput();
        if (this.finished) return;
        this.finished = true;
        this.appendStderr(this.stderrDecoder.end());
        // Reported even after dispose: however the connection ended, the status says the
        // program is gone, and how.
        this.info = { ...this.info, state: 'exited', exitCode: code, signal };
        this.reportFinal();
        this.endConnection();
      }),
    );
  }

  onData(bytes: Uint8Array): void {
    try {
      const stdin = this.child?.stdin;
      if (this.disposed || this.exited || !stdin || !stdin.writable || bytes.length === 0) return;
      if (!stdin.write(bytes) && !this.stdinFull) {
        // The program is not reading as fast as the peer sends: let the peer wait, not memory.
        this.stdinFull = true;
        this.host.holdInput(true);
        stdin.once('drain', guarded(() => this.releaseInput()));
      }
    } catch {
      // The pipe is gone; the close handler reports the program's end.
    }
  }

  onPeerEnd(): void {
    // The program decides when it is done: the connection ends when it exits.
    try {
      const stdin = this.child?.stdin;
      if (stdin && !stdin.destroyed && !stdin.writableEnded) stdin.end();
    } catch {
      // As in onData.
    }
  }

  whenGone(): Promise<void> {
    return this.gone;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    try {
      if (this.reportTimer) clearTimeout(this.reportTimer);
      this.reportTimer = undefined;
      this.releaseInput();
      const child = this.child;
      if (!child || child.pid === undefined || this.finished) return this.markGone();
      child.stdin?.destroy();
      this.signal(child, 'SIGTERM');
      // Not unref'd: a program that ignores SIGTERM must be killed even while the app is
      // leaving, and this timer is what keeps the app alive long enough to do it.
      const escalate = setTimeout(
        guarded(() => {
          if (!this.finished) this.signal(child, 'SIGKILL');
        }),
        KILL_GRACE_MS,
      );
      child.once('close', () => clearTimeout(escalate));
    } catch {
      // Nothing more to do: the process is out of reach.
    }
  }

  private releaseInput(): void {
    if (!this.stdinFull) return;
    this.stdinFull = false;
    this.host.holdInput(false);
  }

  private signal(child: ChildProcess, signal: NodeJS.Signals): void {
    if (process.platform !== 'win32' && child.pid !== undefined) {
      try {
        process.kill(-child.pid, signal);
        return;
      } catch {
        // No such group (already gone): fall back to the process itself.
      }
    }
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }

  private fail(err: unknown): void {
    this.markGone();
    if (this.finished) return;
    this.finished = true;
    this.exited = true;
    if (this.disposed) return;
    this.info = { command: this.info.command, state: 'failed', stderr: this.info.stderr, error: spawnFailure(this.programName, err) };
    this.reportFinal();
    this.endConnection();
  }

  private appendStderr(text: string): void {
    if (!text) return;
    let stderr = this.info.stderr + text;
    if (stderr.length > STDERR_KEEP) stderr = stderr.slice(stderr.length - STDERR_KEEP);
    this.info = { ...this.info, stderr };
  }

  private scheduleReport(): void {
    if (this.disposed || this.finished || this.reportTimer) return;
    const wait = this.lastReport + STDERR_REPORT_MS - performance.now();
    if (wait <= 0) {
      this.report();
      return;
    }
    this.reportTimer = setTimeout(
      guarded(() => {
        this.reportTimer = undefined;
        if (!this.disposed && !this.finished) this.report();
      }),
      Math.ceil(wait),
    );
    this.reportTimer.unref();
  }

  private reportFinal(): void {
    if (this.reportTimer) clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    this.report();
  }

  private report(): void {
    this.lastReport = performance.now();
    this.host.programUpdated({ ...this.info });
  }

  private endConnection(): void {
    if (this.endSent || this.disposed) return;
    this.endSent = true;
    this.host.end();
  }
}
