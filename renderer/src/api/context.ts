import { createContext, useContext } from 'react';
import type { InspectorApi } from '../../../shared/contract';

/** The host API, provided once at the root. */
export const ApiContext = createContext<InspectorApi | null>(null);

/** The host API for components that send commands. */
export function useApi(): InspectorApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi must be used inside <ApiContext.Provider>');
  return api;
}
