import type { StorybookConfig } from '@storybook/react-vite';

/**
 * The preview bundles Storybook's runtime, React and axe-core (for the a11y addon) into one
 * chunk of about 1.1 MB, served from the local build only: Vite's 500 kB warning, meant for
 * pages shipped to users, says nothing here, and a build that always warns hides new warnings.
 */
const PREVIEW_CHUNK_WARNING_KB = 1_500;

const config: StorybookConfig = {
  stories: ['../stories/**/*.stories.@(ts|tsx)'],
  addons: ['@storybook/addon-vitest', '@storybook/addon-a11y'],
  framework: { name: '@storybook/react-vite', options: {} },
  core: { disableTelemetry: true },
  viteFinal: (viteConfig) => ({
    ...viteConfig,
    build: { ...viteConfig.build, chunkSizeWarningLimit: PREVIEW_CHUNK_WARNING_KB },
  }),
};

export default config;
