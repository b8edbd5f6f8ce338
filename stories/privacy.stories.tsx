import { parseWireBody, type RecordedEvent } from '@replaykit/core';
import { ReplayPlayer } from '@replaykit/player';
import '@replaykit/player/style.css';
import { Blocked, Ignored, Masked, Unmasked } from '@replaykit/react';
import { createRecorder, type PrivacyPreset, type Recorder } from '@replaykit/recorder';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { useEffect, useRef, useState } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';

// The recorder posts its batches here; the stub below answers in the page, so the story
// records with the real recorder and its privacy engine, without a server.
const STUB_ENDPOINT = 'https://replays.story.invalid';

interface IngestStub {
  events(): RecordedEvent[];
  restore(): void;
}

async function decodeBody(body: BodyInit | null | undefined): Promise<string> {
  const bytes =
    body instanceof Uint8Array
      ? body
      : body instanceof Blob
        ? new Uint8Array(await body.arrayBuffer())
        : new TextEncoder().encode(String(body ?? ''));
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text();
  }
  return new TextDecoder().decode(bytes);
}

/** Answers the recorder's requests to {@link STUB_ENDPOINT} in the page; other requests pass through. */
function installIngestStub(): IngestStub {
  const originalFetch = window.fetch;
  const received: RecordedEvent[] = [];
  window.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(STUB_ENDPOINT)) {
      return originalFetch(input, init);
    }
    // As the server reads it: wire format 2's numbers restored.
    const batch = parseWireBody(await decodeBody(init?.body)) as { events: RecordedEvent[] };
    received.push(...batch.events);
    return new Response(JSON.stringify({ ok: true, duplicate: false }), { status: 200 });
  };
  return {
    events: () => [...received].sort((a, b) => a.timestamp - b.timestamp),
    restore: () => {
      window.fetch = originalFetch;
    },
  };
}

/** What the live page shows; the same markup is recorded and replayed on the right. */
function LivePage() {
  return (
    <div style={{ display: 'grid', gap: 12 }}>
      <p>Plain text: contact pat.example@example.com for your order.</p>
      <Masked>
        <p>Card holder: Pat Example (masked)</p>
      </Masked>
      <Unmasked>
        <p>Order 1042 has shipped (unmasked)</p>
        <label>
          Gift message <input type="text" />
        </label>
      </Unmasked>
      <label>
        Password <input type="password" />
      </label>
      <Ignored>
        <label>
          Coupon (ignored) <input type="text" />
        </label>
      </Ignored>
      <Blocked style={{ width: 220, height: 60, background: '#eef', padding: 8 }}>
        <p>Support chat (blocked)</p>
      </Blocked>
    </div>
  );
}

function PrivacySideBySide({ preset }: { preset: PrivacyPreset }) {
  const [events, setEvents] = useState<RecordedEvent[] | null>(null);
  // The recorder loads its chunk on start(): what the reader does before it records is not kept.
  const [recording, setRecording] = useState(false);
  const session = useRef<{ recorder: Recorder; stub: IngestStub } | null>(null);

  useEffect(() => {
    setEvents(null);
    const stub = installIngestStub();
    const recorder = createRecorder({
      endpoint: STUB_ENDPOINT,
      writeKey: 'rk_write_story',
      privacy: { preset },
      // Delivered when the reader stops, not on a timer.
      flushDelayMs: 60_000,
    });
    const unsubscribe = recorder.subscribe(() => setRecording(recorder.getStatus() === 'recording'));
    recorder.start();
    session.current = { recorder, stub };
    return () => {
      unsubscribe();
      setRecording(false);
      recorder.stop();
      stub.restore();
      session.current = null;
    };
  }, [preset]);

  const stopAndReplay = async () => {
    const current = session.current;
    if (!current) {
      return;
    }
    current.recorder.stop();
    await current.recorder.flush();
    setEvents(current.stub.events());
  };

  return (
    <div style={{ display: 'grid', gridTemplateColumns: '360px 1fr', gap: 24, alignItems: 'start' }}>
      <section aria-labelledby="live-heading">
        <h2 id="live-heading">Live page ({preset})</h2>
        <LivePage />
        <button
          type="button"
          onClick={stopAndReplay}
          disabled={events !== null || !recording}
          style={{ marginTop: 12 }}
        >
          {recording || events !== null ? 'Stop and replay' : 'Starting the recorder…'}
        </button>
      </section>
      <section aria-labelledby="replay-heading" style={{ height: 520 }}>
        <h2 id="replay-heading">Replay</h2>
        {events ? (
          <ReplayPlayer
            events={events}
            inspector={false}
            defaultSkipInactive={false}
            // Opens on the last frame, where everything typed is on screen.
            initialTime={(events.at(-1)?.timestamp ?? 0) - (events[0]?.timestamp ?? 0)}
          />
        ) : (
          <p>Recording. Type in the live page, then press “Stop and replay”.</p>
        )}
      </section>
    </div>
  );
}

