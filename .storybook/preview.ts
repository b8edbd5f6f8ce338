import type { Preview } from '@storybook/react-vite';

const preview: Preview = {
  parameters: {
    a11y: {
      test: 'error',
      config: {
        rules: [
          // The replay iframe shows the recorded app's page, not ours, and its sandbox has no
          // allow-scripts, so axe cannot run inside it: frame-tested could only ever report it
          // as untested. The iframe element itself is still checked (title, focus).
          { id: 'frame-tested', enabled: false },
        ],
      },
    },
  },
};

export default preview;
