// summary.mjs OUT — print what the browser tests recorded in OUT/report-*.json:
// page sizes, the axe-core and html-validate results per page, the PDFs' pages, the screenshots.
import fs from 'node:fs';
import path from 'node:path';

const out = process.argv[2];
const read = (n) => {
    try {
        return JSON.parse(fs.readFileSync(path.join(out, `report-${n}.json`), 'utf8'));
    } catch {
        return null;
    }
};
const sizes = read('sizes');
if (sizes) {
    console.log('page sizes (bytes as served / gzip):');
    for (const [k, v] of Object.entries(sizes.bytes)) console.log(`  ${k.padEnd(20)} ${String(v.bytes).padStart(7)} / ${String(v.gzip).padStart(6)}  ${v.status} ${v.path}`);
}
const axe = read('axe');
if (axe) {
    console.log('axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa):');
    for (const [k, v] of Object.entries(axe))
        console.log(`  ${k.padEnd(34)} ${v.violations} violations, ${v.passes} rules passed${v.incomplete.length ? ', needs review: ' + v.incomplete.join(' ') : ''}`);
}
const html = read('html');
if (html) {
    console.log('html-validate (recommended), errors / warnings:');
    for (const [k, v] of Object.entries(html)) console.log(`  ${k.padEnd(38)} ${v.errors} / ${v.warnings}  ${v.status} ${v.path}`);
}
const print = read('print');
if (print) {
    console.log('printed to PDF (A4):');
    for (const [k, v] of Object.entries(print))
        console.log(`  ${k.padEnd(10)} ${v.pages} pages, ${v.bytes} bytes, QR per page: ${v.qr.map((q) => q.length).join(' ')}  ${v.pdf}`);
}
const phone = read('phone');
if (phone) {
    console.log('phone screenshots (scrollWidth/clientWidth, page height):');
    for (const [k, v] of Object.entries(phone)) console.log(`  ${k.padEnd(24)} ${v.scrollWidth}/${v.clientWidth}  ${v.height}px  ${v.screenshot}`);
}
