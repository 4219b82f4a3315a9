import { useCallback } from 'react';
import type { SavedState } from '../../../../shared/model';
import type { ErrorInfo } from '../../../../shared/result';
import { useApi } from '../../api/context';
import { useInspector } from '../../state/store';
import { fitSaved } from './savedSize';

/**
 * Reads and updates the saved messages and history, which the host keeps across restarts. The
 * whole state goes to the host on every change, so it is kept to what one message carries.
 */
export function useSaved() {
  const api = useApi();
  const setSaved = useInspector((s) => s.setSaved);
  const update = useCallback(
    async (change: (saved: SavedState) => SavedState): Promise<ErrorInfo | null> => {
      const current = useInspector.getState().saved ?? { snippets: [], history: [] };
      const fitted = fitSaved(change(current));
      if (!fitted.ok) return { code: 'TOO_LARGE', message: fitted.message };
      const next = fitted.state;
      setSaved(next);
      const result = await api.setSaved(next);
      return result.ok ? null : result;
    },
    [api, setSaved],
  );
  return { update };
}
