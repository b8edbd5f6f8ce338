import { existsSync } from 'node:fs';

/** Flags that keep Chromium quiet and working on a closed network, as root, headless. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * The Chromium binary for browser tests: `CHROME_PATH` if set, else Debian's
 * `/usr/bin/chromium`. Throws a message that says how to install it when neither exists.
 */
export function chromiumPath(): string {
  const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const candidate of candidates) {
    if (candidate && existsSync(candidate)) {
      return candidate;
    }
  }
  throw new Error(
    'No Chromium found for browser tests. Install it with `npm run setup:test` ' +
      '(Debian: `apt-get install -y chromium`), or point CHROME_PATH at a Chromium binary.',
  );
}
