import { FILES_PATH, MAX_UPLOAD_PIECE_BYTES, WS_PATH } from '../../../shared/channels';
import { fail, ok, type Result } from '../../../shared/result';
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
  const api = client.api;
  const filesUrl = (rest: string, params: Record<string, string>) =>
    `${FILES_PATH}${rest}?${new URLSearchParams({ token, ...params }).toString()}`;
  api.uploadFile = (file, onProgress) => uploadInPieces(file, filesUrl, onProgress);
  api.downloadUrl = (fileId) => filesUrl(`/${fileId}`, {});
  return api;
}

/**
 * Sends a file to the host in pieces, each its own request, so none runs long and the
 * progress is exact; the host appends each at the offset it names.
 */
async function uploadInPieces(
  file: Blob,
  filesUrl: (rest: string, params: Record<string, string>) => string,
  onProgress?: (sent: number) => void,
): Promise<Result<{ fileId: string }>> {
  const name = file instanceof File ? file.name : 'capture';
  const problem = async (res: Response) => fail({ code: `HTTP_${res.status}`, message: `The host refused the file: ${(await res.text()).slice(0, 300)}` });
  try {
    const created = await fetch(filesUrl('', { name }), { method: 'POST' });
    if (!created.ok) return problem(created);
    const { fileId } = (await created.json()) as { fileId: string };
    for (let offset = 0; offset < file.size; offset += MAX_UPLOAD_PIECE_BYTES) {
      const piece = file.slice(offset, Math.min(file.size, offset + MAX_UPLOAD_PIECE_BYTES));
      const res = await fetch(filesUrl(`/${fileId}`, { offset: String(offset) }), { method: 'POST', body: piece });
      if (!res.ok) return problem(res);
      onProgress?.(offset + piece.size);
    }
    return ok({ fileId });
  } catch (err) {
    return fail({ code: 'UPLOAD_FAILED', message: `Could not send the file to the host: ${err instanceof Error ? err.message : String(err)}` });
  }
}
