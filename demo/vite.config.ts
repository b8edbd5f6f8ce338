import { existsSync } from 'node:fs';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// The recorder imports a trimmed copy of rrweb that the workspace's postinstall generates.
if (!existsSync(new URL('../packages/recorder/src/vendor/rrweb-record.js', import.meta.url))) {
  throw new Error(
    'packages/recorder/src/vendor/rrweb-record.js is missing: run `pnpm install` (its postinstall ' +
      'generates it) or `node packages/recorder/scripts/trim-rrweb.mjs`.',
  );
}

// The demo runs on the packages' TypeScript source through the `source` export condition.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  resolve: { conditions: ['source', ...defaultClientConditions] },
  server: { strictPort: true },
  clearScreen: false,
});
