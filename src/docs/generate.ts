// Writes the reference pages docs/configuration.md, docs/cli.md and docs/http-api.md from the code
// (`npm run docs`); src/docs/reference.test.ts fails while a committed page differs from what this writes.
import { writeFileSync } from 'node:fs';
import { referencePages } from './reference.js';

const root = new URL('../../', import.meta.url);
for (const p of referencePages()) {
  writeFileSync(new URL(p.file, root), p.text);
  console.log(`wrote ${p.file}`);
}
