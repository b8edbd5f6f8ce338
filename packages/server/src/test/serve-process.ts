import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI_SOURCE = join(REPO_ROOT, 'packages/server/src/cli.ts');
const LISTENING = /listening on (http:\/\/\S+)/;
/** Starting tsx and compiling the CLI takes a second or two; loaded CI machines are slower. */
const DEFAULT_START_TIMEOUT_MS = 60_000;
/** How long a SIGTERM may take before the process is killed outright. */
const STOP_GRACE_MS = 5_000;

export interface ServeProcess {
  /** The server's base URL, from its `listening on` line. */
  url: string;
  /** The server process itself (not a wrapper), so its pid, CPU time and SIGKILL are the server's. */
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
}

export interface SpawnServeOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Called with each piece of output, e.g. to forward the log. */
  onOutput?: (text: string) => void;
}

/**
 * Runs `replaykit serve <args>` from source in one Node process (tsx as a loader, not the tsx
 * CLI, which would put the server in a child process) and resolves once it listens.
 */
export function spawnServe(args: readonly string[], options: SpawnServeOptions = {}): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', CLI_SOURCE, 'serve', ...args],
    {
      cwd: REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`replaykit serve did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (text: string) => {
      output += text;
      options.onOutput?.(text);
      const match = LISTENING.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ url: match[1].replace(/\/$/, ''), child, output: () => output });
      }
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.stderr?.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replaykit serve exited with code ${code} before listening:\n${output}`));
    });
  });
}

/** Stops a child process with SIGTERM, then SIGKILL after a grace period. */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
