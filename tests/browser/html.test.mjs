// html.test.mjs — every page type the portal serves, as served (plain fetch,
// no browser), checked by html-validate with its recommended rules: no error
// and no warning. One test per page, so a failure names the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HtmlValidate } from 'html-validate';
import { BASE, CODES, packageFiles, packageForm, report } from './lib.mjs';

// The preset as published, nothing turned off: the pages need no exception.
const validator = new HtmlValidate({ extends: ['html-validate:recommended'] });

// More header fields than the portal takes (docs/portal.md: 64, Host included): its 431 page.
const manyHeaders = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`x-filler-${i}`, 'x']));

// [name, path, expected status, fetch options]
const pages = [
    ['home (vi)', '/', 200],
    ['home (en)', '/?lang=en', 200],
    ['lookup, malformed code (400)', '/lookup?code=Q5VQ-QT42-TCX1-D4Q', 400],
    ['lookup, malformed code (400, en)', '/lookup?code=Q5VQ-QT42-TCX1-D4Q&lang=en', 400],
    ['page, malformed code (400)', '/v/Q5VQQT42TCX1D4Q', 400],
    ['not found, no such path (404)', '/no-such-page', 404],
    ['not found, a recall notice code (404)', `/v/${CODES.notice}`, 404],
    ['valid', `/v/${CODES.valid}`, 200],
    ['valid (en)', `/v/${CODES.valid}?lang=en`, 200],
    ['recalled, replaced', `/v/${CODES.recalled}`, 200],
    ['recalled, not replaced', `/v/${CODES.recalledNoRepl}`, 200],
    ['replacement', `/v/${CODES.replacement}`, 200],
    ['invalid', `/v/${CODES.invalid}`, 200],
    ['long transcript', `/v/${CODES.long}`, 200],
    ['print, valid', `/v/${CODES.valid}/print`, 200],
    ['print, valid (en)', `/v/${CODES.valid}/print?lang=en`, 200],
    ['print, recalled', `/v/${CODES.recalled}/print`, 200],
    ['print, invalid', `/v/${CODES.invalid}/print`, 200],
    ['print, long transcript', `/v/${CODES.long}/print`, 200],
    ['receipt', `/v/${CODES.valid}/receipt`, 200],
    ['receipt (en)', `/v/${CODES.valid}/receipt?lang=en`, 200],
    ['receipt, recalled', `/v/${CODES.recalled}/receipt`, 200],
    ['receipt of an invalid record (409)', `/v/${CODES.invalid}/receipt`, 409],
    ['file check, the form', '/check', 200],
    ['file check, the form (en)', '/check?lang=en', 200],
    ['file check, published files', '/check', 200, () => ({ method: 'POST', body: packageForm(packageFiles(CODES.valid)) })],
    ['file check, invalid files (en)', '/check?lang=en', 200, () => ({ method: 'POST', body: packageForm(packageFiles(CODES.invalid)) })],
    ['file check, malformed body (400)', '/check', 400, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: 'x' }],
    ['secondary, THCS grade 9 completed', `/v/${CODES.thcs9}`, 200],
    ['secondary, THCS grade 9 completed (en)', `/v/${CODES.thcs9}?lang=en`, 200],
    ['secondary, THPT grade 12', `/v/${CODES.thpt12}`, 200],
    ['secondary, THPT grade 12 (en)', `/v/${CODES.thpt12}?lang=en`, 200],
    ['print, THCS grade 9', `/v/${CODES.thcs9}/print`, 200],
    ['print, THPT grade 12 (en)', `/v/${CODES.thpt12}/print?lang=en`, 200],
    ['figures', '/stats', 200],
    ['figures, lower secondary (en)', '/stats?level=THCS&lang=en', 200],
    ['figures, a year without any (en)', '/stats?year=2019-2020&lang=en', 200],
    ['figures, a bad school year (400)', '/stats?year=2024', 400],
    ['method not allowed (405)', '/', 405, { method: 'DELETE' }],
    ['headers too large (431)', '/', 431, { headers: manyHeaders }],
];

for (const [name, path, status, opts] of pages) {
    test(`html-validate (recommended): ${name} ${path} has no error`, async () => {
        const res = await fetch(BASE + path, { redirect: 'manual', ...(typeof opts === 'function' ? opts() : opts) });
        assert.equal(res.status, status, `${path}: status`);
        assert.match(res.headers.get('content-type') || '', /^text\/html; charset=utf-8$/);
        const html = await res.text();
        const r = await validator.validateString(html, `${name}.html`);
        const messages = r.results.flatMap((f) =>
            f.messages.map((m) => `${m.line}:${m.column} ${m.severity === 2 ? 'error' : 'warning'} ${m.message} (${m.ruleId})`),
        );
        report('html', name, { path, status, errors: r.errorCount, warnings: r.warningCount, messages });
        assert.deepEqual(messages, [], `${path}:\n${messages.join('\n')}`);
    });
}
