// The urql clients: queries and mutations over `POST /graphql`,
// subscriptions over `/graphql/ws` (graphql-transport-ws). The token, when
// the server needs one, lives in localStorage and goes in the
// `Authorization` header and in the WebSocket's connection_init payload.
// Two clients share the endpoint, the socket and the error handler: the
// page's (urql's document cache: an answer is kept until a mutation
// touches its types) and an uncached one, for reads too large to keep
// twice (a run's log, 1,000 events a page: lib/runEvents).
import { createContext, useContext } from 'react';
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange, useClient, type CombinedError } from 'urql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';

const TOKEN_KEY = 'cairn.token';

export function getToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token: string) {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

function wsUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/graphql/ws`;
}

export function makeClient(onError?: (error: CombinedError) => void): { client: Client; uncached: Client; ws: WsClient } {
  const ws = createWsClient({
    url: wsUrl(),
    lazy: true,
    retryAttempts: Infinity,
    // Retry when the server went away, not when it refused the token
    // (4401/4403 and the like): that error reaches the page.
    shouldRetry: (event) => !(event && typeof event === 'object' && 'code' in event && (event as CloseEvent).code >= 4400 && (event as CloseEvent).code < 4500),
    connectionParams: () => {
      const token = getToken();
      return token ? { Authorization: `Bearer ${token}`, authorization: `Bearer ${token}` } : {};
    },
  });
  const reportErrors = mapExchange({ onError: (error) => onError?.(error) });
  const subscriptions = subscriptionExchange({
    forwardSubscription(request) {
      const input = { ...request, query: request.query || '' };
      return {
        subscribe(sink) {
          const unsubscribe = ws.subscribe(input, sink);
          return { unsubscribe };
        },
      };
    },
  });
  const http = {
    url: '/graphql',
    // Always POST, as JSON: the server runs no mutation over GET and
    // refuses other content types (cross-site request forgery).
    preferGetMethod: false as const,
    fetchOptions: () => {
      const token = getToken();
      return token ? { headers: { Authorization: `Bearer ${token}` } } : {};
    },
  };
  const client = new Client({ ...http, exchanges: [reportErrors, cacheExchange, fetchExchange, subscriptions], requestPolicy: 'cache-and-network' });
  // No cacheExchange: an answer is handed over and kept by nothing here.
  const uncached = new Client({ ...http, exchanges: [reportErrors, fetchExchange, subscriptions], requestPolicy: 'network-only' });
  return { client, uncached, ws };
}

/** The uncached client of makeClient, for the pages under it (main.tsx provides it). */
export const UncachedClientContext = createContext<Client | null>(null);

/** The uncached client (makeClient's), or the page's client where none is provided. */
export function useUncachedClient(): Client {
  const client = useClient();
  return useContext(UncachedClientContext) ?? client;
}

/** Whether an error says the server needs a (valid) token. */
export function isUnauthorized(error: CombinedError | Error | undefined | null): boolean {
  if (!error) return false;
  const combined = error as CombinedError;
  if (combined.graphQLErrors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED' || /needs a token/.test(e.message))) return true;
  return /needs a token|401|unauthori[sz]ed/i.test(error.message);
}

/** Whether an error is the server being unreachable (not a GraphQL error). */
export function isNetworkError(error: CombinedError | undefined | null): boolean {
  return !!error?.networkError;
}

/** A readable message of an error. */
export function errorText(error: CombinedError | Error | undefined | null): string {
  if (!error) return '';
  const combined = error as CombinedError;
  if (combined.graphQLErrors?.length) return combined.graphQLErrors.map((e) => e.message).join('; ');
  if (combined.networkError) return `Cannot reach the Cairn server: ${clip(combined.networkError.message)}`;
  return clip(error.message);
}

function clip(text: string, max = 240): string {
  const plain = text.replace(/\s+/g, ' ').trim();
  return plain.length > max ? `${plain.slice(0, max)}…` : plain;
}
