// The ingest module's public surface: what the HTTP API, the CLI and the composition root use to turn request
// bodies into write batches (line protocol on the parse pool, JSON), to admit writes by size before reading them,
// and to queue them for the store's group commit. The files behind it:
//   line-protocol.ts  the parser of one line          validate.ts  points -> our schema, series, ingest rules
//   line-slices.ts    a body in slices of whole lines mapping.ts   Telegraf and other measurements -> results
//   parse-pool.ts     the worker threads that decode  transfer.ts  batches across the thread boundary
//   json.ts           JSON results                    admission.ts refusing a write before its body is read
//   queue.ts          the bounded queue and group commit
export { BYTES_PER_POINT, estimateDecodedBytes, WriteAdmission, type WriteTicket } from './admission.js';
export { decodeJsonResults, TestResultInput } from './json.js';
export { type Precision, parsePrecision } from './line-protocol.js';
export { LineSlicer, type Slice } from './line-slices.js';
export { type MappingSpecs, parseMappings, TELEGRAF_MAPPINGS, type UnknownMeasurements } from './mapping.js';
export { defaultParseWorkers, type IngestSettings, ParsePool, rulesOf } from './parse-pool.js';
export { IngestQueue } from './queue.js';
export { decodeLineProtocol, type IngestRules, MAX_SKIPPED_NAMES, SeriesCache } from './validate.js';
