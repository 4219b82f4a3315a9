/**
 * Malformed command inputs for contract tests, shared by the schema tests in shared/ and the
 * dispatch tests in electron/engine/. Only tests import this module.
 */
import { fieldLabel } from './field-labels';
import { COMMAND_NAMES, commandSchemas, type CommandInput, type CommandName } from './contract';

/** One malformed input and the field its error message must name. */
export interface MalformedCase {
  command: CommandName;
  /** Readable description for the test title. */
  label: string;
  input: unknown;
  /** Text the error message must contain: the bad field's name, or "object" for a non-object. */
  names: string;
  /** For a case about one field: that field, which the result's `field` must name. */
  field?: string;
  /** Fields that are fine in this input, so the message must not blame them. */
  innocent: string[];
}

/** A well-formed input per command; every malformed case is one change away from it. */
export const VALID_INPUTS: { [K in CommandName]: CommandInput<K> } = {
  getSnapshot: {},
  startListener: { host: '127.0.0.1', port: 0, halfOpen: { idleSeconds: 60 } },
  stopListener: { listenerId: 'L1', closeClients: false },
  connect: { host: '127.0.0.1', port: 80, timeoutMs: 1000 },
  send: { connectionId: 'C1', data: Uint8Array.of(1, 2, 3) },
  closeConnection: { connectionId: 'C1', mode: 'end' },
  getChunks: { connectionId: 'C1', fromSeq: 0, limit: 10 },
  getChunkData: { connectionId: 'C1', seq: 0 },
  setSettings: { captureBudgetMiB: 64 },
  setResponder: { target: { listenerId: 'L1' }, responder: { kind: 'echo' } },
  broadcast: { listenerId: 'L1', data: Uint8Array.of(1) },
  startRepeat: { target: { connectionId: 'C1' }, data: Uint8Array.of(1), intervalMs: 100, count: 3 },
  stopTask: { taskId: 'T1' },
  listPorts: {},
  endProcess: { pid: 4242, signal: 'SIGTERM' },
  getSaved: {},
  setSaved: { snippets: [{ name: 'hello', text: 'hi\\n', hex: false, lineEnding: 'none' }], history: ['one'] },
  listenUnix: { path: '/tmp/si-test.sock', removeStale: false },
  connectUnix: { path: '/tmp/si-test.sock', timeoutMs: 1000 },
  bindUdp: { host: '127.0.0.1', port: 0, broadcast: false },
  sendUdp: { connectionId: 'C1', host: '127.0.0.1', port: 9, data: Uint8Array.of(1) },
  udpMembership: { connectionId: 'C1', group: '239.255.0.1', iface: '127.0.0.1', join: true },
  startRelay: { host: '127.0.0.1', port: 0, targetHost: '127.0.0.1', targetPort: 8080, timeoutMs: 1000 },
  relayControl: { connectionId: 'C1', direction: 'c2s', paused: true, latencyMs: 0, kbps: 0 },
  relayInject: { connectionId: 'C1', direction: 's2c', data: Uint8Array.of(1) },
  removeClosed: { listenerId: 'L1' },
  getRows: { connectionId: 'C1', reading: { view: 'frames', framing: { kind: 'delimiter', delimiterHex: '0d0a', maxFrameBytes: 4096 } }, fromRow: 0, limit: 100, decoder: 'auto', searchId: 'S1', onlyMatching: true },
  readStream: { connectionId: 'C1', direction: 'in', from: 0, to: 16, fromSeq: 0 },
  decodeRange: { connectionId: 'C1', direction: 'out', from: 4, to: 20, fromSeq: 1, decoder: 'json' },
  checksumRange: { connectionId: 'C1', direction: 'in', from: 0, to: 9, fromSeq: 0 },
  startSearch: { query: { kind: 'hex', pattern: 'de ad', caseSensitive: true, direction: 'both' }, connectionIds: ['C1'] },
  cancelSearch: { searchId: 'S1' },
  getSearchMatches: { searchId: 'S1', connectionId: 'C1', fromIndex: 0, limit: 100 },
  exportCapture: { scope: { connectionId: 'C1' }, format: 'pcapng', display: 'text', direction: 'both' },
  openCapture: { fileId: 'F1', name: 'trace.pcapng' },
  cancelFileJob: { jobId: 'J1' },
  clearCapture: { scope: { all: true } },
  readWorkspaceFile: { filePath: '/tmp/workspace.json' },
  startReplay: { side: 'client', sourceId: 'C1', host: '127.0.0.1', port: 7, timing: 'fast', speed: 1, waitForReplies: true, replyTimeoutMs: 1000, timeoutMs: 1000 },
};

