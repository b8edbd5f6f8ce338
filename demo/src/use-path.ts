import { useCallback, useSyncExternalStore } from 'react';

const NAVIGATE_EVENT = 'demo:navigate';

function subscribe(listener: () => void) {
  window.addEventListener('popstate', listener);
  window.addEventListener(NAVIGATE_EVENT, listener);
  return () => {
    window.removeEventListener('popstate', listener);
    window.removeEventListener(NAVIGATE_EVENT, listener);
  };
}

/** The current path and a `navigate(path)` that pushes history: a router small enough for a demo. */
export function usePath(): [string, (path: string) => void] {
  const path = useSyncExternalStore(subscribe, () => window.location.pathname + window.location.search);
  const navigate = useCallback((next: string) => {
    window.history.pushState(null, '', next);
    window.dispatchEvent(new Event(NAVIGATE_EVENT));
  }, []);
  return [path, navigate];
}
