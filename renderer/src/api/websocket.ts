import { WS_PATH } from '../../../shared/channels';
import type { InspectorApi } from '../../../shared/contract';
import { createWireClient } from '../../../shared/wire-client';

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
 * (the host prints it); the messages are the wire's binary frames, both ways.
 */
export function websocketApi(): InspectorApi {
  const token = takeToken();
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${scheme}//${window.location.host}${WS_PATH}?token=${encodeURIComponent(token)}`;
  const client = createWireClient({ disconnectedMessage: 'Not connected to the Socket Inspector host.' });
  let opened = false;
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  ws.addEventListener('open', () => {
    opened = true;
    client.open({
      send: (frame) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(frame);
      },
    });
  });
  ws.addEventListener('message', (ev) => client.receive(new Uint8Array(ev.data as ArrayBuffer)));
  ws.addEventListener('close', (ev) => {
    const detail = opened
      ? 'The connection to the Socket Inspector host was lost. Restart it with "npm run web" and open the new URL.'
      : token
        ? 'Could not reach the Socket Inspector host: it may have stopped, or this URL (and its token) is from an earlier run.'
        : 'This page needs its access token: open the full URL that "npm run web" printed (it ends with ?token=…).';
    client.lost(ev.code === 1000 ? {} : { detail });
  });
  return client.api;
}
