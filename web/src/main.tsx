import { StrictMode, useCallback, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider, type CombinedError } from 'urql';
import { UncachedClientContext, getToken, makeClient, isUnauthorized } from './api/client';
import { verdictOfClose, verifyToken } from './api/tokenCheck';
import { App, type AppStatus } from './App';
import { applyScheme, followSystemScheme, storedScheme } from './lib/colorScheme';
import './styles.css';

applyScheme(storedScheme());
followSystemScheme();

function Root() {
  const [status, setStatus] = useState<AppStatus>({ unauthorized: false, unreachable: false, tokenAccepted: false, refusals: 0 });
  const [generation, setGeneration] = useState(0);
  const onError = useCallback((error: CombinedError) => {
    if (!isUnauthorized(error)) return;
    // A query or mutation the server refused (a GraphQL error) opens the
    // token form; a refused subscription (its socket closed) only marks
    // the state, as the start check does.
    const refused = (error.graphQLErrors ?? []).length > 0;
    setStatus((s) => ({ ...s, unauthorized: true, tokenAccepted: false, refusals: s.refusals + (refused ? 1 : 0) }));
  }, []);
  // A new token: a new client (and WebSocket) so every request carries it.
  const { client, uncached, ws } = useMemo(() => makeClient(onError), [onError, generation]);
  useEffect(() => () => void ws.dispose(), [ws]);
  // A subscription refused for its token closes the socket: say so at once
  // instead of letting the graph freeze.
  useEffect(
    () =>
      ws.on('closed', (event) => {
        if (verdictOfClose(event) === 'refused') onError(new Error('unauthorized') as CombinedError);
      }),
    [ws, onError],
  );
  // Whatever page comes first, ask the server whether the token (or no token) is accepted.
  useEffect(() => {
    let alive = true;
    void verifyToken(getToken()).then((verdict) => {
      if (!alive) return;
      setStatus((s) => ({ ...s, unauthorized: verdict === 'refused', tokenAccepted: verdict === 'accepted' && !!getToken() }));
    });
    return () => {
      alive = false;
    };
  }, [generation]);
  return (
    <Provider value={client}>
      <UncachedClientContext.Provider value={uncached}>
        <App
          status={status}
          onTokenChange={() => {
            setStatus((s) => ({ unauthorized: false, unreachable: false, tokenAccepted: false, refusals: s.refusals }));
            setGeneration((g) => g + 1);
          }}
        />
      </UncachedClientContext.Provider>
    </Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
