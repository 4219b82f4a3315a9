/**
 * Workspaces: what a user set up (listeners, relays, bound UDP sockets, their auto-replies,
 * framing and views, recent targets and the capture budget), saved as a named, versioned JSON
 * file and opened again later. Every entry is checked by the schema of the command that starts
 * it, so a workspace holds nothing the commands would refuse. Opening one never starts a
 * Program auto-reply the user did not allow: planWorkspace flags each.
 *
 * Pure functions only: no DOM, no Node.
 */
import { z } from 'zod';
import type { CommandArgs } from './contract';
import { commandSchemas, framingSchema, hostSchema, remotePortSchema, responderSchema, socketPathSchema } from './contract';
import { fieldLabel } from './field-labels';
import { formatHostPort } from './format';
import type { ConnectionInfo, ListenerInfo, ResponderConfig, Settings } from './model';
import { describeFraming, type FramingSpec, type ViewMode } from './reading';

/** What a workspace file says it is. */
export const WORKSPACE_FORMAT = 'socket-inspector-workspace';
/** The workspace file version this build writes and reads. */
export const WORKSPACE_VERSION = 1;

/** How a listener's clients (or a UDP socket) are shown: Chunks, Lines, Stream or Frames, as text or hex. */
export interface WorkspaceView {
  mode: ViewMode;
  display: 'text' | 'hex';
}

/** What every started thing may carry besides its command's arguments. */
interface EntryExtras {
  /** The name the user gave it in the tree. */
  name?: string;
  /** The framing its clients' Frames view uses. */
  framing?: FramingSpec;
  /** The view its new clients open in. */
  view?: WorkspaceView;
}

/** A TCP (or TLS, with `tls`) listener, or a Unix socket listener, with its auto-reply. */
export type WorkspaceListener =
  | (CommandArgs<'startListener'> & EntryExtras & { kind: 'tcp'; responder?: ResponderConfig })
  | (CommandArgs<'listenUnix'> & EntryExtras & { kind: 'unix'; responder?: ResponderConfig });

/** A relay: listens on host:port and forwards each client to the target. */
export type WorkspaceRelay = CommandArgs<'startRelay'> & EntryExtras;

/** A bound UDP socket and the multicast groups it joined. */
export type WorkspaceUdp = CommandArgs<'bindUdp'> & { name?: string; view?: WorkspaceView; groups?: Array<{ group: string; iface?: string }> };

/** A target the user connected or relayed to: host and port, or a Unix socket path. */
export type WorkspaceTarget = { host: string; port: number } | { path: string };

/** A workspace as a file holds it (after parsing: defaults filled in). */
export interface Workspace {
  format: typeof WORKSPACE_FORMAT;
  version: typeof WORKSPACE_VERSION;
  name: string;
  /** When it was saved, ISO 8601. */
  savedAt: string;
  listeners: WorkspaceListener[];
  relays: WorkspaceRelay[];
  udp: WorkspaceUdp[];
  /** Newest first. */
  recentTargets: WorkspaceTarget[];
  settings?: CommandArgs<'setSettings'>;
}

const MAX_ENTRIES = 256;
/** As many recent targets as the Connect and Relay forms keep. */
const MAX_RECENT = 12;

const entryNameSchema = z.string({ error: 'Name must be text' }).trim().min(1, 'Name is empty').max(200, 'Name is too long (200 characters at most)');
const viewSchema = z
  .object({
    mode: z.enum(['chunks', 'lines', 'stream', 'frames'], { error: 'View must be chunks, lines, stream or frames' }),
    display: z.enum(['text', 'hex'], { error: 'Show as must be text or hex' }),
  })
  .strict();

/**
 * Built on first use: contract.ts refers back to this schema (setSaved keeps the last
 * workspace), so neither module may read the other's schemas while it loads.
 */
