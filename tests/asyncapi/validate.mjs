// Validates docs/asyncapi.yaml with the official AsyncAPI parser (@asyncapi/parser): fails on any
// diagnostic of severity "error" and prints warnings. Run by tools/test-asyncapi.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Parser } from '@asyncapi/parser';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.resolve(here, '../../docs/asyncapi.yaml');
const text = await readFile(file, 'utf8');
const parser = new Parser();
const { document, diagnostics } = await parser.parse(text, { source: file });
const names = ['error', 'warning', 'info', 'hint'];
let errors = 0;
for (const d of diagnostics) {
  const severity = names[d.severity] ?? String(d.severity);
  if (d.severity === 0) errors += 1;
  console.log(`${severity}: ${d.code}: ${d.message} at ${(d.path || []).join('.')}`);
}
if (errors > 0 || !document) {
  console.error(`asyncapi: ${errors} error(s) in docs/asyncapi.yaml`);
  process.exit(1);
}
console.log(`asyncapi: docs/asyncapi.yaml is a valid AsyncAPI ${document.version()} document ` +
  `(${document.channels().length} channels, ${document.messages().length} messages)`);
