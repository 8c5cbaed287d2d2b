// a11y.test.mjs — an axe-core audit (WCAG 2.0/2.1 A and AA rules) of every
// page type, in Vietnamese and in English: no violation allowed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { BASE, CODES, launch, newPage, pageTypes, report, sharedPage } from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core'); // node_modules/axe-core/axe.js
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

async function audit(page) {
    return page.evaluate(async (tags) => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
        return {
            violations: r.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
            })),
            passes: r.passes.length,
            incomplete: r.incomplete.map((v) => v.id),
            version: axe.version,
        };
    }, TAGS);
}

const pages = [...pageTypes(), ['recalled-no-replacement', `/v/${CODES.recalledNoRepl}`, 200], ['print-long', `/v/${CODES.long}/print`, 200]];
for (const lang of ['vi', 'en']) {
    for (const [name, path, status] of pages) {
        test(`axe-core ${TAGS.join(',')}: ${name} (${lang}) has no violation`, async () => {
            // The portal's Content-Security-Policy forbids every script, axe-core
            // included: this context bypasses the CSP only so the audit can be
            // injected; the pages themselves never run a script.
            const page = await sharedPage(browser, `axe-${lang}`, { bypassCSP: true, locale: lang === 'en' ? 'en-GB' : 'vi-VN' });
            const res = await page.goto(BASE + path);
            assert.equal(res.status(), status);
            assert.equal(await page.getAttribute('html', 'lang'), lang);
            await page.addScriptTag({ path: AXE });
            const r = await audit(page);
            report('axe', `${name} (${lang})`, {
                violations: r.violations.length,
                passes: r.passes,
                incomplete: r.incomplete,
                axe: r.version,
                details: r.violations,
            });
            assert.deepEqual(r.violations, [], JSON.stringify(r.violations, null, 1));
        });
    }
}

test('the pages run no script of their own: the CSP blocks an injected one when not bypassed', async () => {
    const page = await newPage(browser);
    await page.goto(`${BASE}/v/${CODES.valid}`);
    assert.equal(await page.locator('script').count(), 0);
    await assert.rejects(page.addScriptTag({ path: AXE }), 'the CSP refuses an inline script');
});
