import { describe, expect, it } from 'vitest';
import { type BatchRefRow, orderBatchRefs, timeMergeComparisonsForTests } from './store';
import { randomInt, seededRandom } from './test/seeded-random';

interface Ref {
  windowId: string;
  seq: number;
  startedAt: number;
}

/**
 * The time merge as it was first written, kept as the definition of its order: each step
 * scans the next batch of every window and takes the earliest, at equal times the one of the
 * smallest window id. O(batches × windows).
 */
function referenceMerge(refs: readonly Ref[]): Ref[] {
  const byWindow = new Map<string, Ref[]>();
  for (const ref of refs) {
    const list = byWindow.get(ref.windowId) ?? [];
    list.push(ref);
    byWindow.set(ref.windowId, list);
  }
  const queues = [...byWindow.values()].map((list) => list.sort((a, b) => a.seq - b.seq));
  const positions = queues.map(() => 0);
  const result: Ref[] = [];
  for (;;) {
    let best = -1;
    for (let index = 0; index < queues.length; index++) {
      const candidate = queues[index]?.[positions[index] ?? 0];
      if (!candidate) {
        continue;
      }
      const current = best === -1 ? undefined : queues[best]?.[positions[best] ?? 0];
      if (
        !current ||
        candidate.startedAt < current.startedAt ||
        (candidate.startedAt === current.startedAt && candidate.windowId < current.windowId)
      ) {
        best = index;
      }
    }
    if (best === -1) {
      return result;
    }
    const queue = queues[best];
    const position = positions[best] ?? 0;
    const next = queue?.[position];
    if (next) {
      result.push(next);
    }
    positions[best] = position + 1;
  }
}

/** Sorted by first event time, then window id, then seq: the merge's order when no window's times go back. */
function sortedByTime(refs: readonly Ref[]): Ref[] {
  return [...refs].sort(
    (a, b) =>
      a.startedAt - b.startedAt ||
      (a.windowId < b.windowId ? -1 : a.windowId > b.windowId ? 1 : 0) ||
      a.seq - b.seq,
  );
}

function rows(refs: readonly Ref[]): BatchRefRow[] {
  return refs.map((ref) => ({ window_id: ref.windowId, seq: ref.seq, started_at: ref.startedAt }));
}

const WINDOW_ID_PARTS = ['w', 'W', 'w1', 'w10', 'w2', 'a', 'tab-', 'é', 'Z'];

/**
 * Random batch refs of up to `maxWindows` windows, in random row order: window ids whose string
 * order is not their numeric or creation order, windows without batches, seq numbers with gaps,
 * and first event times drawn from a few values, so that windows tie often.
 */
function randomRefs(random: () => number, maxWindows: number, monotonic: boolean): Ref[] {
  const windowCount = randomInt(random, maxWindows + 1);
  const times = [0, 1, 2, 2.5, 3, -1, 1_700_000_000_000].slice(0, 1 + randomInt(random, 7));
  const refs: Ref[] = [];
  const used = new Set<string>();
  for (let window = 0; window < windowCount; window++) {
    let windowId = `${WINDOW_ID_PARTS[randomInt(random, WINDOW_ID_PARTS.length)]}${randomInt(random, 3_000)}`;
    while (used.has(windowId)) {
      windowId += 'x';
    }
    used.add(windowId);
    // About one window in five has no batch (none stored, or all before fromSeq).
    const batches = random() < 0.2 ? 0 : 1 + randomInt(random, 8);
    let seq = randomInt(random, 3);
    let time = times[randomInt(random, times.length)] ?? 0;
    for (let index = 0; index < batches; index++) {
      const startedAt = monotonic ? time : (times[randomInt(random, times.length)] ?? 0);
      refs.push({ windowId, seq, startedAt });
      seq += 1 + randomInt(random, 3);
      time += randomInt(random, 2);
    }
  }
  for (let index = refs.length - 1; index > 0; index--) {
    const other = randomInt(random, index + 1);
    [refs[index], refs[other]] = [refs[other] as Ref, refs[index] as Ref];
  }
  return refs;
}

describe('orderBatchRefs by time', () => {
  it('gives the order of the window-by-window scan it replaced, over random sessions with ties', () => {
    const random = seededRandom(20_240_601);
    for (let trial = 0; trial < 1_000; trial++) {
      const refs = randomRefs(random, trial % 10 === 0 ? 300 : 12, false);
      expect(orderBatchRefs(rows(refs), 'time')).toEqual(referenceMerge(refs));
    }
  });

  it('sorts by first event time, then window id, then seq when no window goes back in time', () => {
    const random = seededRandom(42);
    for (let trial = 0; trial < 500; trial++) {
      const refs = randomRefs(random, trial % 10 === 0 ? 300 : 12, true);
      const merged = orderBatchRefs(rows(refs), 'time');
      expect(merged).toEqual(sortedByTime(refs));
      expect(merged).toEqual(referenceMerge(refs));
    }
  });

  it('keeps seq order within a window even when its later batches start earlier', () => {
    const refs: Ref[] = [
      { windowId: 'b', seq: 0, startedAt: 10 },
      { windowId: 'b', seq: 1, startedAt: 5 },
      { windowId: 'a', seq: 0, startedAt: 7 },
      { windowId: 'c', seq: 0, startedAt: 7 },
      { windowId: 'a', seq: 1, startedAt: 10 },
    ];
    expect(orderBatchRefs(rows(refs), 'time').map((ref) => `${ref.windowId}:${ref.seq}`)).toEqual([
      'a:0',
      'c:0',
      'a:1',
      'b:0',
      'b:1',
    ]);
    expect(orderBatchRefs([], 'time')).toEqual([]);
  });

  it('merges many windows in O(n log w) comparisons', () => {
    const random = seededRandom(5);
    const refs = Array.from({ length: 30_000 }, (_, index) => ({
      windowId: `w${index % 10_000}`,
      seq: Math.floor(index / 10_000),
      startedAt: Math.floor(index / 10_000) * 100 + randomInt(random, 50),
    }));
    const before = timeMergeComparisonsForTests();
    const merged = orderBatchRefs(rows(refs), 'time');
    const comparisons = timeMergeComparisonsForTests() - before;
    expect(merged).toEqual(sortedByTime(refs));
    // At most about 2 × log2(10,000) ≈ 27 per batch; a scan of every window per batch would make
    // about 10,000.
    expect(comparisons).toBeLessThan(40 * refs.length);
  });

  it('leaves the window order as read', () => {
    const refs: Ref[] = [
      { windowId: 'b', seq: 0, startedAt: 10 },
      { windowId: 'a', seq: 0, startedAt: 7 },
    ];
    expect(orderBatchRefs(rows(refs), 'window')).toEqual(refs);
    expect(orderBatchRefs(rows(refs), undefined)).toEqual(refs);
  });
});
