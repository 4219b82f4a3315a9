/**
 * The rules responder: each chunk (or each line, with line framing) is matched against the
 * rules in order, and the first that matches answers, after its delay, in the order the chunks
 * arrived; the default reply answers what no rule matches.
 */
import { performance } from 'node:perf_hooks';
import { concatBytes, parseHex } from '../../shared/bytes';
import type { ResponderConfig, ResponderRule } from '../../shared/model';
import { MAX_MATCH_BYTES } from '../../shared/regex-safety';
import { EMPTY, guarded } from './responder-common';
import { compileTemplate, expandTemplate, literalBytes, type CompiledTemplate } from './responder-template';
import type { Responder, ResponderHost, ResponderShared } from './responders';

/** A line longer than this without a \n is matched as it stands, so a peer cannot grow the buffer without bound. */
export const MAX_LINE_BYTES = 1024 * 1024;

// ignoreBOM keeps a leading U+FEFF in the text, so a regex sees every character that arrived.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

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

export class RulesResponder implements Responder {
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
