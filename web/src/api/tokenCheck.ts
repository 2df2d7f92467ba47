// Verifies a token the way the server checks it: a WebSocket handshake
// (graphql-transport-ws) whose connection_init carries the token. The
// server acknowledges it (connection_ack) or closes the socket with the
// reason "this server needs a token…" (close code 1002). Nothing is
// subscribed, nothing runs on the server.
import { createClient } from 'graphql-ws';

export type TokenVerdict = 'accepted' | 'refused' | 'unreachable';

/** A close before the acknowledgement: refused when the server names the token, else unreachable. */
export function verdictOfClose(event: unknown): TokenVerdict {
  const close = event as { code?: number; reason?: string } | null;
  if (close && typeof close.reason === 'string' && /token/i.test(close.reason)) return 'refused';
  if (close && typeof close.code === 'number' && close.code >= 4400 && close.code < 4500) return 'refused';
  return 'unreachable';
}

function wsUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/graphql/ws`;
}

/** Whether the server accepts `token` (empty: no token) for subscriptions and mutations. */
export function verifyToken(token: string, timeoutMs = 8000): Promise<TokenVerdict> {
  return new Promise((resolve) => {
    let settled = false;
    const client = createClient({
      url: wsUrl(),
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: () => {},
      connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
    });
    const settle = (verdict: TokenVerdict) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void client.dispose();
      resolve(verdict);
    };
    const timer = setTimeout(() => settle('unreachable'), timeoutMs);
    client.on('connected', () => settle('accepted'));
    client.on('closed', (event) => settle(verdictOfClose(event)));
    client.on('error', () => settle('unreachable'));
  });
}
