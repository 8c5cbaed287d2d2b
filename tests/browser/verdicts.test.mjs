// verdicts.test.mjs — each verdict page as a person sees it in the browser
// (rendered text, not markup), in Vietnamese and in English.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, CODES, grouped, launch, newPage, payloadOf, report, shownScore } from './lib.mjs';

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

const text = async (page, sel) => (await page.locator(sel).innerText()).replace(/\s+/g, ' ').trim();

test('valid: a green banner with its icon and words, the code by four, the pupil, the subjects and who signed', async () => {
    const page = await newPage(browser);
    const res = await page.goto(`${BASE}/v/${CODES.valid}`);
    assert.equal(res.status(), 200);
    const p = payloadOf(CODES.valid);
    const banner = page.locator('.verdict');
    assert.equal(await banner.getAttribute('class'), 'verdict verdict-valid');
    assert.equal(await text(page, '.verdict h1'), 'Học bạ hợp lệ');
    assert.equal(await banner.locator('svg.icon-valid').count(), 1, 'the banner has its own icon');
    assert.equal(await text(page, '.lookup-facts .code'), grouped(CODES.valid));
    assert.equal(await text(page, '.pupil-name'), p.student.full_name);
    const body = await page.locator('main').innerText();
    assert.ok(body.includes(p.school.name), 'the school');
    assert.ok(body.includes(p.school_year), 'the school year');
    // the citizen id masked to its last 3 digits, never whole
    assert.ok(body.includes('*********' + p.student.citizen_id.slice(-3)));
    assert.ok(!body.includes(p.student.citizen_id.slice(0, 9)));
    assert.ok(!body.includes(p.student.address) && !body.includes(p.student.guardian_name));
    // the subjects table: one row per subject, level in words and code, the score
    const rows = page.locator('#h-subjects + table tbody tr');
    assert.equal(await rows.count(), p.subjects.length);
    const levels = { T: 'Hoàn thành tốt', H: 'Hoàn thành', C: 'Chưa hoàn thành' };
    for (let i = 0; i < p.subjects.length; i++) {
        const s = p.subjects[i];
        const cells = await rows.nth(i).locator('th, td').allInnerTexts();
        assert.equal(cells[0].trim(), s.name);
        assert.equal(cells[1].replace(/\s+/g, ' ').trim(), `${levels[s.level]} (${s.level})`);
        assert.equal(cells[2].trim(), s.score === undefined ? '—' : String(s.score));
    }
    assert.equal(await page.locator('#h-qualities + table tbody tr').count(), p.qualities.length);
    assert.equal(await page.locator('#h-competencies + table tbody tr').count(), p.competencies.length);
    // who signed, as what, when
    const signers = await page.locator('.signers tbody tr').allInnerTexts();
    assert.equal(signers.length, 3);
    const all = signers.join('\n');
    for (const r of ['Giáo viên chủ nhiệm', 'Hiệu trưởng']) assert.ok(all.includes(r), r);
    for (const s of p.signers) assert.ok(all.includes(s.name), s.name);
    assert.match(all, /\d\d\/\d\d\/\d{4} \d\d:\d\d/);
    // a printable copy is offered
    assert.equal(await page.locator(`a[href="/v/${CODES.valid}/print"]`).count(), 1);
    assert.deepEqual(page.offsite, []);
    assert.deepEqual(page.consoleErrors, []);
});

test('secondary: a THCS grade-9 record that completed lower secondary says so in the first screenful; its subjects by semester and year as signed', async () => {
    for (const lang of ['vi', 'en']) {
        const page = await newPage(browser, { locale: lang === 'en' ? 'en-GB' : 'vi-VN' });
        const res = await page.goto(`${BASE}/v/${CODES.thcs9}`);
        assert.equal(res.status(), 200);
        const p = payloadOf(CODES.thcs9);
        assert.equal(p.grade, 9);
        assert.equal(p.decision, 'HOAN_THANH');
        const done = page.locator('.completion');
        const words = lang === 'en' ? 'Completed lower secondary education' : 'Đã hoàn thành chương trình trung học cơ sở';
        assert.equal(await done.locator('strong').innerText(), words);
        const box = await done.boundingBox();
        assert.ok(box && box.y + box.height <= 900, `the confirmation is in the first screenful (${JSON.stringify(box)})`);
        assert.ok(box.y < (await page.locator('.paper-ids').boundingBox()).y, 'above the school and the pupil');
        // one row per subject; a subject by score shows its averages with one decimal, as signed
        const rows = page.locator('#h-subjects + table tbody tr');
        assert.equal(await rows.count(), p.subjects.length);
        for (let i = 0; i < p.subjects.length; i++) {
            const s = p.subjects[i];
            const cells = (await rows.nth(i).locator('th, td').allInnerTexts()).map((c) => c.replace(/\s+/g, ' ').trim());
            assert.ok(cells[0].startsWith(s.name), `${cells[0]} is ${s.name}`);
            if (s.assessment === 'score' && !s.exempt)
                assert.deepEqual(cells.slice(1, 4), [shownScore(s.hk1, lang), shownScore(s.hk2, lang), shownScore(s.year, lang)]);
            if (s.exempt) assert.ok(cells[1].startsWith(lang === 'en' ? 'Exempt' : 'Miễn'), cells[1]);
        }
        assert.equal(await page.locator('#h-results + table tbody tr').count(), p.conduct ? 2 : 1);
        assert.deepEqual(page.offsite, []);
    }
});

