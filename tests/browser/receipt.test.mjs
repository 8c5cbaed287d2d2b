// receipt.test.mjs — issue 20 in a real browser: the file check's form (files set on its two
// inputs, submitted, the verdict read; no script on the page) and the printable verification
// receipt (its statement, its QR, the signed receipt downloaded and verified with the stock
// `openssl cms -verify` against the demo's receipt root), each audited by axe-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { BASE, CODES, DEMO_DIR, grouped, launch, newPage, outPath, packageFiles, report, run } from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

// axe-core on the page as it is now (the context bypasses the CSP only to inject axe).
async function audit(page, name) {
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async (tags) => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
        return r.violations.map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    }, TAGS);
    report('axe', name, { violations: violations.length, passes: 0, incomplete: [], details: violations });
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
}

// Choose the two files and submit the form, as a person does.
async function submitFiles(page, files) {
    await page.setInputFiles('#payload', files.json);
    await page.setInputFiles('#signature', files.p7s);
    const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().startsWith(`${BASE}/check`) && r.request().method() === 'POST'),
        page.locator('form.check-form button[type="submit"]').click(),
    ]);
    await page.waitForLoadState();
    return res;
}

test('file check: published files chosen in the form give a valid verdict and a link to the record', async () => {
    const page = await newPage(browser, { bypassCSP: true });
    const res0 = await page.goto(`${BASE}/`);
    assert.equal(res0.status(), 200);
    await Promise.all([page.waitForURL(`${BASE}/check`), page.locator('a[href="/check"]').click()]);
    assert.equal(await page.locator('script').count(), 0, 'the form works without JavaScript: the page has no script');
    const res = await submitFiles(page, packageFiles(CODES.valid));
    assert.equal(res.status(), 200);
    assert.equal((await page.locator('h1').innerText()).trim(), 'Tệp là học bạ có chữ ký số hợp lệ');
    const link = page.locator('.check-published a.code');
    assert.equal(await link.innerText(), grouped(CODES.valid));
    assert.equal(await link.getAttribute('href'), `/v/${CODES.valid}`);
    await page.screenshot({ path: outPath('check', 'published.png'), fullPage: true });
    await audit(page, 'file check, published (vi)');
    await Promise.all([page.waitForURL(`${BASE}/v/${CODES.valid}`), link.click()]);
    assert.deepEqual(page.offsite, []);
});

test('file check: an altered file gives an invalid verdict, says nothing of publication and names no one', async () => {
    const page = await newPage(browser, { bypassCSP: true, locale: 'en-GB' });
    await page.goto(`${BASE}/check?lang=en`);
    const files = packageFiles(CODES.valid);
    const json = fs.readFileSync(files.json, 'utf8');
    const altered = outPath('check', 'altered.json');
    fs.writeFileSync(altered, json.replace('"class"', '"Class"'));
    const res = await submitFiles(page, { json: altered, p7s: files.p7s });
    assert.equal(res.status(), 200);
    assert.equal((await page.locator('h1').innerText()).trim(), 'The files do not pass the checks');
    const body = await page.locator('main').innerText();
    assert.match(body, /Nothing is said about publication/);
    assert.match(body, /Integrity/);
    const payload = JSON.parse(json);
    for (const name of [payload.school.name, payload.student.full_name, ...payload.signers.map((s) => s.name)])
        assert.ok(!body.includes(name), `the answer names no one: found "${name}"`);
    await page.screenshot({ path: outPath('check', 'invalid.png'), fullPage: true });
    await audit(page, 'file check, invalid (en)');
});

test('file check: a form sent with one file comes back with the form and what is wrong', async () => {
    const page = await newPage(browser);
    await page.goto(`${BASE}/check`);
    // the inputs are required: a browser that ignores that (or a person who removes it) gets the 400 page
    await page.evaluate(() => document.querySelectorAll('input[type=file]').forEach((i) => i.removeAttribute('required')));
    await page.setInputFiles('#payload', packageFiles(CODES.valid).json);
    const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().startsWith(`${BASE}/check`) && r.request().method() === 'POST'),
        page.locator('form.check-form button[type="submit"]').click(),
    ]);
    assert.equal(res.status(), 400);
    await page.waitForLoadState();
    assert.match(await page.locator('#check-error').innerText(), /Cần cả hai tệp/);
    assert.match(await page.locator('#payload').getAttribute('aria-describedby'), /check-error/);
});

test('receipt: the printable page shows the statement and the QR, and its download verifies offline', async () => {
    const page = await newPage(browser, { bypassCSP: true, acceptDownloads: true });
    await page.goto(`${BASE}/v/${CODES.valid}`);
    await Promise.all([page.waitForURL(`${BASE}/v/${CODES.valid}/receipt`), page.locator(`a[href="/v/${CODES.valid}/receipt"]`).click()]);
    assert.equal((await page.locator('h1').innerText()).trim(), 'Biên nhận xác minh');
    const shown = await page.locator('pre.receipt-statement').innerText();
    const statement = JSON.parse(shown);
    assert.equal(statement.receipt, 'hocba.receipt.v1');
    assert.equal(statement.code, CODES.valid);
    assert.equal(statement.status, 'valid');
    // the QR image loads
    const qr = await page.locator('.receipt-qr img').evaluate((img) => img.complete && img.naturalWidth);
    assert.ok(qr > 0, 'the QR image is drawn');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('a[download]').click()]);
    assert.equal(download.suggestedFilename(), `hocba-receipt-${CODES.valid}.p7m`);
    const file = outPath('receipt', download.suggestedFilename());
    await download.saveAs(file);
    const out = outPath('receipt', 'statement.json');
    run('openssl', ['cms', '-verify', '-in', file, '-inform', 'DER', '-CAfile', path.join(DEMO_DIR, 'receipt', 'root.pem'), '-out', out]);
    assert.equal(fs.readFileSync(out, 'utf8').trim(), shown.trim(), 'the downloaded receipt signs the statement shown');
    // printed: the statement and the QR stay, the download button goes
    await page.emulateMedia({ media: 'print' });
    assert.ok(await page.locator('pre.receipt-statement').isVisible());
    assert.ok(await page.locator('.receipt-qr img').isVisible());
    assert.ok(!(await page.locator('a[download]').isVisible()), 'no download button on paper');
    await page.emulateMedia({ media: 'screen' });
    await page.screenshot({ path: outPath('receipt', 'receipt.png'), fullPage: true });
    await audit(page, 'receipt (vi)');
    assert.deepEqual(page.offsite, []);
});
