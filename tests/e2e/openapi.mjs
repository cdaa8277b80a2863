// The JSON APIs' description, as the server publishes it, checked by an
// OpenAPI validator of its own (@apidevtools/swagger-parser: the document
// against the OpenAPI 3.1 schema, every $ref resolved).
//
// Environment: SELFDATA_BASE (http://127.0.0.1:PORT).

import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';

const BASE = (process.env.SELFDATA_BASE || '').replace(/\/$/, '');
if (!BASE) {
  console.error('missing environment variable SELFDATA_BASE');
  process.exit(2);
}

const response = await fetch(`${BASE}/openapi.json`);
assert.equal(response.status, 200);
const doc = await response.json();
const api = await SwaggerParser.validate(structuredClone(doc));
assert.equal(api.openapi, '3.1.0');
const operations = Object.values(api.paths).flatMap((item) => Object.values(item));
assert.ok(operations.length >= 13, `only ${operations.length} operations`);
for (const op of operations) {
  assert.ok(op.operationId && op.summary, 'every operation has an id and a summary');
  assert.ok(op.responses['200'].content['application/json'].schema, `${op.operationId} has an answer schema`);
}
console.log(`openapi.json: valid OpenAPI ${api.openapi}, ${operations.length} operations`);
