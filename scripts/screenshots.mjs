#!/usr/bin/env node
// `npm run screenshots`: screenshots of one report of a built site (site/dist, as
// `npm start` or `npm run build:site` leave it) for the README, in docs/screenshots/:
//   report-1280.png        the top of the report at 1280 px (desktop)
//   report-390.png         the top of the report at 390 px (a phone, 2× pixels)
//   leaderboard-1280.png   the rep leaderboard section at 1280 px
//   report-print-a4.png    the first page as printed: print media emulated on an A4 sheet
// The printed page is not a rendering of page.pdf (nothing here rasterizes a PDF): the
// print stylesheet is applied to a 794 × 1123 px viewport (A4 at 96 dpi) with the @page
// margins (14 mm × 12 mm) as padding, the blocks print never splits (figures, cards, tiles,
// tables) that would cross the page's bottom margin are hidden as the page break would
// push them to page 2, and the sheet's first 1123 px are kept.
// Options: --site <dir> (default site/dist), --report <workspace>/<YYYY-MM> (default: the
// newest month of the "demo" workspace, else of the first), --out <dir>, --chromium <path>
// (default $CHROMIUM_PATH or /usr/bin/chromium). Chromium runs headless with --no-sandbox.
import { createReadStream, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const { values: options } = parseArgs({
  options: {
    site: { type: "string", default: "site/dist" },
    report: { type: "string" },
    out: { type: "string", default: "docs/screenshots" },
    chromium: { type: "string", default: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" },
  },
});

const site = resolve(options.site);
const fail = (message) => {
  console.error(`✗ ${message}`);
  process.exit(1);
};
if (!existsSync(join(site, "index.html"))) fail(`no built site at ${site}: run npm start or npm run build:site first`);
if (!existsSync(options.chromium)) fail(`Chromium not found at ${options.chromium} (Debian: apt-get install -y chromium)`);

/** workspace/month of every report page of the built site, newest month first. */
function reportPages() {
  const pages = [];
  for (const workspace of readdirSync(site)) {
    const dir = join(site, workspace);
    if (workspace === "r" || !statSync(dir).isDirectory()) continue;
    for (const month of readdirSync(dir)) {
      if (/^\d{4}-\d{2}$/.test(month) && existsSync(join(dir, month, "index.html"))) pages.push({ workspace, month });
    }
  }
  return pages.sort((a, b) => b.month.localeCompare(a.month));
}
const pages = reportPages();
const chosen = options.report
  ? pages.find((p) => `${p.workspace}/${p.month}` === options.report)
  : (pages.find((p) => p.workspace === "demo") ?? pages[0]);
if (!chosen) fail(options.report ? `no report page ${options.report} in ${site}` : `no report page in ${site}`);
const path = `/${chosen.workspace}/${chosen.month}/`;

const TYPES = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".json": "application/json" };
const server = createServer((request, response) => {
  const pathname = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
  let file = resolve(site, `.${pathname}`);
  if (!file.startsWith(site)) return void response.writeHead(403).end();
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
  if (!existsSync(file)) return void response.writeHead(404).end("not found");
  response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
  createReadStream(file).pipe(response);
});
await new Promise((done) => server.listen(0, "127.0.0.1", done));
const base = `http://127.0.0.1:${server.address().port}`;

const out = resolve(options.out);
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: options.chromium, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
const written = [];
try {
  const open = async (viewport, deviceScaleFactor = 1) => {
    const context = await browser.newContext({ viewport, deviceScaleFactor, colorScheme: "light", reducedMotion: "reduce" });
    const page = await context.newPage();
    await page.goto(`${base}${path}`, { waitUntil: "load" });
    return { context, page };
  };
  const shot = async (page, name, options) => {
    const file = join(out, name);
    await page.screenshot({ path: file, ...options });
    written.push(file);
  };

  // Desktop: the top of the report and the leaderboard.
  {
    const { context, page } = await open({ width: 1280, height: 900 });
    const height = Math.min(1800, await page.evaluate(() => globalThis.document.documentElement.scrollHeight));
    await shot(page, "report-1280.png", { clip: { x: 0, y: 0, width: 1280, height }, fullPage: true });
    const leaderboard = page.locator("section", { has: page.locator("#leaderboard") });
    await shot(leaderboard, "leaderboard-1280.png", {});
    await context.close();
  }
  // A phone: 390 CSS px at 2× pixels.
  {
    const { context, page } = await open({ width: 390, height: 844 }, 2);
    const height = Math.min(1700, await page.evaluate(() => globalThis.document.documentElement.scrollHeight));
    await shot(page, "report-390.png", { clip: { x: 0, y: 0, width: 390, height }, fullPage: true });
    await context.close();
  }
  // The printed first page: print media on an A4 sheet with the @page margins.
  {
    const { context, page } = await open({ width: 794, height: 1123 });
    await page.emulateMedia({ media: "print" });
    await page.addStyleTag({ content: "html { padding: 14mm 12mm; background: #fff; } body { margin: 0; }" });
    await page.evaluate((bottom) => {
      for (const element of globalThis.document.querySelectorAll("figure, .card, .tile, .report-header, table")) {
        const box = element.getBoundingClientRect();
        if (box.top < bottom && box.bottom > bottom) element.style.visibility = "hidden";
      }
      // The bottom margin of the sheet is blank.
      const margin = globalThis.document.createElement("div");
      margin.style.cssText = `position:absolute;left:0;right:0;top:${bottom}px;height:2000px;background:#fff;z-index:9999`;
      globalThis.document.body.append(margin);
    }, 1123 - 53);
    await shot(page, "report-print-a4.png", { clip: { x: 0, y: 0, width: 794, height: 1123 }, fullPage: true });
    await context.close();
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`screenshots of ${path} written:\n${written.map((f) => `  ${f}`).join("\n")}`);
