/**
 * The contract between the renderer and whichever host runs the engine (Electron main process
 * or the browser host). Command names, channel names and request schemas live here, and
 * nowhere else; the InspectorApi interface (inspector-api.ts) is re-exported from here.
 */
import { z } from 'zod';
import { parseEscapes, parseHex } from './bytes';
import { regexHazard } from './regex-safety';
import { fieldKey, fieldLabel } from './field-labels';
import { workspaceSchema, type Workspace } from './workspace';
import type { FileJob, ChunkData, ChunkPage, PortEntry, RemovedTotals, ResponderConfig, SavedState, Settings, TaskInfo, ConnectionInfo, ListenerInfo, Snapshot } from './model';
import type { RowPage } from './reading';
import type { SearchMatch, SearchProgress } from './search';
import type { Decoded } from './decoded';
import type { Checksums } from './inspect';
import type { CommandName } from './channels';
import { MAX_HISTORY_ENTRY_CHARS, MAX_SEND_BYTES } from './limits';

export { Channels, COMMAND_NAMES, isCommandName, BRIDGE_KEY, WS_PATH } from './channels';
export type { CommandName } from './channels';

const HOST_PATTERN = /^(\[[0-9a-fA-F:.]+(%[\w.-]+)?\]|[0-9a-fA-F:.]+(%[\w.-]+)?|[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?)$/;

/** True for an IPv6 address such as ::1, fe80::1%eth0, ::ffff:127.0.0.1 or [::1]. */
function isIPv6Literal(text: string): boolean {
  const bare = (text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text).replace(/%[\w.-]+$/, '');
  const halves = bare.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  let count = 0;
  for (let h = 0; h < groups.length; h++) {
    const list = groups[h]!;
    for (let g = 0; g < list.length; g++) {
      const group = list[g]!;
      const last = h === groups.length - 1 && g === list.length - 1;
      if (last && group.includes('.')) {
        // An embedded IPv4 address may only end the literal, and counts as two groups.
        if (!/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(group)) return false;
        count += 2;
      } else if (/^[0-9a-fA-F]{1,4}$/.test(group)) count += 1;
      else return false;
    }
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** A host: an IPv4 or IPv6 literal (brackets allowed) or a DNS name such as localhost. */
export const hostSchema = z
  .string({ error: 'Host must be text, such as 127.0.0.1, ::1 or localhost' })
  .trim()
  .min(1, 'Enter a host, such as 127.0.0.1, ::1 or localhost')
  .max(253, 'Host is too long (253 characters at most)')
  .regex(HOST_PATTERN, 'Host must be an IP address (127.0.0.1, ::1) or a host name (localhost), without spaces or a port')
  // The pattern lets any run of hex digits, dots and colons through as an IP literal, so
  // "127.0.0.1:80" would pass and fail later as an unknown host name: a colon means IPv6.
  .refine((h) => !HOST_PATTERN.test(h) || !h.includes(':') || isIPv6Literal(h), {
    error: 'Host must be an IP address (127.0.0.1, ::1) or a host name (localhost), without a port (put the port in the Port field)',
  })
  .transform((h) => (h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h));

const portMessage = 'Port must be a whole number from 0 to 65535';

/** A port to listen on: 0 asks the OS for a free one. */
export const listenPortSchema = z
  .number({ error: portMessage })
  .int(portMessage)
  .min(0, portMessage)
  .max(65535, portMessage);

/** A port to connect to: 0 is not a destination. */
export const remotePortSchema = z
  .number({ error: 'Port must be a whole number from 1 to 65535' })
  .int('Port must be a whole number from 1 to 65535')
  .min(1, 'Port must be a whole number from 1 to 65535 (0 is not a port you can connect to)')
  .max(65535, 'Port must be a whole number from 1 to 65535');

/**
 * A Unix domain socket path (or on Windows a named pipe, \\.\pipe\name). Linux and macOS
 * limit socket paths to about 107 bytes.
 */
export const socketPathSchema = z
  .string({ error: 'Socket path must be text, such as /tmp/app.sock' })
  .trim()
  .min(1, 'Enter a socket path, such as /tmp/app.sock')
  .max(4096, 'Socket path is too long')
  .refine((p) => !p.includes('\0'), { error: 'Socket path cannot contain a NUL byte' });

const timeoutSchema = z
  .number()
  .int()
  .min(100, 'Timeout must be at least 100 ms')
  .max(600_000, 'Timeout must be at most 10 minutes')
  .default(10_000);

const idSchema = z.string().min(1, 'An id is required').max(64, 'Id is too long');

const bytesSchema = z
  .custom<Uint8Array>((v) => v instanceof Uint8Array, { error: 'data must be bytes', abort: true })
  .refine((v) => v.byteLength <= MAX_SEND_BYTES, {
    error: (issue) =>
      `data is too large to send at once (${(issue.input as Uint8Array).byteLength.toLocaleString('en-US')} bytes; ` +
      `${MAX_SEND_BYTES.toLocaleString('en-US')} at most): send a file for more, it goes in pieces`,
  });

const directionSchema = z.enum(['in', 'out'], { error: 'direction must be "in" or "out"' });
const offsetSchema = z.number({ error: 'stream offset must be a number of bytes' }).int('stream offset must be a whole number').min(0, 'stream offset must be 0 or more');

/** A hex string of 1 to 64 bytes (a frame delimiter). */
const delimiterHexSchema = z
  .string()
  .trim()
  .transform((t) => t.replace(/[\s:]/g, '').toLowerCase())
  .refine((t) => t.length > 0, { error: 'Enter the delimiter bytes' })
  .refine((t) => /^[0-9a-f]*$/.test(t), { error: 'Delimiter must be hex digits, such as 0d 0a' })
  .refine((t) => t.length % 2 === 0, { error: 'Delimiter has an odd number of hex digits: each byte is two digits' })
  .refine((t) => t.length <= 128, { error: 'Delimiter can be at most 64 bytes' });

const frameLimitSchema = z
  .number({ error: 'Frame size limit must be a number of bytes' })
  .int('Frame size limit must be a whole number of bytes')
  .min(1, 'Frame size limit must be at least 1 byte')
  .max(64 * 1024 * 1024, 'Frame size limit must be at most 64 MiB');

/** How a view cuts a stream into frames. */
export const framingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('delimiter'), delimiterHex: delimiterHexSchema, maxFrameBytes: frameLimitSchema }).strict(),
  z
    .object({
      kind: z.literal('length'),
      lengthBytes: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)], { error: 'Length field must be 1, 2, 4 or 8 bytes' }),
      endian: z.enum(['big', 'little'], { error: 'Byte order must be big or little endian' }),
      lengthOffset: z.number({ error: 'Length offset must be a number' }).int('Length offset must be a whole number').min(0, 'Length offset must be 0 or more').max(1024, 'Length offset must be at most 1024'),
      includesHeader: z.boolean(),
      adjustment: z.number({ error: 'Adjustment must be a number' }).int('Adjustment must be a whole number').min(-1_000_000, 'Adjustment is too small').max(1_000_000, 'Adjustment is too large'),
      maxFrameBytes: frameLimitSchema,
    })
    .strict(),
  z.object({ kind: z.literal('fixed'), size: z.number({ error: 'Frame size must be a number' }).int('Frame size must be a whole number of bytes').min(1, 'Frame size must be at least 1 byte').max(64 * 1024 * 1024, 'Frame size must be at most 64 MiB') }).strict(),
], { error: 'Framing must be delimiter, length or fixed' });

