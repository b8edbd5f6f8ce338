import { RecordingProvider } from '@replaykit/react';
import { config } from './config';
import { Replays } from './Replays';
import { Shop } from './Shop';
import { usePath } from './use-path';

/** Canvas recording is off by default; the shop's order chart is a canvas worth seeing in replays. */
const RECORDER_OPTIONS = { canvas: { fps: 4 } };

/** The demo: a recorded shop, and an internal replays page that is not recorded itself. */
export function App() {
  const [path, navigate] = usePath();
  const onReplays = path.startsWith('/replays');
  return (
    <div className="app">
      <header className="app-header">
        <strong className="brand">Acme Supplies</strong>
        <nav aria-label="Main">
          <a
            href="/"
            aria-current={onReplays ? undefined : 'page'}
            onClick={(event) => {
              event.preventDefault();
              navigate('/');
            }}
          >
            Shop
          </a>
          <a
            href="/replays"
            aria-current={onReplays ? 'page' : undefined}
            onClick={(event) => {
              event.preventDefault();
              navigate('/replays');
            }}
          >
            Replays
          </a>
        </nav>
      </header>
      <main>
        {onReplays ? (
          <Replays path={path} navigate={navigate} />
        ) : (
          <RecordingProvider
            endpoint={config.endpoint}
            projectKey={config.writeKey}
            user={{ id: 'demo-user-42' }}
            recorderOptions={RECORDER_OPTIONS}
          >
            <Shop />
          </RecordingProvider>
        )}
      </main>
    </div>
  );
}