function makeWorkspaceSchema() {
  const extras = { name: entryNameSchema.optional(), framing: framingSchema.optional(), view: viewSchema.optional() };
  const groupsSchema = z.array(commandSchemas.udpMembership.pick({ group: true, iface: true })).max(64, 'at most 64 multicast groups');
  const listener = z.discriminatedUnion(
    'kind',
    [
      commandSchemas.startListener.extend({ kind: z.literal('tcp'), responder: responderSchema.optional(), ...extras }),
      commandSchemas.listenUnix.extend({ kind: z.literal('unix'), responder: responderSchema.optional(), ...extras }),
    ],
    { error: 'kind must be "tcp" (TCP or TLS) or "unix" (a Unix socket)' },
  );
  const target = z.union([z.object({ host: hostSchema, port: remotePortSchema }).strict(), z.object({ path: socketPathSchema }).strict()], {
    error: 'A recent target is {host, port} or {path}',
  });
  return z
    .object({
      format: z.literal(WORKSPACE_FORMAT),
      version: z.literal(WORKSPACE_VERSION),
      name: entryNameSchema,
      savedAt: z
        .string({ error: 'Saved at must be a date and time' })
        .max(64, 'Saved at is too long')
        .refine((t) => !Number.isNaN(Date.parse(t)), { error: 'Saved at must be a date and time, such as 2026-05-01T12:00:00Z' }),
      listeners: z.array(listener).max(MAX_ENTRIES, `at most ${MAX_ENTRIES} listeners`).default([]),
      relays: z.array(commandSchemas.startRelay.extend(extras)).max(MAX_ENTRIES, `at most ${MAX_ENTRIES} relays`).default([]),
      udp: z
        .array(commandSchemas.bindUdp.extend({ name: extras.name, view: extras.view, groups: groupsSchema.optional() }))
        .max(MAX_ENTRIES, `at most ${MAX_ENTRIES} UDP sockets`)
        .default([]),
      recentTargets: z.array(target).max(MAX_RECENT, `at most ${MAX_RECENT} recent targets`).default([]),
      settings: commandSchemas.setSettings.optional(),
    })
    .strict();
}

let built: z.ZodType<Workspace> | undefined;

/** A whole workspace, each entry checked by the schema of the command that starts it. */
export const workspaceSchema: z.ZodType<Workspace> = z.lazy((): z.ZodType<Workspace> => (built ??= makeWorkspaceSchema()));

/** What parseWorkspace found: a workspace, or why the file is not one, in words. */
export type ParsedWorkspace = { ok: true; workspace: Workspace } | { ok: false; message: string };

/** Where JSON.parse stopped, as line and column (from the engine's message, or its position). */
function jsonProblem(text: string, err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  let line: number | undefined;
  let column: number | undefined;
  const lc = /line (\d+) column (\d+)/.exec(raw);
  const pos = /at position (\d+)/.exec(raw);
  if (lc) {
    line = Number(lc[1]);
    column = Number(lc[2]);
  } else if (pos) {
    const at = Math.min(Number(pos[1]), text.length);
    const before = text.slice(0, at);
    line = before.split('\n').length;
    column = at - (before.lastIndexOf('\n') + 1) + 1;
  } else if (/end of (JSON )?input|unexpected end/i.test(raw)) {
    const lines = text.split('\n');
    line = lines.length;
    column = lines[lines.length - 1]!.length + 1;
  }
  const what = raw
    .replace(/^JSON\.parse: /, '')
    .replace(/,? "[^"]*"(\.\.\.)? is not valid JSON$/, '')
    .replace(/\s*(in JSON )?at position \d+.*$/, '')
    .replace(/\s*(in object |in array )?at line \d+ column \d+.*$/, '')
    .slice(0, 200);
  const where = line !== undefined ? `line ${line}, column ${column}: ` : '';
  return `The file is not valid JSON (${where}${what}). A workspace is the JSON file that Save workspace… writes.`;
}

/** "Listener 2 (127.0.0.1:8080)": an entry as a person finds it in the file. */
function entryName(section: string, index: number, raw: unknown): string {
  const n = index + 1;
  const item = (raw as Record<string, unknown[] | undefined> | null)?.[section]?.[index] as Record<string, unknown> | undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const where =
    item && typeof item === 'object'
      ? str(item.path) ??
        (str(item.host) !== undefined && (typeof item.port === 'number' || typeof item.port === 'string') ? formatHostPort(str(item.host)!, item.port as number) : undefined)
      : undefined;
  const kind = section === 'listeners' ? 'Listener' : section === 'relays' ? 'Relay' : section === 'udp' ? 'UDP socket' : 'Recent target';
  return `${kind} ${n}${where ? ` (${where})` : ''}`;
}

