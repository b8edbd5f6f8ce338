// @vitest-environment node
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

// Runs a module in a fresh Node process (with tsx for the TypeScript sources), so the
// export conditions are exactly those given, as a server bundler or runtime would use them.
function runNode(conditions: string[], source: string): string {
  return execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      ...conditions.map((condition) => `--conditions=${condition}`),
      '--input-type=module',
      '-e',
      source,
    ],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/**
 * Each test starts a Node process that compiles the sources with tsx: well under a second
 * alone, but past the default 5 s on a machine busy with browser tests.
 */
const NODE_PROCESS_TIMEOUT_MS = 30_000;

describe('@replaykit/react on the server', { timeout: NODE_PROCESS_TIMEOUT_MS }, () => {
  it('resolves under the react-server condition to client modules only, so RSC bundlers send them to the client', () => {
    // A React Server Components bundler never runs a 'use client' module on the server: it
    // replaces it by a client reference. Every local module the entry reaches must say so.
    const output = runNode(
      ['react-server', 'source'],
      `
      import { readFileSync } from 'node:fs';
      import { dirname, resolve } from 'node:path';
      import { fileURLToPath } from 'node:url';
      const entry = fileURLToPath(import.meta.resolve('@replaykit/react'));
      const seen = new Set();
      const visit = (file) => {
        if (seen.has(file)) return;
        seen.add(file);
        const text = readFileSync(file, 'utf8');
        const clientOnly = /\\b(createContext|useState|useEffect|useContext|useRef|useSyncExternalStore|Component)\\b/.test(text);
        const directive = /^\\s*(\\/\\/[^\\n]*\\n\\s*)*['"]use client['"]/.test(text);
        console.log(JSON.stringify({ file: file.slice(dirname(entry).length + 1), clientOnly, directive }));
        for (const [, specifier] of text.matchAll(/from '(\\.[^']+)'/g)) {
          const base = resolve(dirname(file), specifier);
          for (const candidate of [base + '.ts', base + '.tsx']) {
            try { readFileSync(candidate); visit(candidate); break; } catch {}
          }
        }
      };
      visit(entry);
      `,
    );
    const modules = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { file: string; clientOnly: boolean; directive: boolean });
    expect(modules[0]).toMatchObject({ file: 'index.ts', directive: true });
    expect(modules.length).toBeGreaterThan(3);
    for (const module of modules.filter((entry) => entry.clientOnly)) {
      expect(module, `${module.file} uses client-only React APIs`).toMatchObject({ directive: true });
    }
  });

  it('imports in Node without touching window or document at module scope', () => {
    const output = runNode(
      ['source'],
      `
      const react = await import('@replaykit/react');
      // Node has no DOM: code that touched window or document at module scope would have thrown.
      if (typeof window !== 'undefined' || typeof document !== 'undefined') throw new Error('a DOM global was installed');
      console.log(Object.keys(react).sort().join(','));
      `,
    );
    expect(output.trim().split(',')).toEqual(
      expect.arrayContaining([
        'RecordingProvider',
        'RecordingErrorBoundary',
        'Masked',
        'Unmasked',
        'useRecording',
      ]),
    );
  });
});