/** Which reading of a connection a view shows. */
export const readingSchema = z.discriminatedUnion('view', [
  z.object({ view: z.literal('chunks') }).strict(),
  z.object({ view: z.literal('lines') }).strict(),
  z.object({ view: z.literal('stream'), mergeMs: z.number({ error: 'Merge time must be a number of ms' }).int('Merge time must be a whole number of ms').min(0, 'Merge time must be 0 ms or more').max(3_600_000, 'Merge time must be at most an hour').nullable() }).strict(),
  z.object({ view: z.literal('frames'), framing: framingSchema }).strict(),
], { error: 'view must be chunks, lines, stream or frames' });

const decoderChoiceSchema = z.enum(['auto', 'none', 'json', 'msgpack', 'cbor', 'protobuf', 'base64', 'gzip', 'zlib', 'deflate', 'utf16le', 'utf16be'], { error: 'Unknown decoder' });

/** A range of one direction's stream; fromSeq is a hint (a chunk at or before the range's start). */
const streamRangeShape = {
  connectionId: z.string().min(1, 'An id is required').max(64, 'Id is too long'),
  direction: directionSchema,
  from: offsetSchema,
  to: offsetSchema,
  fromSeq: z.number().int().min(0).default(0),
};
const rangeOrder = { error: 'the range must end after it starts (to > from)' };

