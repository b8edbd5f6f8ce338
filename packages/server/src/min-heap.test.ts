import { describe, expect, it } from 'vitest';
import { createMinHeap } from './min-heap';
import { randomInt, seededRandom } from './test/seeded-random';

const byNumber = (a: number, b: number) => a - b;

describe('createMinHeap', () => {
  it('gives back what it was built with and what was pushed, smallest first', () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 200; trial++) {
      const initial = Array.from({ length: randomInt(random, 40) }, () => randomInt(random, 20));
      const heap = createMinHeap(byNumber, [...initial]);
      const model = [...initial];
      const popped: number[] = [];
      const expected: number[] = [];
      for (let step = 0; step < 80; step++) {
        const action = randomInt(random, 3);
        if (action === 0) {
          const item = randomInt(random, 20);
          heap.push(item);
          model.push(item);
        } else if (action === 1) {
          model.sort(byNumber);
          expect(heap.peek()).toBe(model[0]);
          popped.push(heap.pop() as number);
          expected.push(model.shift() as number);
        } else if (model.length > 0) {
          const item = randomInt(random, 20);
          model.sort(byNumber);
          model[0] = item;
          heap.replaceTop(item);
        }
        expect(heap.size).toBe(model.length);
      }
      while (heap.size > 0) {
        popped.push(heap.pop() as number);
      }
      expect(popped).toEqual([...expected, ...model.sort(byNumber)]);
    }
  });

  it('is empty when built empty: peek and pop give undefined, replaceTop adds', () => {
    const heap = createMinHeap<number>(byNumber);
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
    heap.replaceTop(3);
    expect(heap.pop()).toBe(3);
    expect(heap.size).toBe(0);
  });
});
