/**
 * The data both processes talk about: listeners, connections, chunks, and the events that
 * stream from the engine to the renderer.
 */
import type { ErrorInfo } from './result';
import type { SearchProgress } from './search';
import type { Workspace } from './workspace';

/** Which way bytes went, seen from the inspector: received (in) or sent (out). */
export type Direction = 'in' | 'out';

/** Lifecycle of a TCP connection. half-closed: one side has sent FIN, the other may still write. */
export type ConnectionState = 'connecting' | 'open' | 'half-closed' | 'closed';

/** An address and port as the OS reports it. */
export interface Endpoint {
  /** An IP address, or for a Unix domain socket (or Windows named pipe) its path. */
  address: string;
  /** 0 for Unix domain sockets. */
  port: number;
  family: 'IPv4' | 'IPv6' | 'unix';
}

/** What carries a connection's bytes. */
export type Transport = 'tcp' | 'tls' | 'unix' | 'udp';

/** One certificate of a TLS chain, as the UI shows it. */
export interface CertificateInfo {
  /** Distinguished name, most general part first as OpenSSL prints it ("CN=localhost, O=..."). */
  subject: string;
  issuer: string;
  /** ISO 8601 (UTC) when the date parses, otherwise Node's text. */
  validFrom: string;
  validTo: string;
  /** SHA-256 of the DER certificate, colon-separated upper-case hex (as browsers show it). */
  fingerprint256: string;
  /** Upper-case hex. */
  serialNumber: string;
  /** "DNS:localhost", "IP:127.0.0.1", "IP:::1", "email:…", "URI:…". */
  subjectAltNames: string[];
  /** Issued by itself and signed with its own key: a root, or a certificate nobody vouches for. */
  selfSigned: boolean;
}

/** How a TLS connection was negotiated. */
export interface TlsDetails {
  /** "TLSv1.3", "TLSv1.2", … */
  protocol: string | null;
  /** IANA cipher suite name (the one Wireshark shows), or OpenSSL's when there is none. */
  cipher: string | null;
  /** The application protocol agreed by ALPN, or null when none was. */
  alpn: string | null;
  /** The SNI name: sent (client side) or received (server side). */
  servername?: string;
  /** Whether the peer's certificate verified against the trusted CAs and the host name. */
  authorized: boolean;
  /** Node's verification code (DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, …). */
  authorizationError?: string;
  /** The peer's chain, leaf first. */
  chain: CertificateInfo[];
}

/** How a TLS listener proves who it is. */
export interface ListenerTlsInfo {
  selfSigned: boolean;
  subject: string;
  fingerprint256: string;
  requestClientCert: boolean;
}

/** A running (or just stopped) TCP listener. */
export interface ListenerInfo {
  id: string;
  /** The host the user asked for (an IP literal or a name such as localhost). */
  requestedHost: string;
  /** The port the user asked for; 0 means "pick a free one". */
  requestedPort: number;
  /** Where the OS actually bound it. */
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6' | 'unix';
  transport: Transport;
  /** For TLS listeners: the certificate it presents. */
  tls?: ListenerTlsInfo;
  state: 'listening' | 'stopped';
  startedAt: number;
  /** Clients currently open: a client that sent FIN or was closed no longer counts. */
  clientCount: number;
  /** Clients accepted since it started. */
  acceptedCount: number;
  /** The auto-responder for its clients. */
  responder?: ResponderConfig;
  /** For a relay: where each accepted client is forwarded. */
  relay?: { targetHost: string; targetPort: number };
  /**
   * Set when clients that finish sending (FIN) are kept half-open, closed after this many
   * seconds without traffic. Absent: our side closes too, once what we are sending has gone.
   */
  halfOpen?: { idleSeconds: number };
}

/** Byte and chunk counters per direction. Exact, even when old payloads were evicted. */
export interface Counters {
  bytesIn: number;
  bytesOut: number;
  chunksIn: number;
  chunksOut: number;
}

