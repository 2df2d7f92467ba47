// Whether the run log follows its end. It follows until the user scrolls
// up, and again once they scroll back to the bottom. A scroll event of the
// log's own scrolling can arrive after more lines were appended (the end
// then looks far away): a position at or below where the log last put
// itself is not the user scrolling up.

export interface ScrollState {
  top: number;
  height: number;
  client: number;
}

/** Within this many px of the end counts as at the end. */
export const FOLLOW_SLACK_PX = 40;

export function followsAfterScroll(following: boolean, scroll: ScrollState, lastSetTop: number | null): boolean {
  if (scroll.height - scroll.top - scroll.client < FOLLOW_SLACK_PX) return true;
  return following && lastSetTop !== null && scroll.top >= lastSetTop - 1;
}
