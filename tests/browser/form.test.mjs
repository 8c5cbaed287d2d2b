// form.test.mjs — the lookup form in a real browser: typed like a person
// types it, submitted with the keyboard, and the focus always visible.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, CODES, grouped, launch, newPage } from './lib.mjs';

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

test('form round trip: a lower-case, hyphenated code typed and sent with Enter lands on the canonical page', async () => {
    const page = await newPage(browser);
    const res = await page.goto(BASE + '/');
    assert.equal(res.status(), 200);
    assert.equal(await page.getAttribute('html', 'lang'), 'vi');
    // the field has a visible label tied to it
    const input = page.getByLabel('Mã tra cứu', { exact: true });
    assert.equal(await input.getAttribute('id'), 'code');
    const typed = ` ${grouped(CODES.valid).toLowerCase()} `;
    await input.click();
    await page.keyboard.type(typed);
    await Promise.all([page.waitForURL(`${BASE}/v/${CODES.valid}`), page.keyboard.press('Enter')]);
    assert.equal(page.url(), `${BASE}/v/${CODES.valid}`, 'the canonical URL (upper case, no hyphens)');
    assert.equal((await page.locator('h1').innerText()).trim(), 'Học bạ hợp lệ');
    assert.equal(await page.locator('.lookup-facts .code').innerText(), grouped(CODES.valid));
    assert.deepEqual(page.offsite, []);
});

test('form round trip: Tab to the button and press Space also submits', async () => {
    const page = await newPage(browser);
    await page.goto(BASE + '/');
    await page.locator('#code').fill(CODES.invalid.toLowerCase());
    await page.locator('#code').focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('type')), 'submit');
    await Promise.all([page.waitForURL(`${BASE}/v/${CODES.invalid}`), page.keyboard.press('Space')]);
    assert.match(await page.locator('h1').innerText(), /không hợp lệ/);
});

test('form: a mistyped code comes back as a 400 page that says what is wrong and keeps what was typed', async () => {
    const page = await newPage(browser);
    await page.goto(BASE + '/');
    // the valid code with its last symbol changed: a check-symbol mismatch
    const last = CODES.valid.at(-1) === '0' ? '1' : '0';
    const typo = CODES.valid.slice(0, 15) + last;
    await page.locator('#code').fill(typo);
    const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().includes('/lookup?')),
        page.locator('#code').press('Enter'),
    ]);
    assert.equal(res.status(), 400);
    await page.waitForLoadState();
    assert.equal(await page.locator('#code').inputValue(), typo);
    assert.equal(await page.locator('#code').getAttribute('aria-invalid'), 'true');
    const err = await page.locator('#code-error').innerText();
    assert.match(err, /gõ nhầm/, `the error says "probably mistyped": ${err}`);
    // the error is announced with the field
    assert.match(await page.locator('#code').getAttribute('aria-describedby'), /code-error/);
    // and the field has the focus, ready to correct
    assert.equal(await page.evaluate(() => document.activeElement.id), 'code');
});

// The focus indicator of the element that has the focus, as computed for :focus-visible.
async function focusStyle(page) {
    return page.evaluate(() => {
        const el = document.activeElement;
        const s = getComputedStyle(el);
        return {
            tag: el.tagName.toLowerCase(),
            id: el.id,
            type: el.getAttribute('type'),
            cls: el.className,
            text: (el.innerText || el.value || '').trim().slice(0, 40),
            focusVisible: el.matches(':focus-visible'),
            outlineStyle: s.outlineStyle,
            outlineWidth: parseFloat(s.outlineWidth),
            outlineColor: s.outlineColor,
            boxShadow: s.boxShadow,
        };
    });
}

function visibleIndicator(f) {
    return (f.outlineStyle !== 'none' && f.outlineWidth >= 2) || (f.boxShadow && f.boxShadow !== 'none');
}

test('keyboard: Tab reaches the skip link, the code input and the submit button, each with a visible focus indicator', async () => {
    const page = await newPage(browser);
    await page.goto(BASE + '/');
    const seen = [];
    for (let i = 0; i < 8; i++) {
        await page.keyboard.press('Tab');
        const f = await focusStyle(page);
        seen.push(f);
        assert.ok(f.focusVisible, `the focused ${f.tag} ${f.id || f.cls} matches :focus-visible`);
        assert.ok(visibleIndicator(f), `a visible focus indicator on ${f.tag} ${f.id || f.cls}: ${JSON.stringify(f)}`);
        if (f.type === 'submit') break;
    }
    assert.equal(seen[0].cls, 'skip-link', 'the first Tab stop is the skip link');
    const input = seen.findIndex((f) => f.id === 'code');
    const button = seen.findIndex((f) => f.type === 'submit');
    assert.ok(input > 0, `Tab reaches the code input: ${seen.map((f) => f.tag + '#' + f.id).join(' ')}`);
    assert.equal(button, input + 1, 'the submit button comes right after the input');
});

test('keyboard: the skip link moves the focus to the main content', async () => {
    const page = await newPage(browser);
    await page.goto(`${BASE}/v/${CODES.valid}`);
    await page.keyboard.press('Tab');
    const f = await focusStyle(page);
    assert.equal(f.cls, 'skip-link');
    // visible while focused: inside the viewport
    const box = await page.locator('.skip-link').boundingBox();
    assert.ok(box && box.y >= 0 && box.width > 0, `the skip link is on screen when focused: ${JSON.stringify(box)}`);
    await page.keyboard.press('Enter');
    // the fragment navigation ends after the key's events: wait for it (bounded), then check
    await page.waitForFunction(() => location.hash === '#main', null, { timeout: 3000 }).catch(() => {});
    assert.ok(page.url().endsWith('#main'), `the skip link leads to #main, the page is at ${page.url()}`);
    // the next Tab goes to something inside main, not back to the header
    await page.keyboard.press('Tab');
    assert.ok(await page.evaluate(() => document.querySelector('main').contains(document.activeElement)));
});

test('keyboard: links on the coloured banners and the print button show their focus', async () => {
    const page = await newPage(browser);
    await page.goto(`${BASE}/v/${CODES.recalled}`);
    await page.locator('.verdict a').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const f = await focusStyle(page);
    assert.equal(f.tag, 'a');
    assert.ok(visibleIndicator(f), JSON.stringify(f));
    await page.goto(`${BASE}/v/${CODES.valid}`);
    await page.locator('a.button').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const b = await focusStyle(page);
    assert.match(b.cls, /button/);
    assert.ok(visibleIndicator(b), JSON.stringify(b));
});