/** One TCP connection: accepted by a listener, or opened by the user. */
export interface ConnectionInfo extends Counters {
  id: string;
  /**
   * accepted: a client of one of our listeners; outgoing: a connection the user opened; bound: a
   * UDP socket; relay: a client of a relay and its connection to the target, as one pair;
   * opened: a stream read from a capture file (read-only: out is what its client sent, in what
   * its server sent).
   */
  origin: 'accepted' | 'outgoing' | 'bound' | 'relay' | 'opened';
  transport: Transport;
  /** For TLS connections: how the handshake went, and the peer's certificates. */
  tls?: TlsDetails;
  listenerId?: string;
  local?: Endpoint;
  /** The peer. For an outgoing connection still connecting, what the user asked for. */
  remote: Endpoint;
  /** The host name as the user typed it, for outgoing connections. */
  remoteHost?: string;
  state: ConnectionState;
  /** Who sent the first FIN: the peer (it will send no more) or we did. */
  halfClosedBy?: 'peer' | 'local';
  /** When that first FIN went (ms since the epoch). */
  halfClosedAt?: number;
  createdAt: number;
  openedAt?: number;
  closedAt?: number;
  /** The start of the first chunk either way, up to its first line end, escaped (at most 80 characters). */
  firstLine?: string;
  /** Why it closed, in words: "closed by peer", "reset by you", "connection refused"… */
  closeReason?: string;
  error?: ErrorInfo;
  /** Payload bytes and chunks no longer kept because the capture budget was reached. */
  droppedBytes: number;
  droppedChunks: number;
  /** The auto-responder set on this connection itself (a listener's applies to its clients too). */
  responder?: ResponderConfig;
  /** The program behind this connection, when a program responder runs for it. */
  program?: ProgramInfo;
  /** For a bound UDP socket: its options and multicast groups. */
  udp?: UdpInfo;
  /** For a relay pair: the target, and each direction's settings (in = client to server). */
  relay?: RelayPairInfo;
  /** For a connection read from a capture file: which file, and what was missing from it. */
  source?: OpenedSource;
}

/** Where an opened connection came from. */
export interface OpenedSource {
  /** The open job that read it (one per file opened). */
  jobId: string;
  /** The file's name as the user chose it. */
  fileName: string;
  /** Its stream's number in the file, from 0, as Wireshark's tcp.stream or udp.stream counts. */
  stream: number;
  /** Bytes the file did not hold (segments never captured), each marked where it was. */
  missingBytes: number;
}

/** The side of a conversation: the one that opened it (client) or the one that accepted it (server). */
export type Side = 'client' | 'server';

/**
 * Which direction holds the client's bytes: for a connection we accepted (or relayed) the
 * client is the peer (in); for one we opened, or one read from a file, it is us (out).
 */
export function clientDirection(info: Pick<ConnectionInfo, 'origin'>): Direction {
  return info.origin === 'accepted' || info.origin === 'relay' ? 'in' : 'out';
}

/** Formats a capture can be exported to. */
export type ExportFormat = 'pcapng' | 'ndjson' | 'transcript' | 'raw';

/** An export or an open of a capture file, while it runs and once it ended. */
export interface FileJob {
  id: string;
  kind: 'export' | 'open';
  /** The file's name (what was opened, or what the export is called). */
  name: string;
  format?: ExportFormat | 'pcap';
  state: 'running' | 'done' | 'failed' | 'cancelled';
  /** Bytes read (open) or written (export) so far, and in all when known. */
  done: number;
  total: number;
  /** Connections read or written so far. */
  connections: number;
  chunks: number;
  /** What was wrong with the file, or left out of the export, in words. */
  problems: string[];
  /** Browser host: an export's file, fetched by its id; gone once downloaded or after an hour. */
  fileId?: string;
  /** Desktop: where the export was written. */
  path?: string;
  /** An export's file size once written. */
  bytes?: number;
  /** Why it failed, in words. */
  message?: string;
  startedAt: number;
  endedAt?: number;
}

/** One direction of a relay pair. */
export interface RelayDirectionInfo {
  paused: boolean;
  latencyMs: number;
  /** KiB per second; 0 means no limit. */
  kbps: number;
  /** Received but not yet forwarded (paused, delayed or throttled). */
  queuedBytes: number;
  forwardedBytes: number;
  finForwarded: boolean;
}

