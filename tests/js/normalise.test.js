// The JavaScript normaliser against the same vectors as tests/test_normalise.py.
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const fs = require("node:fs");
const { normaliseText, fold, faNumber } = require("../../theme/static/js/normalise.js");

const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "normalise_vectors.json"), "utf8"));

for (const v of vectors.vectors) {
  test(`normaliseText: ${v.name}`, () => assert.equal(normaliseText(v.input), v.normalised));
  test(`fold: ${v.name}`, () => assert.equal(fold(v.input), v.folded));
}
for (const v of vectors.multiline) {
  test(`multiline: ${v.name}`, () => assert.equal(normaliseText(v.input, true), v.normalised));
}
for (const v of vectors.numbers) {
  test(`faNumber: ${v.value}`, () => assert.equal(faNumber(v.value), v.written));
}
