// Data that outlives a failed refetch: when the server goes away, a list
// keeps showing what it last received, marked stale, instead of
// replacing it with an error card.
import { useRef } from 'react';

export interface Kept<T> {
  data: T | undefined;
  /** When `data` was received (ms since the epoch). */
  receivedAt: number | null;
}

/** The state after a result: its data when it has some, else the previous data. */
export function keepLast<T>(prev: Kept<T>, data: T | undefined, now: number): Kept<T> {
  if (data === undefined) return prev;
  if (data === prev.data) return prev;
  return { data, receivedAt: now };
}

/** The last data a query returned, and whether what is shown is stale (the latest request failed). */
export function useKept<T>(data: T | undefined, failed: boolean): Kept<T> & { stale: boolean } {
  const kept = useRef<Kept<T>>({ data: undefined, receivedAt: null });
  kept.current = keepLast(kept.current, data, Date.now());
  return { ...kept.current, stale: failed && kept.current.data !== undefined };
}
