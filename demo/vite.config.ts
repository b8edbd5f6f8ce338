import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// The demo runs on the packages' TypeScript source through the `source` export condition.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  resolve: { conditions: ['source', ...defaultClientConditions] },
  server: { strictPort: true },
  clearScreen: false,
});