/** A relay pair: the client (remote) and the target it is forwarded to. */
export interface RelayPairInfo {
  target: string;
  upstream: 'connecting' | 'open' | 'closed' | 'failed';
  c2s: RelayDirectionInfo;
  s2c: RelayDirectionInfo;
}

/** A bound UDP socket's settings. */
export interface UdpInfo {
  broadcast: boolean;
  groups: Array<{ group: string; iface?: string }>;
  /** Datagrams received while the window was behind: captured, but not streamed live (UDP cannot be paused). */
  notStreamed: number;
}

/** A command run for a connection, as `ncat --exec` does: its stdin is what the peer sends. */
export interface ProgramInfo {
  command: string;
  pid?: number;
  state: 'running' | 'exited' | 'failed';
  /** The last few KiB of what it wrote to stderr. */
  stderr: string;
  exitCode?: number | null;
  signal?: string | null;
  /** Why it could not start (ENOENT: no such program…). */
  error?: string;
}

/** How a rule matches a received chunk (or line, with line framing). */
export type MatchKind = 'exact' | 'contains' | 'startsWith' | 'regex' | 'hex';

/** One auto-responder rule: the first rule that matches wins. */
export interface ResponderRule {
  match: MatchKind;
  /** Text to compare (exact, contains, startsWith), a regular expression, or hex bytes. */
  pattern: string;
  /** Reply template: escapes (\r \n \xNN) and {{time}} {{unixtime}} {{counter}} {{random}} {{1}}… {{hex}}. */
  reply: string;
  /** Wait this long before replying. */
  delayMs: number;
  /** Close the connection (FIN) after replying. */
  close: boolean;
}

/** What answers automatically on a listener's clients or on one connection. */
export type ResponderConfig =
  | { kind: 'off' }
  | { kind: 'echo' }
  | { kind: 'fixed'; reply: string; hex: boolean; close: boolean }
  | {
      kind: 'rules';
      rules: ResponderRule[];
      /** Reply when no rule matches; empty for none. */
      defaultReply: string;
      /** Apply rules to each line (split at \n, the \r\n or \n kept out of the match) instead of each chunk. */
      lineFraming: boolean;
    }
  | { kind: 'program'; command: string; args: string[]; shell: boolean };

/** A repeat-send task: N times or every X ms until stopped. */
export interface TaskInfo {
  id: string;
  /** repeat (absent on older records): one message again and again; replay: a captured side sent again. */
  kind?: 'repeat' | 'replay';
  /** For a replay: what it replays and how far it got. */
  replay?: ReplayProgress;
  target: { connectionId: string } | { listenerId: string };
  bytes: number;
  intervalMs: number;
  /** How many sends in all; absent means until stopped. */
  count?: number;
  sent: number;
  state: 'running' | 'done' | 'stopped' | 'failed';
  error?: string;
}

/** How far a replay got. */
export interface ReplayProgress {
  /** The connection whose captured side is replayed. */
  sourceId: string;
  /** client: we connect and send what the client sent; server: we listen and answer as the server did. */
  side: Side;
  /** Where: the target (client mode) or the port listened on (server mode). */
  where: string;
  /** Chunks and bytes of the replayed side sent so far (server mode: to the current client), and in all. */
  chunksSent: number;
  chunksTotal: number;
  bytesSent: number;
  bytesTotal: number;
  /** Server mode: clients served so far. */
  clients?: number;
  /** The connection the replay talks on (client mode) or the listener it serves on (server mode). */
  connectionId?: string;
  listenerId?: string;
  /** What it is doing now, in words ("waiting 120 ms", "waiting for the server's reply"). */
  status?: string;
}

/** A listening socket on this machine, as the ports view lists it. */
export interface PortEntry {
  protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  address: string;
  port: number;
  /** Absent when the owner cannot be seen (another user's process, without privilege). */
  pid?: number;
  process?: string;
  /** Set when the owner is hidden from us. */
  ownerHidden?: boolean;
  /** Set when the owner is this app itself (its own listeners and host). */
  self?: boolean;
}

/** A saved message: one click sends it. */
export interface Snippet {
  name: string;
  text: string;
  hex: boolean;
  lineEnding: 'none' | 'lf' | 'crlf';
}

