/**
 * Random sessions for the metadata property tests: events of 1–3 windows, split into batches,
 * and what one pass over all of them in time order gives for the fields whose merge depends
 * on event times (user id, traits, and the capped URL and custom event name lists).
 */
import { type RecordedEvent, SUMMARY_LIST_MAX } from '@replaykit/core';
import { randomInt } from './seeded-random';
import { click, custom, meta } from './support';

export interface GeneratedBatch {
  windowId: string;
  seq: number;
  events: RecordedEvent[];
}

export interface GenerateOptions {
  start: number;
  /** Distinct URLs and names to pick from: above {@link SUMMARY_LIST_MAX} to pass the cap. */
  pool: number;
  /** Events per window. */
  events: number;
  /** Let events share times (across windows too); otherwise every time is unique. */
  ties?: boolean;
}

/** One random session, split into batches per window (each window's in time order). */
export function generateSession(random: () => number, options: GenerateOptions): GeneratedBatch[] {
  const windows = 1 + randomInt(random, 3);
  const used = new Set<number>();
  const at = (time: number) => {
    let result = time;
    while (!options.ties && used.has(result)) {
      result++;
    }
    used.add(result);
    return result;
  };
  const url = () => `https://shop.test/p/${randomInt(random, options.pool)}`;
  const name = () => `event_${randomInt(random, options.pool)}`;
  const batches: GeneratedBatch[] = [];
  for (let w = 0; w < windows; w++) {
    const windowId = `w${w}`;
    const events: RecordedEvent[] = [];
    let time = options.start + randomInt(random, 20_000);
    events.push(meta(at(time), url()));
    for (let index = 0; index < options.events; index++) {
      time += options.ties ? randomInt(random, 3) : 1 + randomInt(random, 2_000);
      const kind = random();
      if (kind < 0.3) {
        events.push(custom(at(time), '$navigation', { kind: 'pushState', url: url() }));
      } else if (kind < 0.4) {
        events.push(meta(at(time), url()));
      } else if (kind < 0.7) {
        events.push(custom(at(time), name(), { n: index }));
      } else if (kind < 0.85) {
        const userId = `u${randomInt(random, 3)}`;
        const payload =
          random() < 0.4
            ? { userId, traits: { plan: `plan-${randomInt(random, 4)}`, at: index } }
            : { userId };
        events.push(custom(at(time), '$identify', payload));
      } else {
        events.push(click(at(time)));
      }
    }
    let seq = 0;
    let current: RecordedEvent[] = [];
    for (const event of events) {
      current.push(event);
      if (random() < 0.2) {
        batches.push({ windowId, seq: seq++, events: current });
        current = [];
      }
    }
    if (current.length > 0) {
      batches.push({ windowId, seq: seq++, events: current });
    }
  }
  return batches;
}

/** The fields compared with one pass. */
export interface TimedFields {
  userId: string | null;
  userTraits: Record<string, unknown> | null;
  urls: string[];
  customEventNames: string[];
}

/** One pass over all events in time order (times must be unique to make that order one order). */
export function onePass(batches: readonly GeneratedBatch[]): TimedFields {
  const all = batches.flatMap((batch) => batch.events).sort((a, b) => a.timestamp - b.timestamp);
  const result: TimedFields = { userId: null, userTraits: null, urls: [], customEventNames: [] };
  const addUrl = (url: string) => {
    if (!result.urls.includes(url) && result.urls.length < SUMMARY_LIST_MAX) {
      result.urls.push(url);
    }
  };
  for (const event of all) {
    const data = event.data as { href?: string; tag?: string; payload?: Record<string, unknown> };
    if (typeof data.href === 'string') {
      addUrl(data.href);
    } else if (data.tag === '$navigation') {
      addUrl(String(data.payload?.url));
    } else if (data.tag === '$identify') {
      result.userId = String(data.payload?.userId);
      if (data.payload?.traits) {
        result.userTraits = data.payload.traits as Record<string, unknown>;
      }
    } else if (
      typeof data.tag === 'string' &&
      !result.customEventNames.includes(data.tag) &&
      result.customEventNames.length < SUMMARY_LIST_MAX
    ) {
      result.customEventNames.push(data.tag);
    }
  }
  return result;
}

/** A random permutation (Fisher–Yates). */
export function shuffled<T>(random: () => number, items: readonly T[]): T[] {
  const result = [...items];
  for (let index = result.length - 1; index > 0; index--) {
    const other = randomInt(random, index + 1);
    [result[index], result[other]] = [result[other] as T, result[index] as T];
  }
  return result;
}

/** The compared fields of a summary. */
export function timedFields(summary: TimedFields): TimedFields {
  const { userId, userTraits, urls, customEventNames } = summary;
  return { userId, userTraits, urls, customEventNames };
}