test('secondary: a THPT grade-12 record marks its four electives and has no grade-9 confirmation', async () => {
    const page = await newPage(browser);
    await page.goto(`${BASE}/v/${CODES.thpt12}`);
    const p = payloadOf(CODES.thpt12);
    assert.equal(p.level, 'THPT');
    assert.equal(p.grade, 12);
    const electives = await page.locator('#h-subjects + table tbody th:has(.elective) span[lang="vi"]').allInnerTexts();
    assert.deepEqual(electives, p.subjects.filter((s) => s.elective).map((s) => s.name));
    assert.equal(electives.length, 4);
    assert.equal(await page.locator('.completion').count(), 0);
    assert.ok((await text(page, '#h-decision + p')).startsWith('Hoàn thành chương trình trung học phổ thông'));
});

test('recalled: date, reason and a working link to the replacement; the content marked as withdrawn', async () => {
    const page = await newPage(browser);
    await page.goto(`${BASE}/v/${CODES.recalled}`);
    assert.equal(await page.locator('.verdict').getAttribute('class'), 'verdict verdict-recalled');
    assert.equal(await text(page, '.verdict h1'), 'Học bạ đã bị thu hồi');
    assert.equal(await page.locator('.verdict svg.icon-recalled').count(), 1);
    const banner = await text(page, '.verdict');
    assert.match(banner, /Ngày thu hồi:? \d\d\/\d\d\/\d{4}/);
    assert.match(banner, /Lý do:? \S+/);
    assert.ok(banner.includes('Sai sót điểm kiểm tra định kì môn Toán'), banner);
    assert.ok((await text(page, '.withdrawn-mark')).includes('ĐÃ THU HỒI'));
    assert.equal(await page.locator('.paper-withdrawn').count(), 1);
    // no printable copy of a withdrawn record
    assert.equal(await page.locator('a[href*="/print"]').count(), 0);
    const link = page.getByRole('link', { name: grouped(CODES.replacement) });
    assert.equal(await link.count(), 1, 'the replacement is a link named by its code');
    await Promise.all([page.waitForURL(`${BASE}/v/${CODES.replacement}`), link.click()]);
    assert.equal(await text(page, '.verdict h1'), 'Học bạ hợp lệ');
    // and the replacement links back to what it replaces
    const back = await text(page, '.supersedes');
    assert.ok(back.includes(grouped(CODES.recalled)), back);
});

test('recalled without a replacement says so', async () => {
    const page = await newPage(browser);
    await page.goto(`${BASE}/v/${CODES.recalledNoRepl}`);
    assert.equal(await page.locator('.verdict-recalled').count(), 1);
    assert.ok((await text(page, '.verdict')).includes('Nhà trường chưa phát hành học bạ thay thế.'));
});

test('invalid: the failed check in plain words and what to do; no pupil, no transcript, no QR', async () => {
    const page = await newPage(browser);
    const res = await page.goto(`${BASE}/v/${CODES.invalid}`);
    assert.equal(res.status(), 200);
    const p = payloadOf(CODES.invalid);
    assert.equal(await page.locator('.verdict').getAttribute('class'), 'verdict verdict-invalid');
    assert.equal(await text(page, '.verdict h1'), 'Học bạ không hợp lệ');
    assert.equal(await page.locator('.verdict svg.icon-invalid').count(), 1);
    const failed = await page.locator('.checks > li').allInnerTexts();
    assert.ok(failed.length >= 1);
    assert.ok(failed[0].startsWith('Chứng thư số của người ký đã bị thu hồi.'), failed[0]);
    assert.ok(failed[0].includes('Giáo viên chủ nhiệm'), 'which signer');
    const banner = await text(page, '.verdict');
    assert.ok(banner.includes('Cần làm gì?') && banner.includes('Liên hệ nhà trường'), 'what to do');
    // the server's technical detail (English) is folded away, and opens from the keyboard
    const detail = page.locator('.check-detail').first();
    assert.equal(await detail.locator('p').isVisible(), false, 'the technical detail is folded');
    assert.equal(await detail.locator('p').getAttribute('lang'), 'en');
    await detail.locator('summary').focus();
    await page.keyboard.press('Enter');
    assert.equal(await detail.locator('p').isVisible(), true, 'Enter on the summary opens it');
    assert.match(await detail.locator('p').innerText(), /revoked/);
    const html = await page.content();
    assert.ok(!html.includes(p.student.full_name), 'no pupil name');
    assert.ok(!html.includes(p.student.id), 'no pupil id');
    assert.equal(await page.locator('.paper, .signers, img').count(), 0, 'no transcript, no signers, no QR');
});

