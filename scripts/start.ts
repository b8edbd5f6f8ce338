import { startDemoStack } from './demo-stack';

// `pnpm start`: the replaykit server on SQLite, the demo shop and the replays viewer.
const stack = await startDemoStack({
  host: process.env.HOST ?? '127.0.0.1',
  demoPort: Number(process.env.PORT ?? 5173),
  serverPort: Number(process.env.REPLAYKIT_PORT ?? 4318),
  verbose: true,
});

console.log(`
  replaykit demo is running.

    Shop (recorded):      ${stack.demoUrl}/
    Replays (viewer):     ${stack.demoUrl}/replays
    replaykit server:     ${stack.serverUrl}  (SQLite in ${stack.dataDir})

  Use the shop, then open the replays page. Press Ctrl+C to stop.
`);

let closing = false;
const shutdown = async () => {
  if (closing) {
    return;
  }
  closing = true;
  await stack.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
