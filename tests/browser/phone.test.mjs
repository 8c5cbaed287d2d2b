// phone.test.mjs — every page type on a 360 and a 400 px wide phone: a
// full-page screenshot is saved (OUT/phone/) and checked, and the page must
// not scroll sideways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BASE, launch, newPage, outPath, pageTypes, report, sharedPage } from './lib.mjs';

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

// Width and height of a PNG, from its IHDR chunk.
function pngSize(file) {
    const b = fs.readFileSync(file);
    assert.equal(b.toString('latin1', 1, 4), 'PNG', `${file} is a PNG`);
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

const results = {};
for (const width of [360, 400]) {
    for (const [name, path, status] of pageTypes()) {
        test(`phone ${width}px: ${name} has no horizontal scroll`, async () => {
            const page = await sharedPage(browser, `phone-${width}`, {
                viewport: { width, height: 780 },
                deviceScaleFactor: 1,
                isMobile: true,
                hasTouch: true,
            });
            const res = await page.goto(BASE + path);
            assert.equal(res.status(), status);
            const m = await page.evaluate(() => {
                const d = document.documentElement;
                // visually hidden (clipped to nothing, for screen readers only)
                const clipped = (e) => {
                    for (; e && e !== document.body; e = e.parentElement) {
                        const s = getComputedStyle(e);
                        if ((s.clipPath !== 'none' && s.clipPath !== '') || (s.clip !== 'auto' && s.clip !== '')) return true;
                    }
                    return false;
                };
                // visible elements whose box reaches past the right edge of the viewport
                const wide = [...document.querySelectorAll('body *')]
                    .filter((e) => {
                        const r = e.getBoundingClientRect();
                        return r.width > 0 && r.right > d.clientWidth + 0.5 && !clipped(e);
                    })
                    .slice(0, 5)
                    .map((e) => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)}px)`);
                return {
                    scrollWidth: d.scrollWidth,
                    clientWidth: d.clientWidth,
                    bodyScrollWidth: document.body.scrollWidth,
                    height: d.scrollHeight,
                    fontSize: parseFloat(getComputedStyle(document.body).fontSize),
                    wide,
                };
            });
            const file = outPath('phone', `${width}-${name}.png`);
            await page.screenshot({ path: file, fullPage: true });
            const png = pngSize(file);
            results[`${width}-${name}`] = { ...m, screenshot: file, png };
            assert.equal(m.clientWidth, width);
            assert.ok(
                m.scrollWidth <= m.clientWidth,
                `${name} at ${width}px scrolls sideways: scrollWidth ${m.scrollWidth} > clientWidth ${m.clientWidth}; too wide: ${m.wide.join(', ')}`,
            );
            assert.ok(m.bodyScrollWidth <= m.clientWidth, `body scrollWidth ${m.bodyScrollWidth}`);
            assert.deepEqual(m.wide, [], 'no element reaches past the right edge');
            // the full-page screenshot is exactly as wide as the phone: nothing to scroll to
            assert.equal(png.width, width, `screenshot ${file} is ${png.width}px wide`);
            assert.ok(m.fontSize >= 16, `body text is at least 16px (${m.fontSize})`);
            report('phone', `${width}-${name}`, results[`${width}-${name}`]);
        });
    }
}

test('phone 360px: the code field and its button are big enough to tap and side by side or stacked, never cut', async () => {
    const page = await newPage(browser, { viewport: { width: 360, height: 780 }, isMobile: true, hasTouch: true });
    await page.goto(BASE + '/');
    const input = await page.locator('#code').boundingBox();
    const button = await page.locator('button[type=submit]').boundingBox();
    for (const [n, b] of [['input', input], ['button', button]]) {
        assert.ok(b.height >= 44, `${n} is at least 44px tall (${b.height})`);
        assert.ok(b.x >= 0 && b.x + b.width <= 360, `${n} fits the width: ${JSON.stringify(b)}`);
    }
    assert.ok(input.width >= 200, `the input is wide enough for a code (${input.width}px)`);
});
