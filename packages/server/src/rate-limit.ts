/**
 * A token bucket per key: `ratePerSecond` tokens flow in, up to `burst`; each request
 * takes one. Kept in memory per process, so behind a load balancer each process limits
 * on its own (the effective limit is the sum).
 */

/** Most buckets kept; the least recently used are dropped beyond it (a full bucket is the default anyway). */
const MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** The answer of {@link RateLimiter.take}. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Limits requests per key. */
export interface RateLimiter {
  /** Takes a token for `key` at time `now` (ms), or says how long to wait for one. */
  take(key: string, now?: number): RateDecision;
}

/** Creates a token-bucket limiter. */
export function createRateLimiter(ratePerSecond: number, burst: number): RateLimiter {
  const buckets = new Map<string, Bucket>();
  return {
    take(key, now = Date.now()) {
      const bucket = buckets.get(key) ?? { tokens: burst, updatedAt: now };
      buckets.delete(key);
      const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1_000;
      bucket.tokens = Math.min(burst, bucket.tokens + elapsedSeconds * ratePerSecond);
      bucket.updatedAt = now;
      // Re-inserted last, so the Map's order is least recently used first.
      buckets.set(key, bucket);
      if (buckets.size > MAX_BUCKETS) {
        const oldest = buckets.keys().next().value;
        if (oldest !== undefined) {
          buckets.delete(oldest);
        }
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond)) };
    },
  };
}