test('a recall notice code is a 404 page with the form to try again', async () => {
    const page = await newPage(browser);
    const res = await page.goto(`${BASE}/v/${CODES.notice}`);
    assert.equal(res.status(), 404);
    assert.equal(await text(page, 'h1'), 'Không tìm thấy');
    assert.equal(await page.locator('form.lookup-form #code').count(), 1);
});

test('English via ?lang=en: the page, its title, its links keep the language', async () => {
    const page = await newPage(browser); // a Vietnamese browser
    await page.goto(`${BASE}/v/${CODES.recalled}?lang=en`);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await text(page, '.verdict h1'), 'Recalled transcript');
    assert.match(await page.title(), /^Recalled transcript · /);
    assert.match(await text(page, '.verdict'), /Recalled on:? \d\d\/\d\d\/\d{4}/);
    const sw = page.locator('.lang-switch');
    assert.equal(await sw.getAttribute('lang'), 'vi');
    assert.equal(await sw.innerText(), 'Tiếng Việt');
    await Promise.all([page.waitForURL(/\?lang=en$/), page.getByRole('link', { name: grouped(CODES.replacement) }).click()]);
    assert.equal(await text(page, '.verdict h1'), 'Valid transcript');
    await Promise.all([page.waitForURL(/lang=vi$/), sw.click()]);
    assert.equal(await page.getAttribute('html', 'lang'), 'vi');
    assert.equal(await text(page, '.verdict h1'), 'Học bạ hợp lệ');
});

test('English via Accept-Language: an English browser gets English pages, Vietnamese is one link away', async () => {
    const page = await newPage(browser, { locale: 'en-GB' });
    await page.goto(`${BASE}/`);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await text(page, 'h1'), 'Check a Học bạ số transcript');
    await page.locator('#code').fill(CODES.invalid);
    await Promise.all([page.waitForURL(`${BASE}/v/${CODES.invalid}`), page.locator('#code').press('Enter')]);
    assert.equal(await text(page, '.verdict h1'), 'Invalid transcript');
    const failed = await text(page, '.checks');
    assert.match(failed, /revoked/);
    assert.ok((await text(page, '.verdict')).includes('Contact the school'));
});

test('page sizes in bytes (HTML as served, the stylesheet, the QR)', async () => {
    const sizes = {};
    const get = async (name, p, lang = 'vi') => {
        const r = await fetch(BASE + p, { headers: { 'accept-language': lang }, redirect: 'manual' });
        const b = Buffer.from(await r.arrayBuffer());
        sizes[name] = { path: p, status: r.status, bytes: b.length, gzip: (await import('node:zlib')).gzipSync(b).length };
        return b;
    };
    await get('home', '/');
    await get('lookup-error (400)', '/lookup?code=Q5VQ-QT42-TCX1-D4Q');
    await get('valid', `/v/${CODES.valid}`);
    await get('valid (en)', `/v/${CODES.valid}?lang=en`);
    await get('recalled', `/v/${CODES.recalled}`);
    await get('invalid', `/v/${CODES.invalid}`);
    await get('print', `/v/${CODES.valid}/print`);
    await get('print (long)', `/v/${CODES.long}/print`);
    await get('secondary (THCS 9)', `/v/${CODES.thcs9}`);
    await get('print (THPT 12)', `/v/${CODES.thpt12}/print`);
    await get('not-found (404)', `/v/${CODES.notice}`);
    await get('style.css', '/static/style.css');
    await get('qr.svg', `/v/${CODES.valid}/qr.svg`);
    report('sizes', 'bytes', sizes);
    // a confirmation page stays light on a phone connection
    for (const [k, v] of Object.entries(sizes)) assert.ok(v.bytes < 100_000, `${k}: ${v.bytes} bytes`);
});
