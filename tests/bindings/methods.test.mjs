// Every method of methods.json exists on the Node Engine (the Rust test checks the list against
// the core's public methods).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { Engine } = createRequire(import.meta.url)(join(here, '..', '..', 'bindings-node'));
const { methods } = JSON.parse(readFileSync(join(here, 'methods.json'), 'utf8'));

test('the list is not empty', () => assert.ok(methods.length > 30));

for (const m of methods) {
  test(`the binding has ${m.node}`, () => {
    assert.equal(typeof Engine.prototype[m.node], 'function', `${m.node} (core ${m.core})`);
  });
}

// The awaitable faces: Promise-returning methods (their resolving is tested with the cases).
for (const m of methods.filter((x) => x.async)) {
  test(`the binding has ${m.async.node}, the awaitable ${m.node}`, () => {
    assert.equal(typeof Engine.prototype[m.async.node], 'function', `${m.async.node} (core ${m.core})`);
  });
}
