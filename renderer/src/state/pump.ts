import type { InspectorApi } from '../../../shared/contract';
import type { useInspector } from './store';

type Store = typeof useInspector;

/**
 * Feeds engine events into the store: each batch is applied in one update and then
 * acknowledged, which is what lets the engine keep sending (flow control). Loads the current
 * listeners and connections once, for a page opened while the engine already runs.
 */
export function startEventPump(api: InspectorApi, store: Store): () => void {
  const unsubscribe = api.onEvents((batch) => {
    store.getState().applyBatch(batch);
    api.ack(batch.id);
  });
  void api.getSnapshot().then((result) => {
    if (result.ok) store.getState().applySnapshot(result.value);
  });
  void api.getSaved({}).then((result) => {
    if (result.ok) store.getState().setSaved(result.value);
  });
  return unsubscribe;
}
