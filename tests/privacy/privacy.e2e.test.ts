import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  API_PATHS,
  type IngestBatch,
  parseWireBody,
  type RecordedEvent,
  type SessionEventsResponse,
} from '@replaykit/core';
import type { PrivacyPreset } from '@replaykit/recorder';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { type FixtureStack, startFixtureStack } from '../support/fixture-stack.ts';
import type { ReplayedPage } from './fixture/replay.ts';
import { type FixtureConfig, isHiddenBy, SECRETS, type Secret, UNMASKED } from './secrets.ts';

const PRESETS: PrivacyPreset[] = ['strict', 'balanced', 'relaxed'];
const ALL_SECRETS: Secret[] = Object.values(SECRETS);
function decode(body: Buffer): string {
  const isGzip = body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
  return (isGzip ? gunzipSync(body) : body).toString('utf8');
}

function leaked(text: string, preset: PrivacyPreset): string[] {
  return ALL_SECRETS.filter((secret) => isHiddenBy(secret, preset) && text.includes(secret.value)).map(
    (secret) => `${secret.where}: ${secret.value}`,
  );
}

interface Recording {
  /** Every request body the page sent to the server, decompressed. */
  sent: string;
  /** The events of every batch sent, repeats included. */
  sentEvents: RecordedEvent[];
  requestCount: number;
  /** The session's events as the server's read API returns them. */
  stored: RecordedEvent[];
  replayed: ReplayedPage;
}

/** Drives the fixture page like a person would: typing, choosing, autofilling, clicking. */
async function interact(page: Page): Promise<void> {
  const type = (label: string, text: string) =>
    page.getByLabel(label, { exact: true }).pressSequentially(text);
  await type('Name', SECRETS.typedText.value);
  await type('Email', SECRETS.typedEmail.value);
  await type('Phone', SECRETS.typedTel.value);
  await type('Quantity', SECRETS.typedNumber.value);
  await type('Website', SECRETS.typedUrl.value);
  await type('Search', SECRETS.typedSearch.value);
  await page.getByLabel('Birthday').fill(SECRETS.typedDate.value);
  await type('Notes', SECRETS.typedTextarea.value);
  await page.getByLabel('Plan').selectOption(SECRETS.selectChoice.value);
  await type('Password', SECRETS.typedPassword.value);
  // Half typed as a password, the rest after the field was switched to plain text.
  const half = SECRETS.switchedPassword.value.length / 2;
  await type('New password', SECRETS.switchedPassword.value.slice(0, half));
  await page.getByRole('button', { name: 'Show password' }).click();
  await type('New password', SECRETS.switchedPassword.value.slice(half));
  await page.getByRole('button', { name: 'Autofill' }).click();
  await page.getByRole('textbox', { name: 'Editor' }).click();
  await page.keyboard.type(`${SECRETS.editableText.value} ${SECRETS.editableEmail.value}`);
  await type('Masked field', SECRETS.maskedTyped.value);
  await type('Unmasked field', UNMASKED.typed);
  await type('Unmasked password', SECRETS.unmaskedPassword.value);
  await type('Card number', SECRETS.cardNumber.value);
  await type('Ignored field', SECRETS.ignoredTyped.value);
  await page.getByRole('button', { name: 'Add late content' }).click();
  await page.getByText(SECRETS.lateText.value).waitFor();
  await page.getByRole('button', { name: 'Navigate, log and fetch' }).click();
  await page.waitForURL(/\/checkout/);
  await page.getByRole('button', { name: 'Break the receipt' }).click();
  await page.getByRole('alert').waitFor();
}

