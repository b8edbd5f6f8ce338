/** Where the demo finds its replaykit server; `pnpm start` sets these. */
export const config = {
  endpoint: import.meta.env.VITE_REPLAYKIT_ENDPOINT ?? 'http://127.0.0.1:4318',
  writeKey: import.meta.env.VITE_REPLAYKIT_WRITE_KEY ?? '',
  readKey: import.meta.env.VITE_REPLAYKIT_READ_KEY ?? '',
};
