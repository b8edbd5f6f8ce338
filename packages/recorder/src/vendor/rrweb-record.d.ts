// Types of rrweb-record.js, the trimmed copy of @rrweb/record that scripts/trim-rrweb.mjs
// generates at install: its `record` is @rrweb/record's, minus code replaykit never runs.
export { record } from '@rrweb/record';
