// print.test.mjs — the printable copy (bản giấy Học bạ số) printed to PDF by
// Chromium, as a school clerk would print it: A4, and on EVERY page the
// lookup code, its QR (decoded from the rendered page with zbarimg after
// pdftoppm -r 150), where to verify, and the page number; no two words
// drawn over each other (nothing runs under the running head or foot).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BASE, CODES, grouped, launch, newPage, outPath, payloadOf, report, run, shownScore } from './lib.mjs';

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

// What a phone reads from the QR: the canonical URL, or its upper-case form
// (QR alphanumeric mode, docs/portal.md: the portal answers /V/CODE too).
function isCanonical(s, code) {
    const canon = `${BASE}/v/${code}`;
    return s === canon || s === canon.toUpperCase();
}

function pdfPages(file) {
    const info = run('pdfinfo', [file]);
    const pages = Number(/^Pages:\s+(\d+)/m.exec(info)[1]);
    const size = /^Page size:\s+([\d.]+) x ([\d.]+) pts/m.exec(info);
    return { pages, w: Number(size[1]), h: Number(size[2]) };
}

// Words of one page with their boxes (pdftotext -bbox), in points.
function words(file, n) {
    const html = run('pdftotext', ['-f', String(n), '-l', String(n), '-bbox', file, '-']);
    const out = [];
    const re = /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g;
    for (let m; (m = re.exec(html)); ) out.push({ x0: +m[1], y0: +m[2], x1: +m[3], y1: +m[4], w: m[5] });
    return out;
}

// Pairs of words whose boxes overlap by more than a sliver: text drawn over text.
function overlaps(ws) {
    const bad = [];
    for (let i = 0; i < ws.length; i++) {
        for (let j = i + 1; j < ws.length; j++) {
            const a = ws[i], b = ws[j];
            const ox = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
            const oy = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
            if (ox > 1 && oy > 0.35 * Math.min(a.y1 - a.y0, b.y1 - b.y0)) bad.push(`"${a.w}" / "${b.w}"`);
        }
    }
    return bad;
}

