/**
 * A binary min-heap: the item that `compare` puts first (`compare(a, b) < 0`: a before b) is
 * on top. Taking the top or changing it costs O(log n) comparisons. Items that compare equal
 * come out in no set order: a caller that needs a deterministic order gives a comparator under
 * which no two items are equal.
 */
export interface MinHeap<T> {
  /** How many items the heap holds. */
  readonly size: number;
  /** The first item, left in the heap; undefined when it is empty. */
  peek(): T | undefined;
  /** Adds an item. */
  push(item: T): void;
  /** Removes and returns the first item; undefined when the heap is empty. */
  pop(): T | undefined;
  /**
   * Puts `item` where the top was and moves it down to its place: a pop then a push in one
   * pass. Also the way to tell the heap that the top item's key changed (pass the top itself).
   */
  replaceTop(item: T): void;
}

/** A {@link MinHeap} of `items` (the array is taken, not copied), built in O(n). */
export function createMinHeap<T>(compare: (a: T, b: T) => number, items: T[] = []): MinHeap<T> {
  // items[0] is the top; the children of items[i] are items[2i + 1] and items[2i + 2], and
  // neither comes before its parent.
  const siftDown = (start: number) => {
    const item = items[start] as T;
    const length = items.length;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) {
        break;
      }
      const right = left + 1;
      let child = left;
      let childItem = items[left] as T;
      if (right < length) {
        const rightItem = items[right] as T;
        if (compare(rightItem, childItem) < 0) {
          child = right;
          childItem = rightItem;
        }
      }
      if (compare(childItem, item) >= 0) {
        break;
      }
      items[index] = childItem;
      index = child;
    }
    items[index] = item;
  };

  const siftUp = (start: number) => {
    const item = items[start] as T;
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentItem = items[parent] as T;
      if (compare(item, parentItem) >= 0) {
        break;
      }
      items[index] = parentItem;
      index = parent;
    }
    items[index] = item;
  };

  for (let index = (items.length >> 1) - 1; index >= 0; index--) {
    siftDown(index);
  }

  return {
    get size() {
      return items.length;
    },
    peek() {
      return items[0];
    },
    push(item) {
      items.push(item);
      siftUp(items.length - 1);
    },
    pop() {
      if (items.length === 0) {
        return undefined;
      }
      const top = items[0] as T;
      const last = items.pop() as T;
      if (items.length > 0) {
        items[0] = last;
        siftDown(0);
      }
      return top;
    },
    replaceTop(item) {
      if (items.length === 0) {
        items.push(item);
        return;
      }
      items[0] = item;
      siftDown(0);
    },
  };
}
