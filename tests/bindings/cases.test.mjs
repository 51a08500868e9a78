// The shared binding cases (cases.json) run through the Node package `signalcraft`
// (bindings-node). Run by ./scripts/test with `node --test`; the same list runs in Rust and Python.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', '..', 'core', 'tests', 'fixtures');
const { Engine } = createRequire(import.meta.url)(join(here, '..', '..', 'bindings-node'));
const suite = JSON.parse(readFileSync(join(here, 'cases.json'), 'utf8'));

const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

// {"$file": P} → the fixture's bytes; {"$var": N} → a value saved by an earlier step.
function resolve(value, saved) {
  if (Array.isArray(value)) return value.map((v) => resolve(v, saved));
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$file') return readFileSync(join(fixtures, value.$file));
    if (keys.length === 1 && keys[0] === '$var') return saved[value.$var];
    return Object.fromEntries(keys.map((k) => [k, resolve(value[k], saved)]));
  }
  return value;
}

// The value at a dotted path; `length` is an array's length.
const at = (answer, path) => path.split('.').reduce((v, part) => v[part], answer);

for (const c of suite.cases) {
  test(c.name, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signalcraft-cases-'));
    const engine = new Engine(join(dir, 'cases.db'), { now: suite.now });
    const saved = {};
    try {
      for (const [i, step] of c.steps.entries()) {
        const where = `step ${i} (${step.call}${step.async ? ', async' : ''})`;
        const args = resolve(step.args, saved);
        // an `async` step: the method's Promise face (methods.json's async.node)
        const name = camel(step.call) + (step.async ? 'Async' : '');
        assert.equal(typeof engine[name], 'function', `${where}: no ${name}`);
        const method = engine[name].bind(engine);
        if (step.error) {
          const check = (err) => {
            assert.ok(err instanceof Error, where);
            assert.equal(err.code, step.error.kind.toUpperCase(), `${where}: ${err.message}`);
            if (step.error.path) {
              assert.equal(err.path, step.error.path, `${where}: ${err.message}`);
              assert.ok(err.message.startsWith(`${step.error.path}: `), `${where}: ${err.message}`);
            }
            if (step.error.retry_after_secs !== undefined) {
              assert.equal(err.retryAfterSecs, step.error.retry_after_secs, where);
            }
            return true;
          };
          if (step.async) {
            const pending = method(...args);
            assert.ok(pending instanceof Promise, `${where}: not a Promise`);
            await assert.rejects(pending, check);
          } else {
            assert.throws(() => method(...args), check);
          }
          continue;
        }
        let answer = method(...args);
        if (step.async) {
          assert.ok(answer instanceof Promise, `${where}: not a Promise`);
          answer = await answer;
        }
        for (const [path, want] of Object.entries(step.expect ?? {})) {
          assert.deepEqual(at(answer, path), resolve(want, saved), `${where}: ${path} in ${JSON.stringify(answer)}`);
        }
        for (const [name, path] of Object.entries(step.save ?? {})) saved[name] = at(answer, path);
      }
    } finally {
      engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('dispatch returns a Promise of what it did', async () => {
  const engine = new Engine(null);
  engine.createWorkspace('acme');
  assert.deepEqual(await engine.dispatch('acme', 0), { sent: 0, failed: 0, pending: 0 });
  engine.close();
});

test('a closed engine rejects dispatch with the same Error as a thrown one', async () => {
  const engine = new Engine(null);
  engine.close();
  await assert.rejects(engine.dispatch('acme'), (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'INVALID_INPUT');
    assert.equal(err.path, 'engine');
    return true;
  });
});

test('errors that are not about input have a null path', () => {
  const engine = new Engine(null);
  engine.createWorkspace('acme');
  assert.throws(() => engine.group('acme', 'grp_nope'), (err) => err.code === 'NOT_FOUND' && err.path === null);
  engine.close();
});

test('index.d.ts declares exactly the methods the addon has', () => {
  const dts = readFileSync(join(here, '..', '..', 'bindings-node', 'index.d.ts'), 'utf8');
  const body = dts.slice(dts.indexOf('export class Engine'));
  const declared = [...body.matchAll(/^ {2}([a-zA-Z]+)\(/gm)].map((m) => m[1]).filter((n) => n !== 'constructor').sort();
  // `__…` methods are hooks for tests (perimeter.test.mjs), left out of the shipped types
  const actual = Object.getOwnPropertyNames(Engine.prototype)
    .filter((n) => n !== 'constructor' && !n.startsWith('__')).sort();
  assert.deepEqual(declared, actual);
});
