// lib.mjs — what the browser tests share: the portal under test (run.sh
// starts it and exports where it is and which codes to use), headless Debian
// Chromium through playwright-core, and a small report the tests add to.
//
// Playwright's chromium.launch() starts the browser with a fresh temporary
// user-data-dir of its own (deleted on close), so no state is carried from
// one run to the next; every context below is a new incognito-like profile.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function need(name) {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set: run the browser tests with tests/browser/run.sh`);
    return v;
}

export const BASE = need('PORTAL_URL'); // http://127.0.0.1:PORT, also the portal's --public-url
export const OUT = need('BROWSER_TEST_OUT');
export const DEMO_DIR = need('DEMO_DIR'); // hocba-demo's output: codes.txt, batch/
export const CODES = {
    valid: need('CODE_VALID'),
    recalled: need('CODE_RECALLED'), // recalled, with a replacement
    recalledNoRepl: need('CODE_RECALLED_NOREPL'), // recalled, not replaced
    replacement: need('CODE_REPLACEMENT'), // the transcript that replaces `recalled`
    invalid: need('CODE_INVALID'), // invalid once the CRL is loaded (a revoked teacher key)
    notice: need('CODE_NOTICE'), // a recall notice's own code: a 404 page
    long: need('CODE_LONG'), // the long transcript signed with the stock openssl commands
    thcs9: need('CODE_THCS9'), // secondary: THCS grade 9, completed lower secondary (HOAN_THANH)
    thpt12: need('CODE_THPT12'), // secondary: THPT grade 12, with electives
};

/** The demo payload of a code (DEMO_DIR/batch/STEM.json, STEM from codes.txt), to compare a page with what was signed. */
export function payloadOf(code) {
    const codes = fs.readFileSync(path.join(DEMO_DIR, 'codes.txt'), 'utf8');
    const line = codes.split('\n').find((l) => l.startsWith(code + '\t'));
    if (!line) throw new Error(`${code} is not in codes.txt`);
    const stem = line.split('\t')[2].split(':')[0];
    return JSON.parse(fs.readFileSync(path.join(DEMO_DIR, 'batch', stem + '.json'), 'utf8'));
}

/** A secondary score as pages show it: one decimal, a comma on Vietnamese pages (7,5), a point on English ones. */
export const shownScore = (v, lang) => v.toFixed(1).replace('.', lang === 'en' ? '.' : ',');

/** The code grouped by four, as people see it: Q5VQ-QT42-TCX1-D4Q1. */
export const grouped = (code) => code.match(/.{4}/g).join('-');

export const LAUNCH_ARGS = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
];

export async function launch() {
    return chromium.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: LAUNCH_ARGS,
    });
}

/** A new context: Vietnamese unless told otherwise (locale sets Accept-Language). */
export async function newPage(browser, opts = {}) {
    const ctx = await browser.newContext({
        locale: 'vi-VN',
        viewport: { width: 1280, height: 900 },
        ...opts,
    });
    const page = await ctx.newPage();
    // Anything the page tries to load from elsewhere than the portal is a failure
    // (the CSP forbids it too; this catches it even where bypassCSP is on).
    page.offsite = [];
    page.on('request', (req) => {
        const u = req.url();
        if (!u.startsWith(BASE + '/') && !u.startsWith('data:') && u !== 'about:blank') page.offsite.push(u);
    });
    page.consoleErrors = [];
    page.on('console', (m) => {
        if (m.type() === 'error') page.consoleErrors.push(m.text());
    });
    return page;
}

/** One page per key, made on first use and reused by the next tests of the
 * file (a new renderer costs about half a second). */
const shared = new Map();
export async function sharedPage(browser, key, opts = {}) {
    if (!shared.has(key)) shared.set(key, await newPage(browser, opts));
    return shared.get(key);
}

/** The page types every audit walks: [name, path, expected status]. */
export function pageTypes() {
    return [
        ['home', '/', 200],
        ['lookup-error', '/lookup?code=Q5VQ-QT42-TCX1-D4Q', 400],
        ['valid', `/v/${CODES.valid}`, 200],
        ['recalled', `/v/${CODES.recalled}`, 200],
        ['invalid', `/v/${CODES.invalid}`, 200],
        ['print', `/v/${CODES.valid}/print`, 200],
        ['not-found', `/v/${CODES.notice}`, 404],
        ['receipt', `/v/${CODES.valid}/receipt`, 200],
        ['check-form', '/check', 200],
        ['thcs9', `/v/${CODES.thcs9}`, 200],
        ['thpt12', `/v/${CODES.thpt12}`, 200],
        ['print-thcs9', `/v/${CODES.thcs9}/print`, 200],
        ['print-thpt12', `/v/${CODES.thpt12}/print`, 200],
        ['stats', '/stats', 200],
        ['stats-thcs', '/stats?level=THCS', 200],
    ];
}

/** The .json and .p7s of a demo package, by its code (codes.txt: CODE, expected, "STEM: ..."). */
export function packageFiles(code) {
    const line = fs
        .readFileSync(path.join(DEMO_DIR, 'codes.txt'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith(code + '\t'));
    if (!line) throw new Error(`${code} is not in codes.txt`);
    const stem = line.split('\t')[2].split(':')[0];
    return { json: path.join(DEMO_DIR, 'batch', `${stem}.json`), p7s: path.join(DEMO_DIR, 'batch', `${stem}.p7s`) };
}

/** A multipart/form-data body of a package's two files (for fetch). */
export function packageForm(files) {
    const f = new FormData();
    f.append('payload', new Blob([fs.readFileSync(files.json)], { type: 'application/json' }), path.basename(files.json));
    f.append('signature', new Blob([fs.readFileSync(files.p7s)], { type: 'application/pkcs7-signature' }), path.basename(files.p7s));
    return f;
}

/** Add (merge) entries to OUT/report-NAME.json; summary.mjs prints them all. */
export function report(name, key, value) {
    const f = path.join(OUT, `report-${name}.json`);
    let o = {};
    try {
        o = JSON.parse(fs.readFileSync(f, 'utf8'));
    } catch {
        /* first entry */
    }
    o[key] = value;
    fs.writeFileSync(f, JSON.stringify(o, null, 1));
}

export function run(cmd, args) {
    return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
}

export function outPath(...parts) {
    const p = path.join(OUT, ...parts);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    return p;
}
