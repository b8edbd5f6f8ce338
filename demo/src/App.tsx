import { RecordingProvider } from '@replaykit/react';
import { config } from './config';
import { Replays } from './Replays';
import { Shop } from './Shop';
import { usePath } from './use-path';

/** Where the replays page lives. */
const REPLAYS_PATH = '/replays';

/**
 * Canvas recording is off by default; the shop's order chart is a canvas worth seeing in
 * replays. The replays page is blocked: the recorder stops a macrotask after the shop
 * unmounts, by which time the page (its list, and the list's first request to the replaykit
 * server) has rendered, and was recorded into the shopper's session as a failed request.
 */
const RECORDER_OPTIONS = { canvas: { fps: 4 }, blockedUrls: [REPLAYS_PATH] };

/** The demo: a recorded shop, and an internal replays page that is not recorded itself. */
export function App() {
  const [path, navigate] = usePath();
  const onReplays = path.startsWith(REPLAYS_PATH);
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
            href={REPLAYS_PATH}
            aria-current={onReplays ? 'page' : undefined}
            onClick={(event) => {
              event.preventDefault();
              navigate(REPLAYS_PATH);
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
