import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';
import { assertTrimmedRrweb } from '../scripts/trimmed-rrweb.ts';

// The recorder imports a trimmed copy of rrweb that the workspace's postinstall generates.
assertTrimmedRrweb();

// The demo runs on the packages' TypeScript source through the `source` export condition.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  resolve: { conditions: ['source', ...defaultClientConditions] },
  server: { strictPort: true },
  clearScreen: false,
});