describe('privacy on the wire: every byte the recorder sends, and its replay, in Chromium', () => {
  let stack: FixtureStack;
  let browser: Browser;
  let dataDir: string;
  const recordings = new Map<PrivacyPreset, Recording>();

  async function record(preset: PrivacyPreset): Promise<Recording> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 1400 } });
    try {
      const config: FixtureConfig = { endpoint: stack.serverUrl, writeKey: stack.writeKey, preset };
      await context.addInitScript((fixture) => {
        window.__PRIVACY_FIXTURE__ = fixture;
      }, config);
      const page = await context.newPage();
      const bodies: Buffer[] = [];
      page.on('request', (request) => {
        if (request.url().startsWith(stack.serverUrl) && request.method() === 'POST') {
          const body = request.postDataBuffer();
          if (body) {
            bodies.push(body);
          }
        }
      });
      await page.goto(
        `${stack.pageUrl}/?voucher=${SECRETS.pageVoucher.value}&code=${SECRETS.pageCode.value}&q=${SECRETS.pageQuery.value}`,
      );
      const status = page.getByRole('status');
      await status.filter({ hasText: 'recording' }).waitFor();
      // Both iframes loaded, so rrweb has recorded their documents.
      for (const title of ['Frame', 'Masked frame']) {
        await page.frameLocator(`iframe[title="${title}"]`).locator('p').waitFor();
      }
      await interact(page);
      // Past rrweb's mutation flush, then hand everything to the server and wait for its answer.
      await page.waitForTimeout(100);
      await page.evaluate(() => window.__rkFlush?.());
      const sessionId = (await status.getAttribute('data-session')) ?? '';
      expect(sessionId).not.toBe('');
      const response = await fetch(`${stack.serverUrl}${API_PATHS.sessionEvents(sessionId)}`, {
        headers: { authorization: `Bearer ${stack.readKey}` },
      });
      expect(response.status).toBe(200);
      const stored = ((await response.json()) as SessionEventsResponse).events;

      const replayPage = await context.newPage();
      await replayPage.goto(`${stack.pageUrl}/replay.html`);
      await replayPage.waitForFunction(() => typeof window.replayToEnd === 'function');
      const replayed = await replayPage.evaluate((events) => window.replayToEnd(events), stored);
      const sent = bodies.map(decode);
      // Bodies as sent (format 2 changes only numbers, so the leak checks read them as is), and
      // their events as the server reads them.
      const sentEvents = sent.flatMap((body) => (parseWireBody(body) as IngestBatch).events);
      return { sent: sent.join('\n'), sentEvents, requestCount: bodies.length, stored, replayed };
    } finally {
      await context.close();
    }
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'replaykit-privacy-'));
    stack = await startFixtureStack(dataDir, 'tests/privacy/fixture');
    browser = await launchChromium();
    for (const preset of PRESETS) {
      recordings.set(preset, await record(preset));
    }
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const recordingOf = (preset: PrivacyPreset): Recording => {
    const recording = recordings.get(preset);
    if (!recording) {
      throw new Error(`no recording for ${preset}`);
    }
    return recording;
  };

  it('plants its secrets in at least 25 places, each hidden by at least the strict preset', () => {
    expect(ALL_SECRETS.length).toBeGreaterThanOrEqual(25);
    expect(new Set(ALL_SECRETS.map((secret) => secret.value)).size).toBe(ALL_SECRETS.length);
    expect(ALL_SECRETS.every((secret) => isHiddenBy(secret, 'strict'))).toBe(true);
  });

  it('stores a render error caught by <RecordingErrorBoundary> as a $error event with its component stack', () => {
    const errors = recordingOf('balanced')
      .stored.filter((event) => event.type === 5 && (event.data as { tag?: string }).tag === '$error')
      .map((event) => (event.data as { payload: Record<string, unknown> }).payload);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'react', message: 'Receipt could not be rendered' });
    expect(String(errors[0]?.componentStack)).toContain('Receipt');
  });

  describe.each(PRESETS)('the %s preset', (preset) => {
    it('sends none of the secrets it promises to hide, in any request body', () => {
      const { sent, requestCount } = recordingOf(preset);
      expect(requestCount).toBeGreaterThan(0);
      expect(leaked(sent, preset)).toEqual([]);
    });

    it('sends <Unmasked> text and typing in clear', () => {
      const { sent } = recordingOf(preset);
      expect(sent).toContain(UNMASKED.text);
      expect(sent).toContain(UNMASKED.typed);
    });

    it('records in clear what it does not promise to hide (so the check above can see a leak)', () => {
      const { sent } = recordingOf(preset);
      const missing = ALL_SECRETS.filter(
        (secret) => !isHiddenBy(secret, preset) && !sent.includes(secret.value),
      ).map((secret) => secret.where);
      expect(missing).toEqual([]);
    });

    it('stores nothing the preset hides, and the stored session is what was sent', () => {
      const { stored, sentEvents } = recordingOf(preset);
      // Every stored event was seen on the wire: the checks above covered all of them.
      const seen = new Set(sentEvents.map((event) => JSON.stringify(event)));
      expect(stored.filter((event) => !seen.has(JSON.stringify(event)))).toEqual([]);
      const text = JSON.stringify(stored);
      expect(stored.length).toBeGreaterThan(2);
      expect(leaked(text, preset)).toEqual([]);
      expect(text).toContain(UNMASKED.text);
    });

    it('replays masked regions and passwords as asterisks, and <Unmasked> content in clear', () => {
      const { replayed } = recordingOf(preset);
      expect(leaked(`${replayed.html}\n${replayed.values.join('\n')}`, preset)).toEqual([]);
      expect(replayed.unmaskedText).toContain(UNMASKED.text);
      expect(replayed.values).toContain(UNMASKED.typed);
      expect(replayed.maskedTexts.length).toBeGreaterThanOrEqual(3);
      for (const text of replayed.maskedTexts) {
        expect(text).toMatch(/^[\s*]*\*[\s*]*$/);
      }
      const typedPasswords = replayed.passwordValues.filter((value) => value !== '');
      expect(typedPasswords.length).toBeGreaterThanOrEqual(2);
      for (const value of typedPasswords) {
        expect(value).toMatch(/^\*+$/);
      }
    });
  });
});