const SECTIONS = new Set(['listeners', 'relays', 'udp', 'recentTargets']);

/** One schema problem, named as the forms name the field and the entry it is in. */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const path = issue.path;
  let where = '';
  let rest: ReadonlyArray<PropertyKey> = path;
  if (typeof path[0] === 'string' && SECTIONS.has(path[0]) && typeof path[1] === 'number') {
    where = entryName(path[0], path[1], raw);
    rest = path.slice(2);
  } else if (path[0] === 'settings') rest = path.slice(1);
  // An entry's own kind is not an auto-reply's (fieldLabel names "kind" for responders).
  const label = rest.length === 1 && rest[0] === 'kind' ? 'Kind' : rest.length === 1 && rest[0] === 'savedAt' ? 'Saved at' : fieldLabel(rest);
  const message = issue.code === 'unrecognized_keys' ? `unexpected field ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
  // "Port must be …" names its field already.
  const named = label && !message.toLowerCase().startsWith(label.toLowerCase()) ? `${label}: ${message}` : message;
  return where ? `${where}: ${named}` : named;
}

/**
 * Reads a workspace file's text: the workspace, or what is wrong with the file in words (bad
 * JSON with its line and column, not a workspace, saved by a newer version, or the first
 * problems of its entries, named as the forms name them).
 */
export function parseWorkspace(text: string): ParsedWorkspace {
  if (text.trim() === '') return { ok: false, message: 'The file is empty. A workspace is the JSON file that Save workspace… writes.' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: jsonProblem(text, err) };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const what = Array.isArray(raw) ? 'a list' : raw === null ? 'null' : `a ${typeof raw}`;
    return { ok: false, message: `This is not a Socket Inspector workspace: the file holds ${what}, not an object with "format": "${WORKSPACE_FORMAT}".` };
  }
  const obj = raw as Record<string, unknown>;
  if (obj.format !== WORKSPACE_FORMAT) {
    const found = obj.format === undefined ? 'it has no "format" field' : `its "format" is ${JSON.stringify(obj.format).slice(0, 80)}`;
    return { ok: false, message: `This is not a Socket Inspector workspace: ${found}, where a workspace says "${WORKSPACE_FORMAT}".` };
  }
  const version = obj.version;
  if (typeof version === 'number' && Number.isInteger(version) && version > WORKSPACE_VERSION) {
    return {
      ok: false,
      message: `This workspace was saved by a newer Socket Inspector (workspace version ${version}); this one opens version ${WORKSPACE_VERSION}. Update Socket Inspector to open it.`,
    };
  }
  if (version !== WORKSPACE_VERSION) {
    return { ok: false, message: `This workspace has no version this Socket Inspector knows (${JSON.stringify(version ?? null).slice(0, 40)}; it opens version ${WORKSPACE_VERSION}).` };
  }
  const parsed = workspaceSchema.safeParse(raw);
  if (parsed.success) return { ok: true, workspace: parsed.data };
  const issues = parsed.error.issues;
  const shown = issues.slice(0, 3).map((issue) => describeIssue(issue, raw));
  const more = issues.length > 3 ? `; and ${issues.length - 3} more problem${issues.length - 3 === 1 ? '' : 's'}` : '';
  return { ok: false, message: `This workspace cannot be opened: ${shown.join('; ')}${more}.` };
}

/** The workspace as its file holds it: indented JSON, ending in a newline. */
export function serializeWorkspace(workspace: Workspace): string {
  return `${JSON.stringify(workspace, null, 2)}\n`;
}

/** A file name for a workspace: its name without characters file systems refuse, and .json. */
export function workspaceFileName(name: string): string {
  const safe = name
    .replace(/[\\/:*?"<>|\x00-\x1f]/g, '-')
    .replace(/^[.\s]+|[.\s]+$/g, '')
    .slice(0, 120);
  return `${safe || 'workspace'}.json`;
}

/** A program's command line as a person would type it: arguments with spaces or quotes are quoted. */
export function commandLine(program: { command: string; args: readonly string[] }): string {
  const quote = (a: string) => (a === '' || /[\s'"\\$`|&;<>()*?!#~]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a);
  return [program.command, ...program.args.map(quote)].join(' ');
}

