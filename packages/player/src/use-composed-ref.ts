'use client';

import { type ForwardedRef, useCallback } from 'react';

/**
 * One callback ref for a part that needs its element itself and also forwards it to the
 * host's ref (a function or an object).
 */
export function useComposedRef<T>(
  ownRef: { current: T | null },
  forwardedRef: ForwardedRef<T>,
): (element: T | null) => void {
  return useCallback(
    (element: T | null) => {
      ownRef.current = element;
      if (typeof forwardedRef === 'function') {
        forwardedRef(element);
      } else if (forwardedRef) {
        forwardedRef.current = element;
      }
    },
    [ownRef, forwardedRef],
  );
}
