import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import react from '@vitejs/plugin-react';
import { playwright } from '@vitest/browser-playwright';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import { assertTrimmedRrweb } from './scripts/trimmed-rrweb.ts';
import { CHROMIUM_ARGS, chromiumPath } from './tests/support/chromium.ts';

// The recorder imports a trimmed copy of rrweb that the workspace's postinstall generates.
assertTrimmedRrweb();

// Every package resolves to its TypeScript source through the `source` export condition,
// so tests, Storybook and the demo never need a build first.
const resolve = { conditions: ['source', ...defaultClientConditions] };
const ssr = {
  resolve: { conditions: ['source', ...defaultServerConditions], externalConditions: ['source'] },
};

const browser = () => ({
  enabled: true,
  headless: true,
  provider: playwright({ launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS } }),
  instances: [{ browser: 'chromium' as const }],
  screenshotFailures: false,
});

// Pre-bundled up front so Vite never reloads a browser test run to add them.
const optimizeDeps = {
  include: [
    'react',
    'react-dom',
    'react-dom/client',
    'react-dom/server',
    'react/jsx-dev-runtime',
    '@testing-library/react',
    '@testing-library/user-event',
    '@testing-library/jest-dom/vitest',
    '@replaykit/core > zod',
    '@replaykit/recorder > @rrweb/record',
    '@replaykit/player > rrweb-player',
    '@replaykit/player > @rrweb/replay',
    '@replaykit/player > @radix-ui/react-slider',
  ],
};

export default defineConfig({
  plugins: [react()],
  resolve,
  ssr,
  optimizeDeps,
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['packages/{core,server}/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['**/*.browser.test.{ts,tsx}'],
          // Threads, child processes and PostgreSQL take seconds to start and end on a busy
          // machine, and several tests wait up to 10 s for them (vi.waitFor); 5 s cut them off.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'dom',
          environment: 'jsdom',
          include: ['packages/{recorder,react,player}/src/**/*.test.{ts,tsx}'],
          exclude: ['**/*.browser.test.{ts,tsx}'],
          setupFiles: ['tests/support/setup-dom.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['packages/*/src/**/*.browser.test.{ts,tsx}'],
          setupFiles: ['tests/support/setup-dom.ts'],
          browser: browser(),
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['tests/**/*.e2e.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // @replaykit/react's and @replaykit/player's peer ranges include React 18: their
        // component tests run again in Chromium against react@18 and react-dom@18 (aliased
        // devDependencies), where Vite resolves every import of React, the test libraries'
        // and Radix's included. Node-side tests (server rendering) cannot follow: Node
        // resolves react-dom 18's own `react` to the workspace's 19.
        extends: true,
        resolve: {
          alias: [
            { find: /^react-dom(\/.*)?$/, replacement: 'react-dom-18$1' },
            { find: /^react(\/.*)?$/, replacement: 'react-18$1' },
          ],
        },
        test: {
          name: 'react18',
          // Checked by a test, so an alias that stopped applying cannot pass for React 18.
          provide: { reactMajor: 18 },
          include: [
            'packages/react/src/**/*.browser.test.tsx',
            'packages/react/src/recording-provider.test.tsx',
            'packages/react/src/error-boundary.test.tsx',
            'packages/player/src/**/*.browser.test.{ts,tsx}',
            'packages/player/src/{parts,replay-player,streaming}.test.tsx',
          ],
          setupFiles: ['tests/support/setup-dom.ts'],
          browser: browser(),
        },
      },
      {
        extends: true,
        plugins: [storybookTest({ configDir: '.storybook' })],
        test: {
          name: 'storybook',
          browser: browser(),
          // A story's play function may wait up to 25 s for a replay on a busy machine.
          testTimeout: 30_000,
        },
      },
    ],
  },
});
