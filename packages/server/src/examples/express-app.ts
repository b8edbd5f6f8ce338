/**
 * Example: replaykit mounted in an Express 5 app under `/replaykit`, beside the app's own
 * routes. The recorder sends to `/replaykit/v1/ingest`; the player's base URL is
 * `/replaykit`.
 */
import express from 'express';
import { createReplayServer, type ReplayServerOptions } from '../index';
import { toNodeListener } from '../node';

/** Builds the Express app; `options` are those of `createReplayServer`. */
export function createExpressApp(options: ReplayServerOptions): express.Express {
  const replay = createReplayServer(options);
  const app = express();
  // Before any body parser: replaykit reads (and bounds) the raw body itself.
  app.use('/replaykit', toNodeListener(replay));
  app.use(express.json());
  app.get('/api/hello', (_request, response) => {
    response.json({ hello: 'world' });
  });
  return app;
}