/** An auto-reply in words, as the listener's page says it. */
export function describeAutoReply(r: ResponderConfig): string {
  switch (r.kind) {
    case 'off':
      return 'off';
    case 'echo':
      return 'echo';
    case 'fixed':
      return `fixed reply ${r.hex ? `(hex) ${r.reply}` : JSON.stringify(r.reply)}${r.close ? ', then close' : ''}`;
    case 'rules':
      return `${r.rules.length} ${r.rules.length === 1 ? 'rule' : 'rules'}${r.lineFraming ? ' per line' : ''}${r.defaultReply ? ', with a default reply' : ''}`;
    case 'program':
      return `program: ${commandLine(r)}${r.shell ? ' (in a shell)' : ''}`;
  }
}

/** One thing opening a workspace would start. */
export interface PlanItem {
  /** Where it is in the workspace. */
  section: 'listeners' | 'relays' | 'udp';
  index: number;
  /** "TCP listener", "TLS listener", "Unix socket listener", "Relay" or "UDP socket". */
  kind: string;
  /** "127.0.0.1:8080", "/tmp/app.sock", or for a relay "127.0.0.1:9000 → example.com:80". */
  address: string;
  name?: string;
  /** Its auto-reply in words, when it has one (not off). */
  autoReply?: string;
  /** A Program auto-reply: never started unless the user allows this one. */
  program?: { commandLine: string; shell: boolean };
  /** Framing, view, multicast groups, half-open, TLS details, in words. */
  details: string[];
}

/** What opening a workspace would do, for the confirmation. */
export interface WorkspacePlan {
  items: PlanItem[];
  /** How many items carry a Program auto-reply. */
  programs: number;
  recentTargets: number;
  captureBudgetMiB?: number;
}

function viewWords(view: WorkspaceView | undefined): string[] {
  if (!view) return [];
  const mode = { chunks: 'Chunks', lines: 'Lines', stream: 'Stream', frames: 'Frames' }[view.mode];
  return [`opens in ${mode}, ${view.display === 'hex' ? 'hex dump' : 'text'}`];
}

/** Lists what opening the workspace would start, flagging every Program auto-reply. */
export function planWorkspace(workspace: Workspace): WorkspacePlan {
  const items: PlanItem[] = [];
  workspace.listeners.forEach((l, index) => {
    const details: string[] = [];
    let kind: string;
    let address: string;
    if (l.kind === 'unix') {
      kind = 'Unix socket listener';
      address = l.path;
      if (l.removeStale) details.push('removes a stale socket file first');
    } else {
      kind = l.tls ? 'TLS listener' : 'TCP listener';
      address = formatHostPort(l.host, l.port);
      if (l.port === 0) details.push('on a free port');
      if (l.tls) {
        const cert = l.tls.certificate;
        details.push(cert === 'self-signed' ? 'self-signed certificate' : `certificate ${cert.certPath}, key ${cert.keyPath}`);
        if (l.tls.requestClientCert) details.push('asks clients for certificates');
      }
    }
    if (l.halfOpen) details.push(`half-open, idle limit ${l.halfOpen.idleSeconds} s`);
    if (l.framing) details.push(`framing: ${describeFraming(l.framing)}`);
    details.push(...viewWords(l.view));
    const r = l.responder;
    items.push({
      section: 'listeners',
      index,
      kind,
      address,
      ...(l.name ? { name: l.name } : {}),
      ...(r && r.kind !== 'off' ? { autoReply: describeAutoReply(r) } : {}),
      ...(r?.kind === 'program' ? { program: { commandLine: commandLine(r), shell: r.shell } } : {}),
      details,
    });
  });
  workspace.relays.forEach((r, index) => {
    const details: string[] = [];
    if (r.framing) details.push(`framing: ${describeFraming(r.framing)}`);
    details.push(...viewWords(r.view));
    items.push({
      section: 'relays',
      index,
      kind: 'Relay',
      address: `${formatHostPort(r.host, r.port)} → ${formatHostPort(r.targetHost, r.targetPort)}`,
      ...(r.name ? { name: r.name } : {}),
      details,
    });
  });
  workspace.udp.forEach((u, index) => {
    const details: string[] = [];
    if (u.broadcast) details.push('broadcast allowed');
    for (const g of u.groups ?? []) details.push(`joins ${g.group}${g.iface ? ` on ${g.iface}` : ''}`);
    details.push(...viewWords(u.view));
    items.push({ section: 'udp', index, kind: 'UDP socket', address: formatHostPort(u.host, u.port), ...(u.name ? { name: u.name } : {}), details });
  });
  return {
    items,
    programs: items.filter((i) => i.program).length,
    recentTargets: workspace.recentTargets.length,
    ...(workspace.settings ? { captureBudgetMiB: workspace.settings.captureBudgetMiB } : {}),
  };
}

