import { formatHostPort } from '../../shared/format';
import type { ErrorInfo } from '../../shared/result';

/** What the user was doing when the error happened; the explanation depends on it. */
export interface ErrorContext {
  op: 'listen' | 'connect' | 'send' | 'socket';
  host?: string;
  port?: number;
  /** For Unix domain sockets and named pipes: the path, instead of host and port. */
  path?: string;
}

function where(ctx: ErrorContext): string {
  if (ctx.host === undefined || ctx.port === undefined) return 'that address';
  return formatHostPort(ctx.host, ctx.port);
}

/**
 * Turns a Node socket error into a sentence a person understands, with a hint of what to try.
 * Unknown codes keep the OS message, so nothing is hidden.
 */
export function explainError(err: unknown, ctx: ErrorContext): ErrorInfo {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : 'UNKNOWN';
  if (ctx.path !== undefined) {
    const explained = explainPathError(code, ctx.op, ctx.path);
    if (explained) return explained;
  }
  const at = ctx.path ?? where(ctx);
  switch (code) {
    case 'ECONNREFUSED':
      return {
        code,
        message: `Connection refused: nothing is listening at ${at}.`,
        hint: 'Check the port number, that the server is running, and that no firewall rejects the connection.',
      };
    case 'EADDRINUSE':
      return {
        code,
        message: `Port ${ctx.port ?? ''} is already in use${ctx.host ? ` on ${ctx.host}` : ''}: another program (or another listener here) holds it.`,
        hint: 'Choose another port, use port 0 to pick a free one, or stop the program that holds it.',
      };
    case 'EACCES':
    case 'EPERM':
      if (ctx.op === 'listen' && ctx.port !== undefined && ctx.port > 0 && ctx.port < 1024) {
        return {
          code,
          message: `Permission denied: ports below 1024 (here ${ctx.port}) are privileged, and this program may not listen on them.`,
          hint:
            'Use a port of 1024 or above (8080 instead of 80, say). On Linux you can instead lower net.ipv4.ip_unprivileged_port_start or grant CAP_NET_BIND_SERVICE; on macOS before 10.14 and on BSD, run as administrator.',
        };
      }
      return {
        code,
        message: `Permission denied while trying to ${ctx.op === 'listen' ? 'listen on' : 'reach'} ${at}.`,
        hint: 'The operating system or a firewall rule forbids it. Try another address or port.',
      };
    case 'ENOTFOUND':
      return {
        code,
        message: `Host "${ctx.host ?? ''}" was not found: the name does not resolve to any address.`,
        hint: 'Check the spelling, or use an IP address such as 127.0.0.1.',
      };
    case 'EAI_AGAIN':
      return {
        code,
        message: `Could not look up "${ctx.host ?? ''}": the name server did not answer (temporary failure).`,
        hint: 'Check the network and DNS settings, or use an IP address such as 127.0.0.1.',
      };
    case 'ETIMEDOUT':
      if (ctx.op === 'socket' || ctx.op === 'send') {
        // On an open connection the system gave up waiting for the peer to acknowledge data.
        return {
          code,
          message: `The connection to ${at} timed out: the peer stopped acknowledging what was sent.`,
          hint: 'The peer or the network between may have gone away without closing the connection (a crash, a cable, a VPN or a NAT that forgot it). Reconnect.',
        };
      }
      return {
        code,
        message: `Timed out connecting to ${at}: no answer came back in time.`,
        hint: 'The host may be down or unreachable, or a firewall may be silently dropping the connection. Check the address, or raise the timeout.',
      };
    case 'ECONNRESET':
      return {
        code,
        message: `The connection was reset by the peer${ctx.host ? ` (${at})` : ''}: it aborted the connection (sent RST) instead of closing it normally.`,
        hint: 'The peer may have crashed, closed with unread data, or refused what was sent.',
      };
    case 'EPIPE':
      return {
        code,
        message: 'Could not send: the peer has already closed the connection.',
        hint: 'Data written after the peer closes is lost. Reconnect to send again.',
      };
    case 'EADDRNOTAVAIL':
      if (ctx.op === 'connect') {
        // Connecting, the address in question is the local end of the connection.
        return {
          code,
          message: `Could not connect to ${at}: this machine could not give the connection a local address.`,
          hint: 'The destination may not be one a connection can go to (0.0.0.0 and :: are refused on macOS and Windows), or this machine has run out of local ports; check the address, or close some connections and try again.',
        };
      }
      return {
        code,
        message: `Address ${ctx.host ?? ''} is not available on this machine: no network interface has it.`,
        hint: 'Listen on 127.0.0.1 (this machine only), 0.0.0.0 or :: (all interfaces), or an address this machine owns.',
      };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return {
        code,
        message: `No route to ${at}: the network cannot reach that host.`,
        hint: 'Check the address, the network connection and any VPN or firewall.',
      };
    case 'EAFNOSUPPORT':
      return {
        code,
        message: `This machine does not support the address family of ${ctx.host ?? 'that address'} (IPv6 may be disabled).`,
        hint: 'Use an IPv4 address such as 127.0.0.1.',
      };
    default: {
      // Not `instanceof Error`: an error from another realm (a worker, a test runner's
      // sandbox) or one rebuilt after crossing a process boundary is not an instance here.
      const detail = typeof e?.message === 'string' ? e.message : String(err);
      return { code, message: `Socket error at ${at}: ${detail}` };
    }
  }
}