const targetSchema = z.union([z.object({ connectionId: idSchema }).strict(), z.object({ listenerId: idSchema }).strict()], {
  error: 'target must be {connectionId} or {listenerId}',
});

const MAX_TEXT = 1024 * 1024;
/** Which connections a command covers: one, a listener's (or relay's) clients, or all of them. */
const scopeSchema = z.union(
  [
    z.object({ connectionId: idSchema }).strict(),
    z.object({ listenerId: idSchema }).strict(),
    z.object({ jobId: idSchema }).strict(),
    z.object({ all: z.literal(true) }).strict(),
  ],
  { error: 'scope must be {connectionId}, {listenerId}, {jobId} or {all: true}' },
);

/** An absolute path of a file on the machine the engine runs on. */
const filePathSchema = z
  .string({ error: 'File path must be text' })
  .min(1, 'Enter a file path')
  .max(4096, 'File path is too long')
  .refine((p) => !p.includes('\0'), { error: 'File path cannot contain a NUL byte' })
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'), { error: 'File path must be absolute' });

const textSchema = (what: string) => z.string({ error: `${what} must be text` }).max(MAX_TEXT, `${what} is too long (1 MiB at most)`);

function checkEscapes(text: string, ctx: z.RefinementCtx, path: (string | number)[]): void {
  // Placeholders are not escapes; check what is around them.
  const outside = text.replace(/\{\{[^}]*\}\}/g, '');
  const parsed = parseEscapes(outside);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error, path });
}

/** Time for checking every regex pattern of one rules config for catastrophic backtracking. */
const REGEX_CHECK_BUDGET_MS = 2000;

function isValidRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

