#!/usr/bin/env node
// Compares two XML files up to canonicalisation (attribute order, whitespace-only text, comments
// ignored) and prints "same" or where they differ. Exit 0 when equal, 1 when not.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseXml } from '../dist/sequence/xml/reader.js';
import { canonicalXml } from '../dist/sequence/xml/canonical.js';
import { decodeXmlBytes } from '../dist/sequence/xml/decode.js';

const [a, b] = process.argv.slice(2);
const canon = (f) => canonicalXml(parseXml(decodeXmlBytes(readFileSync(f), f).text, { input: f }).root);
const ca = canon(a);
const cb = canon(b);
if (ca === cb) {
  console.log(`same after canonicalisation: ${basename(a)} ↔ ${basename(b)} (${ca.length} canonical characters)`);
} else {
  let i = 0;
  while (i < ca.length && ca[i] === cb[i]) i++;
  console.log(`DIFFERENT: ${a} vs ${b} at canonical offset ${i}:\n  ${ca.slice(Math.max(0, i - 80), i + 80)}\n  ${cb.slice(Math.max(0, i - 80), i + 80)}`);
  process.exit(1);
}
