// The run log's lines as the `runEvents` subscription delivers them. A
// subscription may deliver an event again: urql hands the last result over
// once more when the server completes the subscription (its
// subscriptionExchange ends a stream with a copy of the last result), and a
// client that reconnects subscribes from the start again. Each event is
// kept once, by its cursor, in the order it first arrived.
//
// `appendEvent` runs inside a React state updater, which React may call
// twice with the same lines: it is pure in effect. The cursor -> position
// index is shared along one chain of logs (O(1) per event) and only counts
// a cursor as present when the given lines hold it at that position.

export interface Cursored {
  cursor: string;
}

const positions = new WeakMap<readonly Cursored[], Map<string, number>>();

/** The log after `event`: `lines` itself when it already holds the event's cursor. */
export function appendEvent<T extends Cursored>(lines: readonly T[], event: T): readonly T[] {
  let at = positions.get(lines);
  if (!at) {
    at = new Map(lines.map((line, i) => [line.cursor, i]));
    positions.set(lines, at);
  }
  const i = at.get(event.cursor);
  if (i !== undefined && i < lines.length && lines[i].cursor === event.cursor) return lines;
  const next = [...lines, event];
  at.set(event.cursor, lines.length);
  positions.set(next, at);
  return next;
}
