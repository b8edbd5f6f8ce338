import { existsSync } from 'node:fs';

/**
 * Fails with how to fix it when the trimmed rrweb the recorder imports is missing: the
 * workspace's postinstall generates it (packages/recorder/scripts/trim-rrweb.mjs), so an
 * install with scripts turned off leaves it out. Called by the Vite configs (tests, demo).
 */
export function assertTrimmedRrweb(): void {
  if (!existsSync(new URL('../packages/recorder/src/vendor/rrweb-record.js', import.meta.url))) {
    throw new Error(
      'packages/recorder/src/vendor/rrweb-record.js is missing: run `pnpm install` (its postinstall ' +
        'generates it) or `node packages/recorder/scripts/trim-rrweb.mjs`.',
    );
  }
}
