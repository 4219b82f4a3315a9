import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApi } from './api';
import { ApiContext } from './api/context';
import { App } from './App';
import { startEventPump } from './state/pump';
import { useInspector } from './state/store';
import './styles.css';

const api = createApi();
api.onLink((status) => useInspector.getState().setLink(status));
startEventPump(api, useInspector);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiContext.Provider value={api}>
      <App />
    </ApiContext.Provider>
  </StrictMode>,
);