const meta = {
  title: 'Privacy/Wrappers',
  component: PrivacySideBySide,
  parameters: { layout: 'padded' },
} satisfies Meta<typeof PrivacySideBySide>;

export default meta;
type Story = StoryObj<typeof meta>;

async function recordAndReplay(canvasElement: HTMLElement): Promise<Document> {
  const canvas = within(canvasElement);
  // The first story of the file loads the recorder's chunk: on a busy machine (a full CI run)
  // the reader could press "Stop and replay" before it recorded anything, and the replay was
  // empty. The button is enabled once the recorder records.
  await waitFor(() => expect(canvas.getByRole('button', { name: 'Stop and replay' })).toBeEnabled(), {
    timeout: 25_000,
  });
  await userEvent.type(canvas.getByLabelText('Gift message'), 'Happy birthday Sam');
  await userEvent.type(canvas.getByLabelText('Password'), 'hunter2-secret');
  await userEvent.type(canvas.getByLabelText('Coupon (ignored)'), 'SPRING-SECRET');
  await userEvent.click(canvas.getByRole('button', { name: 'Stop and replay' }));
  const replay = canvasElement.querySelector('[aria-labelledby="replay-heading"]') as HTMLElement;
  let replayed: Document | undefined;
  await waitFor(
    () => {
      replayed = replay.querySelector('iframe')?.contentDocument ?? undefined;
      expect(replayed?.body?.textContent ?? '').toContain('Order 1042 has shipped');
      // The last frame: the password typed last has reached the replayed field.
      expect(replayed?.querySelector<HTMLInputElement>('input[type="password"]')?.value ?? '').toMatch(
        /^\*+$/,
      );
    },
    // The first story of the file also loads the recorder's chunk, rrweb and the replayer: on
    // a busy machine that took over 10 s once (in a full CI run), against about 1 s alone.
    { timeout: 25_000 },
  );
  return replayed as Document;
}

function replayedText(replayed: Document): string {
  const values = [...replayed.querySelectorAll('input')].map((input) => input.value);
  return `${replayed.body.textContent ?? ''} ${values.join(' ')}`;
}

/** `strict`: every text and input is masked except inside `<Unmasked>`; `<Blocked>` is an empty box. */
export const Strict: Story = {
  args: { preset: 'strict' },
  play: async ({ canvasElement }) => {
    const text = replayedText(await recordAndReplay(canvasElement));
    await expect(text).not.toContain('pat.example');
    await expect(text).not.toContain('Card holder');
    await expect(text).not.toContain('Support chat');
    await expect(text).not.toContain('hunter2');
    await expect(text).not.toContain('SPRING');
    await expect(text).toContain('Happy birthday Sam');
    await expect(text).toContain('*****');
  },
};

/** `balanced` (default): inputs and personal-looking text (the email) are masked. */
export const Balanced: Story = {
  args: { preset: 'balanced' },
  play: async ({ canvasElement }) => {
    const text = replayedText(await recordAndReplay(canvasElement));
    await expect(text).toContain('Plain text: contact');
    await expect(text).not.toContain('pat.example@example.com');
    await expect(text).not.toContain('Card holder');
    await expect(text).not.toContain('hunter2');
    await expect(text).toContain('Happy birthday Sam');
  },
};

/** `relaxed`: only passwords, payment fields and `<Masked>` are masked; `<Unmasked>` typing shows. */
export const Relaxed: Story = {
  args: { preset: 'relaxed' },
  play: async ({ canvasElement }) => {
    const text = replayedText(await recordAndReplay(canvasElement));
    await expect(text).toContain('pat.example@example.com');
    await expect(text).toContain('Happy birthday Sam');
    await expect(text).not.toContain('Card holder');
    await expect(text).not.toContain('hunter2');
    await expect(text).not.toContain('SPRING');
  },
};