async function printCopy(name, code, lang) {
    const page = await newPage(browser, { locale: lang === 'en' ? 'en-GB' : 'vi-VN' });
    const res = await page.goto(`${BASE}/v/${code}/print${lang === 'en' ? '?lang=en' : ''}`);
    assert.equal(res.status(), 200);
    // the QR image is loaded before printing
    await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
    const file = outPath('print', `${name}.pdf`);
    await page.pdf({ path: file, format: 'A4', preferCSSPageSize: true, printBackground: true });
    const info = pdfPages(file);
    assert.ok(Math.abs(info.w - 595.3) < 1.5 && Math.abs(info.h - 841.9) < 1.5, `A4: ${info.w} x ${info.h} pt`);
    const dir = outPath('print', name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    run('pdftoppm', ['-r', '150', '-png', file, path.join(dir, 'page')]);
    const images = fs.readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
    assert.equal(images.length, info.pages, 'one image per page');
    const pages = [];
    for (let i = 0; i < images.length; i++) {
        const n = i + 1;
        let decoded = '';
        try {
            decoded = run('zbarimg', ['--quiet', '--nodbus', '--raw', '-Sdisable', '-Sqrcode.enable', path.join(dir, images[i])]);
        } catch (e) {
            decoded = e.stdout || '';
        }
        const symbols = decoded.split('\n').filter(Boolean);
        const text = run('pdftotext', ['-f', String(n), '-l', String(n), '-layout', file, '-']);
        const flat = text.replace(/\s+/g, ' ');
        pages.push({ n, symbols, overlaps: overlaps(words(file, n)), text: flat });
    }
    const bytes = fs.statSync(file).size;
    report('print', name, {
        pdf: file,
        bytes,
        pages: info.pages,
        qr: pages.map((p) => p.symbols),
        overlaps: pages.map((p) => p.overlaps.length),
    });
    return { file, info, pages, bytes };
}

function checkEveryPage(pdf, code, lang) {
    const total = pdf.info.pages;
    for (const p of pdf.pages) {
        const where = `page ${p.n} of ${total}`;
        assert.equal(p.symbols.length, 1, `${where}: one QR code, decoded ${JSON.stringify(p.symbols)}`);
        assert.ok(isCanonical(p.symbols[0], code), `${where}: the QR holds the canonical URL, got ${p.symbols[0]}`);
        assert.ok(p.text.includes(grouped(code)), `${where}: the lookup code ${grouped(code)} is printed`);
        assert.ok(p.text.includes(`${BASE}/v/${code}`), `${where}: the verification URL is printed`);
        const verify = lang === 'en' ? 'Verify at' : 'Tra cứu tại';
        assert.ok(p.text.includes(verify), `${where}: the line says where and how to verify ("${verify}")`);
        const num = lang === 'en' ? `Page ${p.n} of ${total}` : `Trang ${p.n}/${total}`;
        assert.ok(p.text.includes(num), `${where}: the page number "${num}" is printed; text: ${p.text.slice(-200)}`);
        assert.deepEqual(p.overlaps, [], `${where}: no text drawn over other text`);
    }
}

test('print: a normal transcript on A4, code + QR + where to verify + page number on every page', async () => {
    const pdf = await printCopy('valid-vi', CODES.valid, 'vi');
    assert.ok(pdf.info.pages >= 1 && pdf.info.pages <= 3, `a one-year transcript fits 1-3 pages, got ${pdf.info.pages}`);
    checkEveryPage(pdf, CODES.valid, 'vi');
    const all = pdf.pages.map((p) => p.text).join(' ');
    for (const s of ['CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', 'HỌC BẠ', 'Các môn học và hoạt động giáo dục', 'Chữ ký số'])
        assert.ok(all.includes(s), `the copy has "${s}"`);
});

test('print: the LONG transcript runs over two or more pages and every page carries the code, the QR and its number', async () => {
    const pdf = await printCopy('long-vi', CODES.long, 'vi');
    assert.ok(pdf.info.pages >= 2, `the long transcript prints on 2+ pages, got ${pdf.info.pages}`);
    checkEveryPage(pdf, CODES.long, 'vi');
    const all = pdf.pages.map((p) => p.text).join(' ');
    // nothing was lost at the page breaks: the last award and the end of the remarks are there
    assert.ok(all.includes('Kế hoạch nhỏ'), 'the last award is printed');
    assert.ok(all.includes('khi lên lớp 6'), 'the end of the remarks is printed');
});

// Secondary transcripts (hocba.trunghoc.v1): a normal one fits one or two A4 pages, every page with the code and its QR.
const SECONDARY_COPIES = [
    ['thcs9-vi', 'thcs9', 'vi', ['Đã hoàn thành chương trình trung học cơ sở', 'Học kì I', 'Học kì II', 'Cả năm', 'Kết quả rèn luyện']],
    ['thcs9-en', 'thcs9', 'en', ['Completed lower secondary education', 'Semester I', 'Semester II', 'Conduct']],
    ['thpt12-vi', 'thpt12', 'vi', ['(môn lựa chọn)', 'Hoàn thành chương trình trung học phổ thông']],
    ['thpt12-en', 'thpt12', 'en', ['(elective)', 'Completed upper secondary education']],
];
for (const [name, key, lang, words] of SECONDARY_COPIES) {
    test(`print: a secondary transcript (${name}) on one or two A4 pages, code + QR + where to verify + page number on every page`, async () => {
        const pdf = await printCopy(name, CODES[key], lang);
        assert.ok(pdf.info.pages >= 1 && pdf.info.pages <= 2, `a secondary transcript fits 1-2 pages, got ${pdf.info.pages}`);
        checkEveryPage(pdf, CODES[key], lang);
        const all = pdf.pages.map((p) => p.text).join(' ');
        for (const w of words) assert.ok(all.includes(w), `the copy has "${w}"`);
        const p = payloadOf(CODES[key]);
        const s = p.subjects.find((x) => x.assessment === 'score' && typeof x.year === 'number');
        assert.ok(all.includes(`${s.name} ${shownScore(s.hk1, lang)} ${shownScore(s.hk2, lang)} ${shownScore(s.year, lang)}`),
            `${s.name}'s averages as signed, with a decimal ${lang === 'en' ? 'point' : 'comma'}`);
    });
}

test('print: the English copy says "Verify at" and "Page N of M"', async () => {
    const pdf = await printCopy('valid-en', CODES.valid, 'en');
    checkEveryPage(pdf, CODES.valid, 'en');
});

test('print: on screen the copy has a way back and no site chrome; the QR is the portal\'s own SVG', async () => {
    const page = await newPage(browser);
    await page.goto(`${BASE}/v/${CODES.valid}/print`);
    assert.equal(await page.locator('.site-header').count(), 0);
    assert.equal(await page.locator(`.print-toolbar a[href$="/v/${CODES.valid}"]`).count(), 1);
    const src = await page.locator('img.running-qr').getAttribute('src');
    assert.equal(src, `/v/${CODES.valid}/qr.svg`);
    assert.deepEqual(page.offsite, []);
});
