// SignalCraft for Node: the native addon, as it is (see index.d.ts for the types).
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const addon = join(__dirname, 'signalcraft.node');
if (!existsSync(addon)) {
  throw new Error(`signalcraft: the native addon is not built (${addon}); run \`npm run build\``);
}
module.exports = require(addon);