/** What is kept across restarts. */
export interface SavedState {
  snippets: Snippet[];
  /** Messages sent from the message box, newest last. */
  history: string[];
  /**
   * Set by the host when the saved file could not be loaded as it was: damaged (and kept aside
   * under another name), unreadable, or not a regular file. Says what happened and where the
   * old file is. Never saved; the host ignores it when it comes back with setSaved.
   */
  warning?: string;
  /** The last workspace saved or opened, offered again at the next start. */
  workspace?: Workspace;
}

/** What one read delivered (in) or one send wrote (out), in order. */
export interface Chunk {
  connectionId: string;
  /** Position in the connection's record, from 0, in arrival order. */
  seq: number;
  direction: Direction;
  /** Milliseconds since the Unix epoch, with sub-millisecond precision where available. */
  time: number;
  /**
   * Stream offset of its first byte: how many bytes went this direction before it, counted from
   * the connection's start (dropped chunks included), as `socat -v` and Wireshark number them.
   */
  offset: number;
  /** Size of the whole chunk in bytes. */
  size: number;
  /** The bytes, or the first PREVIEW_BYTES of them when the chunk is larger. */
  data: Uint8Array;
  /** Set on out chunks an auto-responder or program responder sent, not the user. */
  auto?: boolean;
  /** For UDP datagrams: the sender (in) or the destination (out). */
  peer?: Endpoint;
}

/** Chunks larger than this reach the renderer as a preview of their first bytes. */
// Enough for a row (a line of text, or four lines of hex dump); expanding a row fetches the rest.
// Kept small because every live chunk crosses to the window: at 64 KiB reads, a 4 KiB preview
// would move 64 MB to the window for each GiB captured.
export const PREVIEW_BYTES = 512;

/** Everything the engine reports, in the order it happened. */
export type SocketEvent =
  | { type: 'listener-started'; listener: ListenerInfo }
  | { type: 'listener-updated'; listener: ListenerInfo }
  | { type: 'listener-stopped'; listener: ListenerInfo }
  | { type: 'connection-opened'; connection: ConnectionInfo }
  | { type: 'connection-updated'; connection: ConnectionInfo }
  | { type: 'connection-closed'; connection: ConnectionInfo }
  | { type: 'chunk'; chunk: Chunk; counters: Counters }
  | { type: 'chunks-evicted'; connectionId: string; droppedBytes: number; droppedChunks: number; firstKeptSeq: number }
  | { type: 'task-updated'; task: TaskInfo }
  | { type: 'connections-removed'; ids: string[]; totals: RemovedTotals }
  | { type: 'search-progress'; searchId: string; progress: SearchProgress }
  | { type: 'file-job'; job: FileJob };

/**
 * Closed connections no longer listed (removed by the user, or the oldest past the cap on
 * closed records), summed so totals stay exact.
 */
export interface RemovedTotals {
  connections: number;
  bytesIn: number;
  bytesOut: number;
}

/** A group of events delivered together; the receiver acknowledges it by id. */
export interface EventBatch {
  id: number;
  events: SocketEvent[];
  /** Payload bytes in this batch, counted for flow control. */
  bytes: number;
}

/** The state a renderer needs when it starts or reconnects. */
export interface Snapshot {
  listeners: ListenerInfo[];
  connections: ConnectionInfo[];
  settings: Settings;
  tasks: TaskInfo[];
  /** This machine's network interfaces, for choosing where to join multicast groups. */
  interfaces: Array<{ name: string; addresses: string[]; internal: boolean }>;
  /** Closed connections removed from the list so far. */
  removed: RemovedTotals;
  /** Exports and opened files, running and recent. */
  jobs: FileJob[];
}

/** Engine settings the user can change. */
export interface Settings {
  /** Payload bytes of captured chunks kept, across all connections. */
  captureBudgetBytes: number;
}

/** All the bytes of one chunk. */
export interface ChunkData {
  seq: number;
  data: Uint8Array;
}

/** A page of a connection's recorded chunks. */
export interface ChunkPage {
  chunks: Chunk[];
  /** Sequence number of the oldest chunk still kept; those before it were evicted. */
  firstKeptSeq: number;
  droppedBytes: number;
}
