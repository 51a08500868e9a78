// The bindings-ratio ingest loop in Node (see benches/src/bin/bindings-ratio.rs).
//   node benches/bindings-ratio.mjs DIR per_alert|batch_100    # prints alerts_per_sec=X
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { Engine } = createRequire(import.meta.url)(join(here, '..', 'bindings-node'));
const [dir, mode] = process.argv.slice(2);

// Buffers, like a host's HTTP server hands them over.
const raw = readFileSync(join(dir, 'bodies.jsonl'));
const bodies = [];
for (let start = 0; start < raw.length; ) {
  const end = raw.indexOf(10, start);
  bodies.push(raw.subarray(start, end));
  start = end + 1;
}
const rules = JSON.parse(readFileSync(join(dir, 'rules.json'), 'utf8'));
const db = join(dir, `node-${mode}.db`);
for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
const engine = new Engine(db);
engine.createWorkspace('bench');
engine.putRules('bench', rules);
const headers = { 'Sentry-Hook-Resource': 'event_alert' };

const start = process.hrtime.bigint();
if (mode === 'per_alert') {
  for (const body of bodies) engine.ingest('bench', 'sentry', headers, body);
} else {
  for (let i = 0; i < bodies.length; i += 100) {
    const batch = bodies.slice(i, i + 100).map((body) => ({ source: 'sentry', headers, body }));
    for (const slot of engine.ingestBatch('bench', batch)) if (!slot.ok) throw new Error(JSON.stringify(slot));
  }
}
const took = Number(process.hrtime.bigint() - start) / 1e9;
engine.close();
console.log(`alerts_per_sec=${(bodies.length / took).toFixed(1)}`);
