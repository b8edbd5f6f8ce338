/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_REPLAYKIT_ENDPOINT?: string;
  readonly VITE_REPLAYKIT_WRITE_KEY?: string;
  readonly VITE_REPLAYKIT_READ_KEY?: string;
}
