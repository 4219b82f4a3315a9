import type { InspectorApi } from '../../../shared/contract';
import { bridgeApi } from './bridge';
import { websocketApi } from './websocket';

/** The host's API: the Electron preload bridge when present, else the browser host's WebSocket. */
export function createApi(): InspectorApi {
  return bridgeApi() ?? websocketApi();
}
