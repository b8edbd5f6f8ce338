import { z } from 'zod';
import { EventType } from './events';
import {
  BATCH_MAX_EVENTS,
  ID_MAX_LENGTH,
  ID_PATTERN,
  type IngestBatch,
  SEQ_MAX,
  TIMESTAMP_MAX,
  WIRE_VERSION,
  WIRE_VERSION_DELTAS,
} from './wire';

// The zod schema lives apart from the wire constants so that the browser recorder, which
// imports only constants and types, never bundles zod.

const idSchema = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, { error: `${what} must not be empty` })
    .max(ID_MAX_LENGTH, { error: `${what} must be at most ${ID_MAX_LENGTH} characters` })
    .regex(ID_PATTERN, { error: `${what} may contain only letters, digits, "-" and "_"` });

const knownEventTypes = new Set<number>(Object.values(EventType));

export const recordedEventSchema = z.looseObject({
  type: z
    .number({ error: 'event.type must be a number' })
    .int()
    .refine((type) => knownEventTypes.has(type), {
      error: 'event.type must be an rrweb event type (0 to 6)',
    }),
  data: z.unknown(),
  timestamp: z
    .number({ error: 'event.timestamp must be a number of milliseconds since 1970' })
    .finite({ error: 'event.timestamp must be finite' })
    .nonnegative({ error: 'event.timestamp must not be negative' })
    .max(TIMESTAMP_MAX, {
      error: `event.timestamp must be at most ${TIMESTAMP_MAX} (2^53 - 1 ms since 1970): a time in milliseconds, not nanoseconds`,
    }),
});

export const ingestBatchSchema = z.object({
  v: z.union([z.literal(WIRE_VERSION), z.literal(WIRE_VERSION_DELTAS)], {
    error: `v must be ${WIRE_VERSION} or ${WIRE_VERSION_DELTAS}, the wire format version`,
  }),
  sessionId: idSchema('sessionId'),
  windowId: idSchema('windowId'),
  seq: z
    .number({ error: 'seq must be a number' })
    .int({ error: 'seq must be a whole number' })
    .min(0, { error: 'seq must not be negative' })
    .max(SEQ_MAX, { error: 'seq is too large' }),
  sentAt: z
    .number({ error: 'sentAt must be a number of milliseconds since 1970, when the batch was sent' })
    .finite({ error: 'sentAt must be finite' })
    .nonnegative({ error: 'sentAt must not be negative' })
    .max(TIMESTAMP_MAX, {
      error: `sentAt must be at most ${TIMESTAMP_MAX} (2^53 - 1 ms since 1970): a time in milliseconds, not nanoseconds`,
    })
    .optional(),
  events: z
    .array(recordedEventSchema, { error: 'events must be an array of rrweb events' })
    .min(1, { error: 'events must not be empty' })
    .max(BATCH_MAX_EVENTS, { error: `a batch may hold at most ${BATCH_MAX_EVENTS} events` }),
});

export type BatchParseResult = { ok: true; batch: IngestBatch } | { ok: false; message: string };

/**
 * Validates an already parsed JSON body as a batch. The message of a failure names the
 * first offending field and what it must be.
 */
export function parseBatch(body: unknown): BatchParseResult {
  const result = ingestBatchSchema.safeParse(body);
  if (result.success) {
    return { ok: true, batch: result.data as IngestBatch };
  }
  const issue = result.error.issues[0];
  const path = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return { ok: false, message: `${path}${issue?.message ?? 'invalid batch'}` };
}
