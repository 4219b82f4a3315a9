import { useCallback } from 'react';
import type { SavedState } from '../../../../shared/model';
import type { ErrorInfo } from '../../../../shared/result';
import { useApi } from '../../api/context';
import { useInspector } from '../../state/store';

/** Reads and updates the saved messages and history, which the host keeps across restarts. */
export function useSaved() {
  const api = useApi();
  const setSaved = useInspector((s) => s.setSaved);
  const update = useCallback(
    async (change: (saved: SavedState) => SavedState): Promise<ErrorInfo | null> => {
      const current = useInspector.getState().saved ?? { snippets: [], history: [] };
      const next = change(current);
      setSaved(next);
      const result = await api.setSaved(next);
      return result.ok ? null : result;
    },
    [api, setSaved],
  );
  return { update };
}
