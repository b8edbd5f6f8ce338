'use client';

import { createContext, type ReactNode, useContext, useEffect, useMemo, useRef, useState } from 'react';

/** Where players and session lists inside a `<ReplayProvider>` load from. */
export interface ReplayServerConfig {
  /** The replaykit server's base URL, e.g. `https://replay.example.com`; empty for this origin. */
  baseUrl?: string;
  /** The project's secret read key, sent as `Authorization: Bearer <readKey>`. */
  readKey?: string;
  /** Replaces the global `fetch` (custom auth, tests). */
  fetch?: typeof fetch;
}

const ReplayServerContext = createContext<ReplayServerConfig>({});

/** Props of `<ReplayProvider>`: the server config its players and lists share. */
export interface ReplayProviderProps extends ReplayServerConfig {
  children?: ReactNode;
}

/** Gives every `<ReplayPlayer>` and `<SessionList>` inside it a server to load from. */
export function ReplayProvider({ baseUrl, readKey, fetch, children }: ReplayProviderProps) {
  const value = useMemo(() => ({ baseUrl, readKey, fetch }), [baseUrl, readKey, fetch]);
  return <ReplayServerContext.Provider value={value}>{children}</ReplayServerContext.Provider>;
}

/**
 * The server config: props win over the enclosing `<ReplayProvider>`. Its `fetch` is the same
 * function for the component's whole life and calls the latest one given: a custom fetch is
 * how requests go, not what they load, so a new one (written inline) must not load again.
 */
export function useReplayServer(overrides: ReplayServerConfig): ReplayServerConfig & { fetch: typeof fetch } {
  const fromProvider = useContext(ReplayServerContext);
  const latestFetch = useRef<typeof fetch | undefined>(undefined);
  useEffect(() => {
    latestFetch.current = overrides.fetch ?? fromProvider.fetch;
  });
  const [stableFetch] = useState(() => {
    const callLatest: typeof fetch = (input, init) => (latestFetch.current ?? globalThis.fetch)(input, init);
    return callLatest;
  });
  return {
    baseUrl: overrides.baseUrl ?? fromProvider.baseUrl,
    readKey: overrides.readKey ?? fromProvider.readKey,
    fetch: stableFetch,
  };
}
