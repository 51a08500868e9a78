// Builds the native addon with cargo and puts it beside index.js as signalcraft.node.
//   node build.mjs [--release] [--if-missing]
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'signalcraft.node');
const args = process.argv.slice(2);
if (args.includes('--if-missing') && existsSync(out)) process.exit(0);

const release = args.includes('--release');
const cargo = ['build', '--locked', '-p', 'signalcraft-node', ...(release ? ['--release'] : [])];
execFileSync('cargo', cargo, { cwd: here, stdio: 'inherit' });

const target = process.env.CARGO_TARGET_DIR || join(here, '..', 'target');
const lib = { darwin: 'libsignalcraft_node.dylib', win32: 'signalcraft_node.dll' }[process.platform]
  ?? 'libsignalcraft_node.so';
// Copy beside, then rename over: a running process that has the old addon mapped keeps its
// file (copying in place would rewrite the pages under it and crash it).
const tmp = `${out}.${process.pid}.tmp`;
copyFileSync(join(target, release ? 'release' : 'debug', lib), tmp);
renameSync(tmp, out);
console.log(`built ${out}`);