const ruleSchema = z
  .object({
    match: z.enum(['exact', 'contains', 'startsWith', 'regex', 'hex'], { error: 'match must be exact, contains, startsWith, regex or hex' }),
    pattern: textSchema('pattern'),
    reply: textSchema('reply'),
    delayMs: z.number().int().min(0, 'delay must be 0 ms or more').max(600_000, 'delay must be at most 10 minutes').default(0),
    close: z.boolean().default(false),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.match === 'regex') {
      try {
        new RegExp(rule.pattern);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid regular expression: ${err instanceof Error ? err.message : String(err)}` });
      }
    } else if (rule.match === 'hex') {
      const parsed = parseHex(rule.pattern);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', path: ['pattern'], message: parsed.error });
      else if (parsed.bytes.length === 0) ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'hex pattern is empty' });
    } else if (rule.pattern.length === 0 && rule.match !== 'exact') {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'pattern is empty' });
    }
    checkEscapes(rule.reply, ctx, ['reply']);
  });

/** An auto-responder configuration, checked in full before it is used. */
export const responderSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('off') }).strict(),
    z.object({ kind: z.literal('echo') }).strict(),
    z
      .object({ kind: z.literal('fixed'), reply: textSchema('reply'), hex: z.boolean().default(false), close: z.boolean().default(false) })
      .strict()
      .superRefine((r, ctx) => {
        if (r.hex) {
          const parsed = parseHex(r.reply);
          if (!parsed.ok) ctx.addIssue({ code: 'custom', path: ['reply'], message: parsed.error });
        } else checkEscapes(r.reply, ctx, ['reply']);
      }),
    z
      .object({
        kind: z.literal('rules'),
        rules: z.array(ruleSchema).max(200, 'at most 200 rules'),
        defaultReply: textSchema('default reply').default(''),
        lineFraming: z.boolean().default(false),
      })
      .strict()
      .superRefine((r, ctx) => {
        checkEscapes(r.defaultReply, ctx, ['defaultReply']);
        // All of a config's patterns share one time budget, so Apply answers within seconds.
        const started = Date.now();
        r.rules.forEach((rule, i) => {
          if (rule.match !== 'regex' || !isValidRegex(rule.pattern)) return;
          const left = REGEX_CHECK_BUDGET_MS - (Date.now() - started);
          const hazard = left > 0 ? regexHazard(rule.pattern, Math.min(500, left)) : 'too many patterns to check in time; split the rules';
          if (hazard) ctx.addIssue({ code: 'custom', path: ['rules', i, 'pattern'], message: `this regular expression is refused: ${hazard}` });
        });
      }),
    z
      .object({
        kind: z.literal('program'),
        command: z.string({ error: 'command must be text' }).trim().min(1, 'Enter a command to run').max(4096, 'command is too long'),
        args: z.array(z.string().max(4096)).max(256, 'at most 256 arguments').default([]),
        shell: z.boolean().default(false),
      })
      .strict(),
  ],
  { error: 'responder kind must be off, echo, fixed, rules or program' },
);

const snippetSchema = z
  .object({
    name: z.string().trim().min(1, 'A saved message needs a name').max(100, 'name is too long (100 characters at most)'),
    text: textSchema('text'),
    hex: z.boolean(),
    lineEnding: z.enum(['none', 'lf', 'crlf']),
  })
  .strict();

/**
 * What a listener does when a client finishes sending (FIN). Absent: close our side too once
 * everything we are sending has gone, as the tutorial servers do. Present: keep the connection
 * half-open so it can still be sent to, and close it after idleSeconds without traffic.
 */
const halfOpenSchema = z
  .object({
    idleSeconds: z
      .number({ error: 'Idle limit must be a number of seconds' })
      .int('Idle limit must be a whole number of seconds')
      .min(1, 'Idle limit must be at least 1 s')
      .max(86_400, 'Idle limit must be at most a day (86400 s)')
      .default(300),
  })
  .strict()
  .optional();

/** Request schemas, one per command. Every command entering a host is parsed by its schema. */
export const commandSchemas = {
  getSnapshot: z.object({}).strict(),
  startListener: z
    .object({
      host: hostSchema,
      port: listenPortSchema,
      /** With tls, a TLS server: a self-signed certificate made for localhost, or PEM files. */
      tls: z
        .object({
          certificate: z.union([
            z.literal('self-signed'),
            z.object({ certPath: z.string().trim().min(1, 'Enter the certificate file'), keyPath: z.string().trim().min(1, 'Enter the key file') }).strict(),
          ], { error: 'certificate must be "self-signed" or {certPath, keyPath}' }),
          requestClientCert: z.boolean().default(false),
        })
        .strict()
        .optional(),
      halfOpen: halfOpenSchema,
    })
    .strict(),
  stopListener: z.object({ listenerId: idSchema, closeClients: z.boolean().default(false) }).strict(),
  connect: z
    .object({
      host: hostSchema,
      port: remotePortSchema,
      timeoutMs: timeoutSchema,
      /**
       * With tls, a TLS client: verification, SNI name (the host by default), ALPN protocols, and
       * a PEM file of CA certificates trusted besides the system's (a private CA, or a
       * self-signed server's own certificate).
       */
      tls: z
        .object({
          verify: z.boolean().default(true),
          servername: z.string().trim().max(253, 'Server name is too long').optional(),
          alpn: z.array(z.string().min(1).max(255)).max(16, 'at most 16 ALPN protocols').default([]),
          caPath: z.string().trim().min(1, 'Enter the trusted CA file').max(4096, 'The trusted CA file path is too long').optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
  send: z.object({ connectionId: idSchema, data: bytesSchema }).strict(),
  closeConnection: z
    .object({ connectionId: idSchema, mode: z.enum(['end', 'reset'], { error: 'mode must be "end" or "reset"' }) })
    .strict(),
  getChunks: z
    .object({
      connectionId: idSchema,
      fromSeq: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(100_000).default(10_000),
    })
    .strict(),
  getChunkData: z
    .object({ connectionId: idSchema, seq: z.number({ error: 'seq must be a chunk number' }).int().min(0) })
    .strict(),
  setSettings: z
    .object({
      captureBudgetMiB: z
        .number({ error: 'Capture budget must be a number of MiB' })
        .int('Capture budget must be a whole number of MiB')
        .min(1, 'Capture budget must be at least 1 MiB')
        .max(1024 * 1024, 'Capture budget must be at most 1 TiB'),
    })
    .strict(),
  setResponder: z.object({ target: targetSchema, responder: responderSchema }).strict(),
  broadcast: z.object({ listenerId: idSchema, data: bytesSchema }).strict(),
  startRepeat: z
    .object({
      target: targetSchema,
      data: bytesSchema,
      intervalMs: z.number().int().min(0, 'interval must be 0 ms or more').max(86_400_000, 'interval must be at most a day'),
      count: z.number().int().min(1, 'count must be at least 1').max(1_000_000_000).optional(),
    })
    .strict(),
  stopTask: z.object({ taskId: idSchema }).strict(),
  listPorts: z.object({}).strict(),
  endProcess: z
    .object({
      pid: z.number().int().min(2, 'pid must be a process id above 1'),
      signal: z.enum(['SIGTERM', 'SIGKILL'], { error: 'signal must be SIGTERM or SIGKILL' }),
    })
    .strict(),
  getSaved: z.object({}).strict(),
  setSaved: z
    .object({
      snippets: z.array(snippetSchema).max(500, 'at most 500 saved messages'),
      history: z.array(z.string().max(MAX_HISTORY_ENTRY_CHARS)).max(200, 'at most 200 history entries'),
      // The host's own warning from getSaved, echoed back by a page that sends the state it
      // holds; accepted so the save goes through, and never stored.
      warning: z.string().max(16_384).optional(),
      // The last workspace saved or opened, offered again at the next start. Lazy: workspace.ts
      // builds its schema from the ones above.
      workspace: z.lazy((): z.ZodType<Workspace> => workspaceSchema).optional(),
    })
    .strict(),
  listenUnix: z.object({ path: socketPathSchema, removeStale: z.boolean().default(false), halfOpen: halfOpenSchema }).strict(),
  connectUnix: z.object({ path: socketPathSchema, timeoutMs: timeoutSchema }).strict(),
  bindUdp: z.object({ host: hostSchema, port: listenPortSchema, broadcast: z.boolean().default(false) }).strict(),
  sendUdp: z.object({ connectionId: idSchema, host: hostSchema, port: remotePortSchema, data: bytesSchema }).strict(),
  udpMembership: z
    .object({
      connectionId: idSchema,
      group: z.string().trim().min(1, 'Enter a multicast group, such as 239.255.0.1 or ff02::1:7a5c').max(64, 'group is too long'),
      iface: z.string().trim().max(64, 'interface is too long').optional(),
      join: z.boolean(),
    })
    .strict(),
  startRelay: z
    .object({ host: hostSchema, port: listenPortSchema, targetHost: hostSchema, targetPort: remotePortSchema, timeoutMs: timeoutSchema })
    .strict(),
  relayControl: z
    .object({
      connectionId: idSchema,
      direction: z.enum(['c2s', 's2c'], { error: 'direction must be "c2s" (client to server) or "s2c" (server to client)' }),
      paused: z.boolean().optional(),
      latencyMs: z.number().int().min(0, 'latency must be 0 ms or more').max(60_000, 'latency must be at most 60 s').optional(),
      kbps: z.number().int().min(0, 'bandwidth must be 0 (no limit) or more').max(10_000_000, 'bandwidth is too large').optional(),
    })
    .strict(),
  relayInject: z
    .object({
      connectionId: idSchema,
      direction: z.enum(['c2s', 's2c'], { error: 'direction must be "c2s" (client to server) or "s2c" (server to client)' }),
      data: bytesSchema,
    })
    .strict(),
  /** One closed connection, a listener's closed connections, or (with neither) every closed one. */
  removeClosed: z
    .object({ connectionId: idSchema.optional(), listenerId: idSchema.optional(), jobId: idSchema.optional() })
    .strict()
    .refine((a) => [a.connectionId, a.listenerId, a.jobId].filter((v) => v !== undefined).length <= 1, {
      error: 'give connectionId, listenerId or jobId (one of them), or none for all',
    }),
  getRows: z
    .object({
      connectionId: idSchema,
      reading: readingSchema,
      fromRow: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(2000, 'at most 2000 rows at a time').default(200),
      decoder: decoderChoiceSchema.default('none'),
      /** With onlyMatching: keep only rows holding a match of this search. */
      searchId: idSchema.optional(),
      onlyMatching: z.boolean().default(false),
    })
    .strict(),
  readStream: z
    .object(streamRangeShape)
    .strict()
    .refine((a) => a.to > a.from, rangeOrder)
    .refine((a) => a.to - a.from <= 16 * 1024 * 1024, { error: 'at most 16 MiB can be read at once' }),
  decodeRange: z
    .object({ ...streamRangeShape, decoder: decoderChoiceSchema })
    .strict()
    .refine((a) => a.to > a.from, rangeOrder)
    .refine((a) => a.to - a.from <= 16 * 1024 * 1024, { error: 'at most 16 MiB can be decoded at once' }),
  checksumRange: z.object(streamRangeShape).strict().refine((a) => a.to > a.from, rangeOrder),
  startSearch: z
    .object({
      query: z
        .object({
          kind: z.enum(['text', 'hex', 'regex'], { error: 'search kind must be text, hex or regex' }),
          pattern: z.string().min(1, 'Enter what to search for').max(4096, 'The search is too long (4096 characters at most)'),
          caseSensitive: z.boolean().default(false),
          direction: z.enum(['in', 'out', 'both'], { error: 'direction must be in, out or both' }).default('both'),
          fromTime: z.number().optional(),
          toTime: z.number().optional(),
        })
        .strict(),
      /** Absent: every connection. */
      connectionIds: z.array(idSchema).max(100_000).optional(),
    })
    .strict(),
  cancelSearch: z.object({ searchId: idSchema }).strict(),
  getSearchMatches: z
    .object({
      searchId: idSchema,
      connectionId: idSchema.optional(),
      fromIndex: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(100_000).default(1000),
    })
    .strict(),
  exportCapture: z
    .object({
      scope: scopeSchema,
      format: z.enum(['pcapng', 'ndjson', 'transcript', 'raw'], { error: 'format must be pcapng, ndjson, transcript or raw' }),
      /** transcript: escaped text or a hex dump, as the views show them. */
      display: z.enum(['text', 'hex'], { error: 'display must be text or hex' }).default('text'),
      /** raw: one direction's bytes, or both as one file each (in a tar archive). */
      direction: z.enum(['in', 'out', 'both'], { error: 'direction must be in, out or both' }).default('both'),
      /** Desktop: where the user chose to save it. Absent: the host keeps it for download. */
      filePath: filePathSchema.optional(),
    })
    .strict(),
  openCapture: z
    .object({
      /** Desktop: the file the user chose or dropped. */
      filePath: filePathSchema.optional(),
      /** Browser host: a file the page uploaded. */
      fileId: idSchema.optional(),
      /** The name to show (the file's own name when absent). */
      name: z.string().trim().min(1).max(255, 'File name is too long').optional(),
    })
    .strict()
    .refine((a) => (a.filePath === undefined) !== (a.fileId === undefined), { error: 'choose one capture file to open (a path or an uploaded file, not both)', path: ['fileId'] }),
  cancelFileJob: z.object({ jobId: idSchema }).strict(),
  clearCapture: z.object({ scope: scopeSchema }).strict(),
  startReplay: z
    .object({
      /** client: connect to host:port and send what the client sent; server: listen on host:port and answer as the server did. */
      side: z.enum(['client', 'server'], { error: 'Replay as must be client or server' }),
      sourceId: idSchema,
      host: hostSchema,
      port: listenPortSchema,
      /** original: the captured gaps between chunks; scaled: those gaps divided by speed; fast: no waiting. */
      timing: z.enum(['original', 'scaled', 'fast'], { error: 'timing must be original, scaled or fast' }).default('original'),
      /** With timing scaled: 2 replays twice as fast, 0.5 half as fast. */
      speed: z.number({ error: 'Speed must be a number' }).min(0.01, 'Speed must be at least 0.01').max(1000, 'Speed must be at most 1000').default(1),
      /**
       * Before each chunk, wait until the other side has sent as many bytes as it had by then in
       * the capture (at most replyTimeoutMs). Always on as server.
       */
      waitForReplies: z.boolean().default(false),
      replyTimeoutMs: timeoutSchema,
      timeoutMs: timeoutSchema,
    })
    .strict()
    .refine((a) => a.side === 'server' || a.port > 0, {
      error: 'Port must be a whole number from 1 to 65535 (0 is not a port you can connect to)',
      path: ['port'],
    }),
  /** Desktop: a workspace file from Open Recent or opened with the app, read by the engine (the page cannot read paths). */
  readWorkspaceFile: z.object({ filePath: filePathSchema }).strict(),
} as const satisfies Record<CommandName, z.ZodType>;

/** What a caller passes (defaults may be omitted). */
export type CommandInput<K extends CommandName> = z.input<(typeof commandSchemas)[K]>;
/** What the engine receives after parsing (defaults filled in). */
export type CommandArgs<K extends CommandName> = z.output<(typeof commandSchemas)[K]>;

/** What each command returns on success. */
export interface CommandResults {
  getSnapshot: Snapshot;
  startListener: ListenerInfo;
  stopListener: ListenerInfo;
  connect: ConnectionInfo;
  send: { bytes: number };
  closeConnection: ConnectionInfo;
  getChunks: ChunkPage;
  getChunkData: ChunkData;
  setSettings: Settings;
  setResponder: ResponderConfig;
  broadcast: { connections: number; bytes: number };
  startRepeat: TaskInfo;
  stopTask: TaskInfo;
  listPorts: PortEntry[];
  endProcess: { pid: number; exited: boolean };
  getSaved: SavedState;
  setSaved: SavedState;
  listenUnix: ListenerInfo;
  connectUnix: ConnectionInfo;
  bindUdp: ConnectionInfo;
  sendUdp: { bytes: number };
  udpMembership: ConnectionInfo;
  startRelay: ListenerInfo;
  relayControl: ConnectionInfo;
  relayInject: { bytes: number };
  removeClosed: { removed: number; totals: RemovedTotals };
  getRows: RowPage;
  readStream: { start: number; data: Uint8Array; boundaries: number[] };
  decodeRange: { decoded: Decoded | null; bytes: number };
  checksumRange: { checksums: Checksums; bytes: number };
  startSearch: { searchId: string };
  cancelSearch: SearchProgress;
  getSearchMatches: { matches: SearchMatch[]; total: number; progress: SearchProgress };
  exportCapture: FileJob;
  openCapture: FileJob;
  cancelFileJob: FileJob;
  clearCapture: { connections: number; bytes: number };
  startReplay: TaskInfo;
  readWorkspaceFile: { name: string; text: string };
}

export type { InspectorApi, LinkState, LinkStatus, OpenFileRequest, WireClientMessage, WireServerMessage } from './inspector-api';

/** Turns a schema failure into one readable sentence ("port: Port must be …"). */
export function describeSchemaError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const label = fieldLabel(issue.path);
      const where = label ? `${label}: ` : '';
      if (issue.code === 'unrecognized_keys') return `${where}unexpected field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${where}${issue.message}`;
    })
    .join('; ');
}

/** Parses untrusted command input; every host calls this before touching the engine. */
export function parseCommand<K extends CommandName>(
  name: K,
  input: unknown,
): { ok: true; args: CommandArgs<K> } | { ok: false; code: 'INVALID_INPUT'; message: string; field?: string } {
  const parsed = commandSchemas[name].safeParse(input ?? {});
  if (parsed.success) return { ok: true, args: parsed.data as CommandArgs<K> };
  const first = parsed.error.issues[0];
  return {
    ok: false,
    code: 'INVALID_INPUT',
    message: describeSchemaError(parsed.error),
    ...(first && first.path.length ? { field: fieldKey(first.path) } : {}),
  };
}
