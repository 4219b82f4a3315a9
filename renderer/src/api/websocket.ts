import { WS_PATH, type CommandName } from '../../../shared/channels';
import type { InspectorApi, WsClientMessage, WsServerMessage } from '../../../shared/contract';
import { formatBytes } from '../../../shared/format';
import { MAX_CLIENT_MESSAGE_BYTES, MAX_SEND_BYTES, utf8Length } from '../../../shared/limits';
import type { EventBatch } from '../../../shared/model';
import { fail, type Result } from '../../../shared/result';
import { decodeFrame, encodeWire } from '../../../shared/wire';

/** Connection state of the browser host's WebSocket, for the UI to show. */
export type LinkState = 'connecting' | 'open' | 'closed';

/** Where this tab keeps the access token once it is out of the address bar. */
const TOKEN_KEY = 'socket-inspector-token';

/**
 * The access token. It arrives in the URL the host printed, and is then taken out of the
 * address bar and of the history entry, so it is not left in history, bookmarks, screenshots or
 * shared screens; this tab keeps it in sessionStorage, so a reload still connects. Where
 * sessionStorage cannot be written, it stays in the URL: better seen than a page that cannot
 * reload.
 */
function takeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  try {
    if (fromUrl === null) return window.sessionStorage.getItem(TOKEN_KEY) ?? '';
    window.sessionStorage.setItem(TOKEN_KEY, fromUrl);
  } catch {
    return fromUrl ?? '';
  }
  url.searchParams.delete('token');
  window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  return fromUrl;
}

/**
 * InspectorApi over the browser host's WebSocket. The access token comes from the page URL
 * (the host prints it); commands are answered by id; event batches are pushed.
 */
export function websocketApi(onLinkState: (state: LinkState, detail?: string) => void): InspectorApi {
  const token = takeToken();
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${scheme}//${window.location.host}${WS_PATH}?token=${encodeURIComponent(token)}`;
  const listeners = new Set<(batch: EventBatch) => void>();
  const pending = new Map<number, (result: Result<unknown>) => void>();
  let nextId = 1;
  let opened = false;
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const ready = new Promise<boolean>((resolve) => {
    ws.addEventListener('open', () => {
      opened = true;
      onLinkState('open');
      resolve(true);
    });
    ws.addEventListener('close', () => resolve(false));
  });
  onLinkState('connecting');

  ws.addEventListener('message', (ev) => {
    let msg: WsServerMessage;
    try {
      msg = decodeFrame(new Uint8Array(ev.data as ArrayBuffer)) as WsServerMessage;
    } catch {
      return;
    }
    if (msg.kind === 'batch') {
      for (const l of listeners) l(msg.batch);
    } else if (msg.kind === 'result') {
      const done = pending.get(msg.id);
      pending.delete(msg.id);
      done?.(msg.result);
    }
  });
  ws.addEventListener('close', (ev) => {
    const detail = opened
      ? 'The connection to the Socket Inspector host was lost. Restart it with "npm run web" and open the new URL.'
      : token
        ? 'Could not reach the Socket Inspector host: it may have stopped, or this URL (and its token) is from an earlier run.'
        : 'This page needs its access token: open the full URL that "npm run web" printed (it ends with ?token=…).';
    onLinkState('closed', ev.code === 1000 ? undefined : detail);
    for (const done of pending.values()) done(fail({ code: 'DISCONNECTED', message: detail }));
    pending.clear();
  });

  async function call<K extends CommandName>(name: K, args: unknown): Promise<Result<never>> {
    if (!(await ready) || ws.readyState !== WebSocket.OPEN) {
      return fail({ code: 'DISCONNECTED', message: 'Not connected to the Socket Inspector host.' });
    }
    const id = nextId++;
    const message = encodeWire({ kind: 'command', id, name, args } satisfies WsClientMessage);
    // The host closes a socket that sends more than this; say so here instead, and stay connected.
    const size = message.length > MAX_CLIENT_MESSAGE_BYTES / 3 ? utf8Length(message) : message.length;
    if (size > MAX_CLIENT_MESSAGE_BYTES) {
      return fail({
        code: 'TOO_LARGE',
        message: `Not sent: this takes ${formatBytes(size)} on the way to the host, more than the ${formatBytes(MAX_CLIENT_MESSAGE_BYTES)} one message may carry.`,
        hint: `A send carries at most ${formatBytes(MAX_SEND_BYTES)}; Send file… sends more, in pieces.`,
      });
    }
    return new Promise((resolve) => {
      pending.set(id, resolve as (r: Result<unknown>) => void);
      ws.send(message);
    });
  }

  return {
    getSnapshot: () => call('getSnapshot', {}),
    startListener: (args) => call('startListener', args),
    stopListener: (args) => call('stopListener', args),
    connect: (args) => call('connect', args),
    send: (args) => call('send', args),
    closeConnection: (args) => call('closeConnection', args),
    getChunks: (args) => call('getChunks', args),
    getChunkData: (args) => call('getChunkData', args),
    setSettings: (args) => call('setSettings', args),
    setResponder: (args) => call('setResponder', args),
    broadcast: (args) => call('broadcast', args),
    startRepeat: (args) => call('startRepeat', args),
    stopTask: (args) => call('stopTask', args),
    listPorts: (args) => call('listPorts', args),
    endProcess: (args) => call('endProcess', args),
    getSaved: (args) => call('getSaved', args),
    setSaved: (args) => call('setSaved', args),
    listenUnix: (args) => call('listenUnix', args),
    connectUnix: (args) => call('connectUnix', args),
    bindUdp: (args) => call('bindUdp', args),
    sendUdp: (args) => call('sendUdp', args),
    udpMembership: (args) => call('udpMembership', args),
    startRelay: (args) => call('startRelay', args),
    relayControl: (args) => call('relayControl', args),
    relayInject: (args) => call('relayInject', args),
    removeClosed: (args) => call('removeClosed', args),
    onEvents(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ack(batchId) {
      if (ws.readyState === WebSocket.OPEN) ws.send(encodeWire({ kind: 'ack', batchId } satisfies WsClientMessage));
    },
  };
}
