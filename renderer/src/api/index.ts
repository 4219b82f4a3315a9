import type { InspectorApi } from '../../../shared/contract';
import { bridgeApi } from './bridge';
import { websocketApi, type LinkState } from './websocket';

export type { LinkState };

/** The host's API: the Electron preload bridge when present, else the browser host's WebSocket. */
export function createApi(onLinkState: (state: LinkState, detail?: string) => void): InspectorApi {
  const bridge = bridgeApi();
  if (bridge) {
    onLinkState('open');
    return bridge;
  }
  return websocketApi(onLinkState);
}
