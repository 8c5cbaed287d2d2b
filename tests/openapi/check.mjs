// check.mjs LOGFILE — every answer of the portal's API that the C tests saw
// (tests/harness.c writes them to $HOCBA_API_LOG, one JSON line each) against
// the API's description, static/openapi.json; then `redocly lint
// --extends=recommended` of that description. One test per answer, one for
// the lint; the LAST line is `api-schema: N passed, M failed`, and the exit
// status is 1 when anything failed.
//
// For each answer: its operation (path template and method; a path under
// /api/ that matches none, or a method its path does not list, takes the
// answers the description's `x-other-answers` gives them, and a 405's Allow
// must name exactly the methods the path lists); its status must be one that
// operation lists; every header the response marks required must be there,
// and every header it describes must match its schema; the media type of
// Content-Type must be one the response lists (a response without content has
// no body); and the body must match that media type's schema (JSON parsed
// first; a body of another media type than JSON or text, a signed receipt, is
// bytes: it must only not be empty). A HEAD answer has the status and headers of its operation and no
// body. Each schema is compiled once (ajv, JSON Schema 2020-12, the dialect of
// OpenAPI 3.1), by its place in the description. API_SCHEMA_SHAPES=1 lists
// the shapes of answer seen (operation, status, media type): what the tests
// cover.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SPEC_PATH = path.join(ROOT, 'static/openapi.json');
const SPEC_ID = 'openapi.json';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8'));
const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
addFormats(ajv);
// The whole description is one schema resource, so that "#/components/..."
// references resolve in it. Its top-level members are no JSON Schema
// keywords: declared as annotations, so that strict mode takes the root (ajv
// compiles it to resolve references into it) and leaves them unread; the
// schemas inside are compiled where a pointer reaches them.
for (const k of Object.keys(spec)) if (!ajv.getKeyword(k)) ajv.addKeyword(k);
ajv.addSchema(spec, SPEC_ID);

// ---- pointers into the description -------------------------------------------------------

