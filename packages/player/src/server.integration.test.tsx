import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INGEST_PATH, type SessionChunk, WIRE_VERSION, WRITE_KEY_HEADER } from '@replaykit/core';
import { createReplayServer, createSqliteStore } from '@replaykit/server';
import { type NodeServerHandle, startNodeServer } from '@replaykit/server/node';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import twoTabSession from '../../../stories/fixtures/two-tab-session.json';
import { fetchSessionMeta, streamSessionChunks } from './load-session';
import { ReplayPlayer } from './replay-player';
import { SessionList } from './session-list';
import { stubResizeObserverEachTest } from './test/resize-observer';

// The player against the real replaykit server on loopback (SQLite store): ingest a real
// two-tab recording batch by batch, then load it through the read API as the player does.
// jsdom cannot run the replay itself: the viewport is Chromium's job.
vi.mock('./viewport', () => ({ ReplayViewport: () => <div data-testid="replay-viewport" /> }));

const SESSION_ID = '0192e4a0-7b1c-7def-8000-0000000000aa';
const PROJECT = { id: 'player-it', writeKey: 'rk_write_player_it', readKey: 'rk_read_player_it' };
const BATCH_EVENTS = 25;
const tabs = twoTabSession as SessionChunk[];

let dataDir: string;
let handle: NodeServerHandle;
let batchCount = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'replaykit-player-it-'));
  const store = createSqliteStore({ filename: join(dataDir, 'replays.db') });
  handle = await startNodeServer({ server: createReplayServer({ store, projects: [PROJECT] }), port: 0 });
  for (const tab of tabs) {
    for (let start = 0, seq = 0; start < tab.events.length; start += BATCH_EVENTS, seq++) {
      const body = {
        v: WIRE_VERSION,
        sessionId: SESSION_ID,
        windowId: tab.windowId,
        seq,
        events: tab.events.slice(start, start + BATCH_EVENTS),
      };
      const response = await fetch(`${handle.url}${INGEST_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [WRITE_KEY_HEADER]: PROJECT.writeKey },
        body: JSON.stringify(body),
      });
      expect(response.status, await response.clone().text()).toBe(200);
      batchCount++;
    }
  }
});

afterAll(async () => {
  await handle?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

stubResizeObserverEachTest();

describe('the player against the real server', () => {
  it('streams every stored batch of a tab, in order, as NDJSON chunks', async () => {
    const options = { sessionId: SESSION_ID, baseUrl: handle.url, readKey: PROJECT.readKey };
    const meta = await fetchSessionMeta(options);
    expect(meta.session.windowIds).toHaveLength(2);
    expect(meta.markers.some((marker) => marker.label === 'checkout_error')).toBe(true);
    const chunks: SessionChunk[] = [];
    for (const windowId of meta.session.windowIds) {
      for await (const chunk of streamSessionChunks({ ...options, windowId })) {
        chunks.push(chunk);
      }
    }
    expect(chunks).toHaveLength(batchCount);
    const stored = chunks.reduce((sum, chunk) => sum + chunk.events.length, 0);
    expect(stored).toBe(tabs.reduce((sum, tab) => sum + tab.events.length, 0));
    for (const windowId of meta.session.windowIds) {
      const seqs = chunks.filter((chunk) => chunk.windowId === windowId).map((chunk) => chunk.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    // A resume sends windowId and fromSeq, which the server checks like every parameter.
    const [windowId] = meta.session.windowIds;
    const resumed: number[] = [];
    for await (const chunk of streamSessionChunks({ ...options, windowId, fromSeq: 1 })) {
      resumed.push(chunk.seq);
    }
    expect(resumed[0]).toBe(1);
    expect(resumed).toHaveLength(chunks.filter((chunk) => chunk.windowId === windowId).length - 1);
  });

  it('plays a session by id, with every tab’s markers and a tab switch', async () => {
    render(<ReplayPlayer sessionId={SESSION_ID} baseUrl={handle.url} readKey={PROJECT.readKey} />);
    const player = screen.getByRole('region', { name: 'Session replay' });
    await waitFor(() => expect(player).toHaveAttribute('data-state', 'ready'), { timeout: 5_000 });
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull(), { timeout: 5_000 });
    // checkout_error happened in the second tab; its marker shows while the first plays.
    expect(screen.getByRole('button', { name: /^checkout_error at / })).toBeInTheDocument();
    const tabSelect = screen.getByRole('combobox', { name: 'Tab' });
    const [first, second] = within(tabSelect).getAllByRole('option') as HTMLOptionElement[];
    expect(tabSelect).toHaveValue(first!.value);
    await userEvent.selectOptions(tabSelect, second!.value);
    await waitFor(
      () => expect(within(screen.getByRole('tabpanel')).getByText('checkout_error')).toBeInTheDocument(),
      {
        timeout: 5_000,
      },
    );
  });

  it('says the session was not found, and that a write key cannot read', async () => {
    const { unmount } = render(
      <ReplayPlayer
        sessionId="0192e4a0-7b1c-7def-8000-0000000000ff"
        baseUrl={handle.url}
        readKey={PROJECT.readKey}
      />,
    );
    await waitFor(() => expect(screen.getByRole('region')).toHaveAttribute('data-state', 'not-found'));
    unmount();
    render(<ReplayPlayer sessionId={SESSION_ID} baseUrl={handle.url} readKey={PROJECT.writeKey} />);
    await waitFor(() => expect(screen.getByRole('region')).toHaveAttribute('data-state', 'unauthorized'));
  });

  it('lists the session in <SessionList> and opens it', async () => {
    const onSelect = vi.fn();
    render(<SessionList baseUrl={handle.url} readKey={PROJECT.readKey} onSelect={onSelect} />);
    const play = await screen.findByRole('button', { name: /^Play the recording/ });
    await userEvent.click(play);
    expect(onSelect).toHaveBeenCalledWith(expect.objectContaining({ id: SESSION_ID }));
  });
});
