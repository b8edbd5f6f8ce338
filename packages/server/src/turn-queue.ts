/**
 * What arrives during one event loop turn, handed over together at the turn's end
 * (`setImmediate`): one message to another thread, or one commit, instead of one per item.
 * A message across threads costs more than its content (it wakes the other thread).
 */
export interface TurnQueue<T> {
  push(item: T): void;
  /** Removes what waits and returns it, so that it is not handed over. */
  take(): T[];
}

/** A {@link TurnQueue} that gives each turn's items to `handOver` (never an empty list). */
export function createTurnQueue<T>(handOver: (items: T[]) => void): TurnQueue<T> {
  let items: T[] = [];
  const take = () => {
    const taken = items;
    items = [];
    return taken;
  };
  return {
    push(item) {
      items.push(item);
      if (items.length === 1) {
        setImmediate(() => {
          const ready = take();
          if (ready.length > 0) {
            handOver(ready);
          }
        });
      }
    },
    take,
  };
}
