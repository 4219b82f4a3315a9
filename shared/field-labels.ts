/**
 * Names of command fields as the forms show them, so an error says "Rule 1 pattern: …" and
 * "Target port: …", never "responder.rules.0.pattern".
 */

const LABELS: Record<string, string> = {
  host: 'Address',
  port: 'Port',
  path: 'Socket path',
  targetHost: 'Target host',
  targetPort: 'Target port',
  data: 'Message',
  timeoutMs: 'Timeout',
  intervalMs: 'Every (ms)',
  count: 'Times',
  captureBudgetMiB: 'Capture budget',
  idleSeconds: 'Idle limit',
  halfOpen: 'Half-open',
  servername: 'Server name (SNI)',
  alpn: 'ALPN protocols',
  caPath: 'Trusted CA file',
  certPath: 'Certificate file',
  keyPath: 'Key file',
  certificate: 'Certificate',
  verify: 'Verify certificate',
  reply: 'Reply',
  defaultReply: 'Default reply',
  pattern: 'pattern',
  match: 'match',
  delayMs: 'delay',
  close: 'close',
  command: 'Command',
  args: 'Arguments',
  shell: 'Run in a shell',
  lineFraming: 'Match each line',
  kind: 'Auto-reply',
  responder: 'Auto-reply',
  tls: 'TLS',
  target: 'Target',
  connectionId: 'Connection',
  listenerId: 'Listener',
  group: 'Multicast group',
  iface: 'Interface',
  name: 'Name',
  reading: 'View',
  view: 'View',
  framing: 'Framing',
  delimiterHex: 'Delimiter',
  maxFrameBytes: 'Frame size limit',
  lengthBytes: 'Length field',
  endian: 'Byte order',
  lengthOffset: 'Length offset',
  includesHeader: 'Length counts header',
  adjustment: 'Length adjustment',
  size: 'Frame size',
  mergeMs: 'Merge within',
  decoder: 'Decoder',
  query: 'Find',
  caseSensitive: 'Match case',
  fromTime: 'From time',
  toTime: 'To time',
  from: 'From offset',
  to: 'To offset',
  fromRow: 'From row',
  fromSeq: 'From chunk',
  searchId: 'Search',
  connectionIds: 'Connections',
  scope: 'Export',
  format: 'Format',
  display: 'Show as',
  direction: 'Direction',
  filePath: 'File',
  fileId: 'File',
  jobId: 'Job',
  side: 'Replay as',
  sourceId: 'Connection',
  timing: 'Timing',
  speed: 'Speed',
  waitForReplies: 'Wait for replies',
  replyTimeoutMs: 'Reply timeout',
};

/** Objects whose name goes when one of their fields is named. */
const GROUPS = new Set(['responder', 'tls', 'target', 'reading', 'framing', 'query']);

/** Words for a camelCase key nobody gave a label: "someField" → "Some field". */
function words(key: string): string {
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** The label of a field path, as the form shows it; '' for the whole input. */
export function fieldLabel(path: ReadonlyArray<PropertyKey>): string {
  const all = path.map((p) => (typeof p === 'symbol' ? '' : p));
  // A group's name goes when a field inside it is named: "Reply", not "Auto-reply reply".
  const parts = all.length > 1 ? all.filter((p, i) => i > 0 || !GROUPS.has(p as string)) : all;
  if (parts.length === 0) return '';
  // rules.0.pattern → "Rule 1 pattern"; a rule itself → "Rule 1".
  if (parts[0] === 'rules' && typeof parts[1] === 'number') {
    const rest = parts.slice(2).map((p) => (typeof p === 'number' ? String(p + 1) : (LABELS[p] ?? words(p)).toLowerCase()));
    return [`Rule ${parts[1] + 1}`, ...rest].join(' ');
  }
  if (parts[0] === 'args' && typeof parts[1] === 'number') return `Argument ${parts[1] + 1}`;
  const last = [...parts].reverse().find((p): p is string => typeof p === 'string');
  if (last === undefined) return '';
  const label = LABELS[last] ?? words(last);
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** A field path as a stable key ("responder.rules.0.pattern"), for a form to find its input. */
export function fieldKey(path: ReadonlyArray<PropertyKey>): string {
  return path.map(String).join('.');
}