const pointerOf = (parts) => parts.map((p) => encodeURIComponent(String(p).replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

function at(parts) {
    let v = spec;
    for (const p of parts) v = v?.[p];
    return v;
}

// An object of the description and where it is, past a "$ref" chain (for
// responses and headers, which ajv does not resolve: only schemas are its).
function deref(parts) {
    for (let i = 0; i < 16; i++) {
        const v = at(parts);
        if (!v || typeof v.$ref !== 'string') return { value: v, parts };
        if (!v.$ref.startsWith('#/')) throw new Error(`cannot follow ${v.$ref}`);
        parts = v.$ref.slice(2).split('/').map((s) => decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~'));
    }
    throw new Error(`a $ref loop at ${pointerOf(parts)}`);
}

const validators = new Map();
function validatorAt(parts) {
    const key = pointerOf(parts);
    if (!validators.has(key)) validators.set(key, ajv.compile({ $ref: `${SPEC_ID}#/${key}` }));
    return validators.get(key);
}

function schemaErrors(parts, value) {
    const validate = validatorAt(parts);
    if (validate(value)) return null;
    return validate.errors
        .slice(0, 4)
        .map((e) => `${e.instancePath || '(top)'} ${e.message}${e.params?.allowedValue !== undefined ? ` (${JSON.stringify(e.params.allowedValue)})` : ''}`)
        .join('; ');
}

// ---- matching an answer to its operation ---------------------------------------------------

const templates = Object.keys(spec.paths ?? {}).map((t) => ({
    template: t,
    re: new RegExp('^' + t.split(/\{[^}]*\}/).map((s) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/?#]*') + '$'),
}));

// { label, responses: parts of the responses map, allow?: methods the path lists }
function operationOf(method, target) {
    const p = target.split('?')[0];
    const t = templates.find((x) => x.re.test(p));
    if (!t) return { label: `${method} (no such API path)`, responses: ['x-other-answers', 'unknownPath'] };
    const item = spec.paths[t.template];
    const listed = METHODS.filter((m) => item[m]).map((m) => m.toUpperCase());
    const m = method.toLowerCase();
    if (METHODS.includes(m) && item[m]) return { label: `${method} ${t.template}`, responses: ['paths', t.template, m, 'responses'] };
    return { label: `${method} ${t.template} (method not listed)`, responses: ['x-other-answers', 'unlistedMethod'], allow: listed };
}

// A header's text as its schema reads it (OpenAPI's "simple" style).
function headerValue(schema, text) {
    const type = schema?.type;
    if ((type === 'integer' || type === 'number') && /^-?[0-9]+(\.[0-9]+)?$/.test(text)) return Number(text);
    return text;
}

// ---- one answer ---------------------------------------------------------------------------

// JSON and text bodies are read as UTF-8 and checked against their schema; any other media type
// (application/pkcs7-mime) is bytes, only required not to be empty.
const textual = (mediaType) => /[/+]json$/.test(mediaType) || mediaType.startsWith('text/');

const shapes = new Set();

// Returns null when the answer keeps to the description, else what is wrong.
function check(a) {
    const target = a.target ?? Buffer.from(a.target_base64 ?? '', 'base64').toString('latin1');
    const op = operationOf(a.method, target);
    const status = String(a.status);
    const responses = deref(op.responses).value ?? {};
    const resParts = responses[status] ? [...op.responses, status] : responses.default ? [...op.responses, 'default'] : null;
    if (!resParts) return `${op.label}: status ${status} is not among the documented ${Object.keys(responses).join(', ')}`;
    const { value: res, parts: rp } = deref(resParts);
    const fields = new Map();
    for (const [n, v] of a.headers) fields.set(n, [...(fields.get(n) ?? []), v]);
    const problems = [];

    for (const name of Object.keys(res.headers ?? {})) {
        const { value: h, parts: hp } = deref([...rp, 'headers', name]);
        const values = fields.get(name.toLowerCase());
        if (!values) {
            if (h.required) problems.push(`the required header ${name} is missing`);
            continue;
        }
        if (values.length > 1) problems.push(`${name} is sent ${values.length} times`);
        const why = h.schema ? schemaErrors([...hp, 'schema'], headerValue(h.schema, values[0])) : null;
        if (why) problems.push(`header ${name}: ${JSON.stringify(values[0])}: ${why}`);
    }
    if (op.allow) {
        const allow = (fields.get('allow')?.[0] ?? '').split(',').map((s) => s.trim()).filter(Boolean).sort();
        if (allow.join(', ') !== [...op.allow].sort().join(', '))
            problems.push(`Allow says ${JSON.stringify(allow.join(', '))}, the path lists ${op.allow.join(', ')}`);
    }

    const body = a.body !== undefined ? Buffer.from(a.body, 'utf8') : Buffer.from(a.body_base64 ?? '', 'base64');
    const type = fields.get('content-type')?.[0];
    const mediaType = type?.split(';')[0].trim().toLowerCase();
    const content = res.content ?? {};
    const listed = Object.keys(content).find((k) => k.toLowerCase() === mediaType);
    shapes.add(`${op.label} ${status} ${listed ?? mediaType ?? '-'}`);
    if (Object.keys(content).length === 0) {
        if (body.length) problems.push(`a body of ${body.length} bytes where the response has no content`);
    } else if (!listed) {
        problems.push(`Content-Type ${type ?? '(none)'} is not among ${Object.keys(content).join(', ')}`);
    } else if (a.method === 'HEAD') {
        if (body.length) problems.push(`a body of ${body.length} bytes in answer to HEAD`);
    } else if (!textual(listed)) {
        // bytes (a signed receipt): neither JSON nor text, so no schema reads them; they are there
        if (body.length === 0) problems.push(`an empty ${listed} body`);
    } else if (a.body === undefined) {
        problems.push('the body is not UTF-8');
    } else if (content[listed].schema) {
        let value = a.body;
        let why = null;
        if (/[/+]json$/.test(listed)) {
            try {
                value = JSON.parse(a.body);
            } catch (e) {
                why = `not JSON: ${e.message}`;
            }
        }
        why ??= schemaErrors([...rp, 'content', listed, 'schema'], value);
        if (why) problems.push(`body: ${why}`);
    }
    return problems.length ? `${op.label} -> ${status}: ${problems.join('; ')}` : null;
}

// ---- the run --------------------------------------------------------------------------------

const logFile = process.argv[2];
if (!logFile) {
    console.error('usage: node tests/openapi/check.mjs LOGFILE');
    process.exit(2);
}
let passed = 0;
let failed = 0;
const fail = (what) => {
    failed++;
    console.log(`api-schema: FAIL ${what}`);
};

let lines = [];
try {
    lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.trim() !== '');
} catch (e) {
    fail(`cannot read ${logFile}: ${e.message}`);
}
if (lines.length === 0) fail(`no API answers in ${logFile}: the C tests were expected to write them (HOCBA_API_LOG)`);
for (const [i, line] of lines.entries()) {
    let a;
    try {
        a = JSON.parse(line);
    } catch (e) {
        fail(`line ${i + 1} of ${logFile} is not JSON: ${e.message}`);
        continue;
    }
    const what = `${a.method} ${a.target ?? '(target not UTF-8)'} (${a.client})`;
    let why;
    try {
        why = check(a);
    } catch (e) {
        why = `cannot check: ${e.message}`;
    }
    if (why) fail(`${what}: ${why}`);
    else passed++;
}
if (process.env.API_SCHEMA_SHAPES) for (const s of [...shapes].sort()) console.log(`api-schema: shape ${s}`);
console.log(`api-schema: ${lines.length} answers of ${shapes.size} shapes (operation, status, media type), ${validators.size} schemas compiled`);

// The description itself, by the ecosystem's linter (no telemetry, no update check).
const lint = spawnSync(path.join(ROOT, 'node_modules/.bin/redocly'), ['lint', '--extends=recommended', SPEC_PATH], {
    encoding: 'utf8',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
});
const lintOut = `${lint.stdout ?? ''}${lint.stderr ?? ''}`;
const warnings = /You have (\d+) warnings?/.exec(lintOut);
const summary = lintOut.split('\n').filter((l) => /valid|error|warning/i.test(l) && !/^\s*\d+ \|/.test(l)).slice(-2).join(' ').trim();
if (lint.status !== 0 || warnings) {
    process.stdout.write(lintOut);
    fail(`redocly lint --extends=recommended static/openapi.json: ${lint.error ? lint.error.message : summary || `exit status ${lint.status}`}`);
} else {
    passed++;
    console.log(`api-schema: redocly lint --extends=recommended static/openapi.json: ${summary}`);
}
console.log(`api-schema: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