/** Errors that mean something particular for a Unix domain socket or named pipe path. */
function explainPathError(code: string, op: ErrorContext['op'], path: string): ErrorInfo | null {
  switch (code) {
    case 'ENOENT':
      return op === 'listen'
        ? { code, message: `Cannot create a socket at ${path}: its folder does not exist.`, hint: 'Create the folder first, or choose a path in an existing one such as /tmp.' }
        : { code, message: `No socket at ${path}: nothing is listening there (the file does not exist).`, hint: 'Check the path, and that the server is running.' };
    case 'ECONNREFUSED':
      return {
        code,
        message: `Connection refused at ${path}: the socket file exists but no server accepts on it (a stale file left by a server that stopped).`,
        hint: 'Start the server again; it usually replaces the stale file.',
      };
    case 'EADDRINUSE':
      return {
        code,
        message: `${path} is already in use: a server is listening on it, or a file of that name exists.`,
        hint: 'Choose another path, or stop the server that holds it.',
      };
    case 'EACCES':
    case 'EPERM':
      return {
        code,
        message: `Permission denied for ${path}: this user may not ${op === 'listen' ? 'create a socket in that folder' : 'connect to that socket'}.`,
        hint: 'Check the permissions of the socket file and its folder, or use a path of your own such as /tmp/name.sock.',
      };
    case 'ENOTSOCK':
    case 'ENOTDIR':
      return { code, message: `${path} is not a socket.`, hint: 'Check the path: it names an ordinary file or folder.' };
    case 'ENAMETOOLONG':
      return tooLong(code, path);
    case 'EINVAL':
      // libuv refuses a path longer than a socket address holds with EINVAL (the libuv in Node
      // 24 does; older ones cut the path short instead). EINVAL alone says nothing about
      // length, so measure it rather than assume it.
      return Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES ? tooLong(code, path) : null;
    default:
      return null;
  }
}

/**
 * The longest Unix socket path, in bytes, without its final NUL: sun_path holds 108 bytes on
 * Linux and 104 on macOS and the BSDs. Windows named pipes have no such limit to measure.
 */
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : process.platform === 'win32' ? Number.POSITIVE_INFINITY : 103;

function tooLong(code: string, path: string): ErrorInfo {
  return {
    code,
    message: `The socket path ${path} is too long (${Buffer.byteLength(path)} bytes): Unix sockets allow about ${process.platform === 'linux' ? 107 : 103}.`,
    hint: 'Use a shorter path, such as one directly under /tmp.',
  };
}