/** The command that starts a listener entry, with its arguments alone. */
export function listenerCommand(
  entry: WorkspaceListener,
): { command: 'startListener'; args: CommandArgs<'startListener'> } | { command: 'listenUnix'; args: CommandArgs<'listenUnix'> } {
  if (entry.kind === 'unix') {
    const { kind: _kind, responder: _r, name: _n, framing: _f, view: _v, ...args } = entry;
    return { command: 'listenUnix', args };
  }
  const { kind: _kind, responder: _r, name: _n, framing: _f, view: _v, ...args } = entry;
  return { command: 'startListener', args };
}

/** The startRelay arguments of a relay entry. */
export function relayCommand(entry: WorkspaceRelay): CommandArgs<'startRelay'> {
  const { name: _n, framing: _f, view: _v, ...args } = entry;
  return args;
}

/** The bindUdp arguments of a UDP entry. */
export function udpCommand(entry: WorkspaceUdp): CommandArgs<'bindUdp'> {
  const { name: _n, view: _v, groups: _g, ...args } = entry;
  return args;
}

/** What buildWorkspace reads: the renderer's store state has these fields. */
export interface WorkspaceSource {
  listeners: Record<string, ListenerInfo>;
  listenerOrder: readonly string[];
  connections: Record<string, ConnectionInfo>;
  connectionOrder: readonly string[];
  /** Framing a listener's clients inherit. */
  listenerFraming: Record<string, FramingSpec>;
  /** Each connection's view. */
  views: Record<string, { mode: ViewMode; display: 'text' | 'hex' }>;
  /** Names the user gave listeners and connections. */
  labels: Record<string, string>;
  settings: Settings | null;
}

/** What buildWorkspace is told besides the state. */
export interface BuildOptions {
  name: string;
  /** When it is saved (now when absent). */
  savedAt?: Date;
  /** Newest first (the Connect and Relay forms' Recent list). */
  recentTargets?: readonly WorkspaceTarget[];
  /** Certificate files of TLS listeners the page knows (it started them from a workspace). */
  tlsFiles?: Record<string, { certPath: string; keyPath: string }>;
  /** Default views of listeners' clients the page knows (from a workspace it opened). */
  listenerViews?: Record<string, WorkspaceView>;
}

const MiB = 1024 * 1024;
const isDefaultView = (v: WorkspaceView) => v.mode === 'chunks' && v.display === 'text';

/**
 * Makes a workspace of what runs now: listeners (with their auto-replies, framing and the view
 * their newest client shows), relays, bound UDP sockets, recent targets and the capture budget.
 * Listening ports are saved as bound (a listener that asked for a free port keeps the one it
 * got). `notes` says what could not be kept, in words.
 */
