'use client';

import { createContext, useContext } from 'react';
import type { ReplayStore } from './replay-store';

/** Shared by the parts of one player: the store that drives playback (its timeline included). */
export const ReplayContext = createContext<ReplayStore | null>(null);

/**
 * The store of the enclosing `<ReplayPlayer>`; throws a message naming the part (e.g.
 * "<ReplayTimeline>" or "useReplay()") when there is none.
 */
export function useReplayStore(partName: string): ReplayStore {
  const store = useContext(ReplayContext);
  if (store === null) {
    throw new Error(
      `${partName} must be used within <ReplayPlayer>: render it inside <ReplayPlayer>, which provides the replay it controls.`,
    );
  }
  return store;
}
