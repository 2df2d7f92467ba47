import { StrictMode, useCallback, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider, type CombinedError } from 'urql';
import { makeClient, isUnauthorized } from './api/client';
import { App, type AppStatus } from './App';
import './styles.css';

function Root() {
  const [status, setStatus] = useState<AppStatus>({ unauthorized: false, unreachable: false });
  const [generation, setGeneration] = useState(0);
  const onError = useCallback((error: CombinedError) => {
    if (isUnauthorized(error)) setStatus((s) => (s.unauthorized ? s : { ...s, unauthorized: true }));
  }, []);
  // A new token: a new client (and WebSocket) so every request carries it.
  const { client, ws } = useMemo(() => makeClient(onError), [onError, generation]);
  useEffect(() => () => void ws.dispose(), [ws]);
  return (
    <Provider value={client}>
      <App
        status={status}
        onTokenChange={() => {
          setStatus({ unauthorized: false, unreachable: false });
          setGeneration((g) => g + 1);
        }}
      />
    </Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
