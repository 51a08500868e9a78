// How the Node binding hands answers over, compared in one process: each ADDON is a build of
// bindings-node's signalcraft.node (e.g. napi objects, or one JSON string parsed by index.js).
// Rounds interleave the addons, so a loaded machine slows every variant alike.
//   node benches/bindings-answers.mjs DIR ROUNDS NAME=ADDON_DIR...
// ADDON_DIR holds index.js + signalcraft.node (a copy of bindings-node). DIR is the
// bindings-ratio directory (bodies.jsonl, rules.json). Loops: `ingest` one commit per alert,
// `dryRun` (parse, route, the answer; no storage: the answer's share is largest there).
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const [dir, roundsArg, ...variants] = process.argv.slice(2);
const rounds = Number(roundsArg);
const require = createRequire(import.meta.url);
const engines = variants.map((v) => {
  const [name, path] = v.split('=');
  return { name, Engine: require(resolve(path)).Engine };
});

const raw = readFileSync(join(dir, 'bodies.jsonl'));
const bodies = [];
for (let start = 0; start < raw.length; ) {
  const end = raw.indexOf(10, start);
  bodies.push(raw.subarray(start, end));
  start = end + 1;
}
const rules = JSON.parse(readFileSync(join(dir, 'rules.json'), 'utf8'));
const headers = { 'Sentry-Hook-Resource': 'event_alert' };

function loop({ name, Engine }, mode, round) {
  const db = join(dir, `answers-${name}-${round}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
  const engine = new Engine(db);
  engine.createWorkspace('bench');
  engine.putRules('bench', rules);
  let check = 0;
  const start = process.hrtime.bigint();
  if (mode === 'ingest') {
    for (const body of bodies) check += engine.ingest('bench', 'sentry', headers, body).alerts.length;
  } else {
    for (const body of bodies) check += engine.dryRun('bench', 'sentry', headers, body).alerts.length;
  }
  const took = Number(process.hrtime.bigint() - start) / 1e9;
  engine.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
  if (check !== bodies.length) throw new Error(`${name}: ${check} alerts`);
  return bodies.length / took;
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
for (const mode of ['dryRun', 'ingest']) {
  const rates = Object.fromEntries(engines.map((e) => [e.name, []]));
  for (let r = 0; r < rounds; r++) {
    // alternate the order each round
    const order = r % 2 ? [...engines].reverse() : engines;
    for (const e of order) rates[e.name].push(loop(e, mode, r));
  }
  const base = median(rates[engines[0].name]);
  console.log(`${mode}: ` + engines.map((e) => {
    const m = median(rates[e.name]);
    return `${e.name} ${m.toFixed(0)}/s (${(m / base).toFixed(3)})`;
  }).join('  '));
}
