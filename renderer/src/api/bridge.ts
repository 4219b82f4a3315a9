import { BRIDGE_KEY } from '../../../shared/channels';
import type { InspectorApi } from '../../../shared/contract';

/** The preload's InspectorApi, when running inside the desktop app. */
export function bridgeApi(): InspectorApi | null {
  const api = (window as unknown as Record<string, unknown>)[BRIDGE_KEY];
  return api ? (api as InspectorApi) : null;
}