export function buildWorkspace(source: WorkspaceSource, options: BuildOptions): { workspace: Workspace; notes: string[] } {
  const notes: string[] = [];
  const viewOf = (id: string): WorkspaceView | undefined => {
    const v = source.views[id];
    if (!v) return undefined;
    const view = { mode: v.mode, display: v.display };
    return isDefaultView(view) ? undefined : view;
  };
  const clientView = (listenerId: string): WorkspaceView | undefined => {
    const known = options.listenerViews?.[listenerId];
    if (known) return known;
    for (let i = source.connectionOrder.length - 1; i >= 0; i--) {
      const id = source.connectionOrder[i]!;
      if (source.connections[id]?.listenerId === listenerId && source.views[id]) return viewOf(id);
    }
    return undefined;
  };
  const extrasOf = (id: string): EntryExtras => {
    const name = source.labels[id]?.trim();
    const framing = source.listenerFraming[id];
    const view = clientView(id);
    return { ...(name ? { name: name.slice(0, 200) } : {}), ...(framing ? { framing } : {}), ...(view ? { view } : {}) };
  };

  const listeners: WorkspaceListener[] = [];
  const relays: WorkspaceRelay[] = [];
  for (const id of source.listenerOrder) {
    const l = source.listeners[id];
    if (!l || l.state !== 'listening') continue;
    const halfOpen = l.halfOpen ? { halfOpen: { idleSeconds: l.halfOpen.idleSeconds } } : {};
    if (l.relay) {
      relays.push({ host: l.requestedHost, port: l.port, targetHost: l.relay.targetHost, targetPort: l.relay.targetPort, timeoutMs: 10_000, ...extrasOf(id) });
      continue;
    }
    const responder = l.responder && l.responder.kind !== 'off' ? { responder: l.responder } : {};
    if (l.transport === 'unix') {
      listeners.push({ kind: 'unix', path: l.address, removeStale: false, ...halfOpen, ...responder, ...extrasOf(id) });
      continue;
    }
    let tls: CommandArgs<'startListener'>['tls'];
    if (l.tls) {
      const files = options.tlsFiles?.[id];
      if (l.tls.selfSigned) tls = { certificate: 'self-signed', requestClientCert: l.tls.requestClientCert };
      else if (files) tls = { certificate: { certPath: files.certPath, keyPath: files.keyPath }, requestClientCert: l.tls.requestClientCert };
      else {
        notes.push(
          `The TLS listener on ${formatHostPort(l.requestedHost, l.port)} is not saved: it uses certificate files this window does not know. Add it to the file by hand ("tls": {"certificate": {"certPath": …, "keyPath": …}}).`,
        );
        continue;
      }
    }
    listeners.push({ kind: 'tcp', host: l.requestedHost, port: l.port, ...(tls ? { tls } : {}), ...halfOpen, ...responder, ...extrasOf(id) });
  }

  const udp: WorkspaceUdp[] = [];
  for (const id of source.connectionOrder) {
    const c = source.connections[id];
    if (!c || c.origin !== 'bound' || c.state === 'closed' || !c.local) continue;
    const name = source.labels[id]?.trim();
    const view = viewOf(id);
    const groups = c.udp?.groups ?? [];
    udp.push({
      host: c.local.address,
      port: c.local.port,
      broadcast: c.udp?.broadcast ?? false,
      ...(name ? { name: name.slice(0, 200) } : {}),
      ...(view ? { view } : {}),
      ...(groups.length ? { groups: groups.map((g) => ({ group: g.group, ...(g.iface ? { iface: g.iface } : {}) })) } : {}),
    });
  }

  const recentTargets: WorkspaceTarget[] = [];
  for (const t of options.recentTargets ?? []) {
    if (recentTargets.length >= MAX_RECENT) break;
    if ('path' in t) {
      const p = socketPathSchema.safeParse(t.path);
      if (p.success) recentTargets.push({ path: p.data });
    } else {
      const h = hostSchema.safeParse(t.host);
      const p = remotePortSchema.safeParse(t.port);
      if (h.success && p.success) recentTargets.push({ host: h.data, port: p.data });
    }
  }

  const name = options.name.trim().slice(0, 200) || 'workspace';
  const workspace: Workspace = {
    format: WORKSPACE_FORMAT,
    version: WORKSPACE_VERSION,
    name,
    savedAt: (options.savedAt ?? new Date()).toISOString(),
    listeners,
    relays,
    udp,
    recentTargets,
    ...(source.settings ? { settings: { captureBudgetMiB: Math.max(1, Math.round(source.settings.captureBudgetBytes / MiB)) } } : {}),
  };
  return { workspace, notes };
}