const badIds: [string, unknown][] = [
  ['empty', ''],
  ['a number', 42],
  ['65 characters', 'x'.repeat(65)],
  ['null', null],
  ['an object', {}],
];

/** Known-bad values for every field name the contract uses, with a label each. */
export const BAD_FIELD_VALUES: Record<string, [string, unknown][]> = {
  host: [
    ['empty', ''],
    ['only spaces', '   '],
    ['with a space', 'has space'],
    ['not an address', 'a:b:c:zz'],
    ['300 characters', 'a'.repeat(300)],
    ['with a port', '127.0.0.1:80'],
    ['IPv6 with a port', '[::1]:80'],
    ['three colon groups', 'a:b:c'],
    ['nine IPv6 groups', '1:2:3:4:5:6:7:8:9'],
    ['two "::"', '1::2::3'],
    ['IPv4 in the middle of IPv6', '::127.0.0.1:1'],
    ['a URL', 'http://127.0.0.1/'],
    ['an unclosed bracket', '[::1'],
    ['a number', 42],
    ['null', null],
    ['an array', ['127.0.0.1']],
  ],
  port: [
    ['-1', -1],
    ['65536', 65536],
    ['1.5', 1.5],
    ['the string "80"', '80'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['true', true],
    ['null', null],
  ],
  listenerId: badIds,
  connectionId: badIds,
  closeClients: [
    ['the string "yes"', 'yes'],
    ['1', 1],
  ],
  timeoutMs: [
    ['50', 50],
    ['over ten minutes', 600_001],
    ['the string "1000"', '1000'],
    ['1.5', 1.5],
  ],
  data: [
    ['a plain array', [1, 2, 3]],
    ['a string', 'hello'],
    ['a JSON Buffer', { type: 'Buffer', data: [1, 2] }],
    ['an array-like object', { 0: 1, length: 1 }],
    ['an ArrayBuffer', new ArrayBuffer(2)],
    ['a Uint16Array', new Uint16Array(2)],
    ['null', null],
    ['a number', 42],
  ],
  mode: [
    ['"bogus"', 'bogus'],
    ['empty', ''],
    ['upper case', 'END'],
    ['a number', 1],
    ['null', null],
  ],
  fromSeq: [
    ['-1', -1],
    ['1.5', 1.5],
    ['the string "0"', '0'],
  ],
  limit: [
    ['0', 0],
    ['over 100000', 100_001],
    ['a string', 'x'],
  ],
  captureBudgetMiB: [
    ['0', 0],
    ['-1', -1],
    ['1.5', 1.5],
    ['the string "64"', '64'],
    ['over 1 TiB', 1024 * 1024 + 1],
    ['null', null],
  ],
  target: [
    ['empty', {}],
    ['both ids', { connectionId: 'C1', listenerId: 'L1' }],
    ['a string', 'C1'],
    ['null', null],
  ],
  responder: [
    ['an unknown kind', { kind: 'shout' }],
    ['fixed with odd hex', { kind: 'fixed', reply: '4', hex: true, close: false }],
    ['fixed with a bad escape', { kind: 'fixed', reply: 'a\\q', hex: false, close: false }],
    ['a rule with a bad regex', { kind: 'rules', rules: [{ match: 'regex', pattern: '(', reply: 'x', delayMs: 0, close: false }], defaultReply: '', lineFraming: false }],
    ['a rule whose regex backtracks without end', { kind: 'rules', rules: [{ match: 'regex', pattern: '(a+)+$', reply: 'x', delayMs: 0, close: false }], defaultReply: '', lineFraming: false }],
    ['a rule with bad hex', { kind: 'rules', rules: [{ match: 'hex', pattern: 'zz', reply: 'x', delayMs: 0, close: false }], defaultReply: '', lineFraming: false }],
    ['a program without a command', { kind: 'program', command: '  ', args: [], shell: false }],
    ['null', null],
  ],
  intervalMs: [
    ['-1', -1],
    ['1.5', 1.5],
    ['over a day', 86_400_001],
  ],
  count: [
    ['0', 0],
    ['1.5', 1.5],
    ['a string', '3'],
  ],
  pid: [
    ['1', 1],
    ['0', 0],
    ['-5', -5],
    ['a string', '42'],
  ],
  signal: [
    ['SIGHUP', 'SIGHUP'],
    ['a number', 9],
  ],
  snippets: [
    ['a snippet without a name', [{ name: '', text: 'x', hex: false, lineEnding: 'none' }]],
    ['not an array', 'x'],
  ],
  history: [
    ['numbers', [1, 2]],
    ['201 entries', Array.from({ length: 201 }, () => 'x')],
  ],
  path: [
    ['empty', ''],
    ['a number', 7],
    ['with a NUL byte', '/tmp/a\0b'],
    ['null', null],
  ],
  removeStale: [['the string "yes"', 'yes']],
  halfOpen: [
    ['idle 0 s', { idleSeconds: 0 }],
    ['idle 1.5 s', { idleSeconds: 1.5 }],
    ['idle over a day', { idleSeconds: 86_401 }],
    ['true', true],
  ],
  broadcast: [['the string "yes"', 'yes']],
  group: [
    ['empty', ''],
    ['a number', 239],
  ],
  join: [['the string "yes"', 'yes']],
  direction: [
    ['"up"', 'up'],
    ['a number', 1],
  ],
  targetHost: [
    ['empty', ''],
    ['with a space', 'a b'],
  ],
  targetPort: [
    ['0', 0],
    ['65536', 65536],
  ],
  latencyMs: [['-1', -1]],
  kbps: [['-5', -5]],
  seq: [
    ['-1', -1],
    ['1.5', 1.5],
    ['the string "0"', '0'],
    ['null', null],
  ],
};

/** A value of another type than the valid one, for fields this table does not know yet. */
function otherType(valid: unknown): unknown {
  if (typeof valid === 'string') return 42;
  if (typeof valid === 'number') return '1';
  if (typeof valid === 'boolean') return 'yes';
  return 'not this';
}

function isRequired(command: CommandName, field: string): boolean {
  const shape = (commandSchemas[command] as unknown as { shape: Record<string, { safeParse(v: unknown): { success: boolean } }> })
    .shape;
  return !shape[field]!.safeParse(undefined).success;
}

/** Every malformed case for one command: non-objects, unknown fields, each field missing or bad. */
export function malformedCases(command: CommandName): MalformedCase[] {
  // A command added to the contract before this table still gets the generic cases.
  const valid = (VALID_INPUTS[command] ?? {}) as Record<string, unknown>;
  const fields = Object.keys(valid);
  const cases: MalformedCase[] = [];
  // Fields are named in messages as the forms name them ("Target port:").
  const named = (f: string) => `${fieldLabel([f])}:`;
  const add = (label: string, input: unknown, names: string, bad: string[] = [], field?: string) =>
    cases.push({ command, label, input, names, innocent: fields.filter((f) => !bad.includes(f)).map(named), ...(field ? { field } : {}) });

  for (const [label, input] of [
    ['a string', 'startListener'],
    ['a number', 42],
    ['true', true],
    ['an array', [valid]],
  ] as const) {
    add(label, input, 'object', fields);
  }
  for (const extra of ['bogus', 'constructor', 'toString']) {
    add(`an unknown field "${extra}"`, { ...valid, [extra]: 1 }, `"${extra}"`);
  }
  // An own "__proto__" key, as JSON.parse makes one, must not slip past the unknown-field check.
  const withProto = { ...valid };
  Object.defineProperty(withProto, '__proto__', { value: { port: 1 }, enumerable: true, writable: true, configurable: true });
  add('an own "__proto__" field', withProto, '"__proto__"');
  // A wrong-case field name is an unknown field, never a second spelling of a known one.
  const first = fields[0];
  if (first !== undefined) {
    const { [first]: value, ...rest } = valid;
    add(`"${first}" spelled in upper case`, { ...rest, [first.toUpperCase()]: value }, `"${first.toUpperCase()}"`, [first]);
  }

  for (const field of fields) {
    const { [field]: _dropped, ...without } = valid;
    if (isRequired(command, field)) add(`"${field}" missing`, without, named(field), [field], field);
    const bad = BAD_FIELD_VALUES[field] ?? [['of another type', otherType(valid[field])]];
    for (const [label, value] of bad) {
      // A connect port of 0 is as bad as a listen port of -1.
      add(`"${field}" ${label}`, { ...valid, [field]: value }, named(field), [field], field);
    }
    if (field === 'port' && command === 'connect') add('"port" 0', { ...valid, port: 0 }, named(field), [field], field);
  }
  return cases;
}

/** Every malformed case for every command in COMMAND_NAMES. */
export function allMalformedCases(): MalformedCase[] {
  return COMMAND_NAMES.flatMap((name) => malformedCases(name));
}

/** Values that name no command, including names every object inherits. */
export const UNKNOWN_COMMAND_NAMES: unknown[] = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'execute',
  'shutdown',
  '',
  'GETSNAPSHOT',
  ' getSnapshot',
  'inspector:cmd:getSnapshot',
  42,
  null,
  undefined,
  true,
  {},
  ['getSnapshot'],
  Symbol('getSnapshot'),
];
