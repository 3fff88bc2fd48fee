/// <reference types="node" />
// The built report in a real Chromium: renders without console errors, passes axe-core
// (no serious or critical violations) in light and dark mode, fits every width from a small
// phone to a desktop (no element wider than its container; wide tables scroll in their own
// box with the first column in view), and prints to A4 with no figure split across pages.
// Screenshots and the PDF go to test-artifacts/.
// CI installs Chromium (apt-get install chromium); without it this suite fails on purpose.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportIndex } from "../../shared/report";
import { ARTIFACTS, buildSite, FIXTURES, launchChromium, REPO, serve } from "./helpers";

const AXE = join(REPO, "node_modules/axe-core/axe.min.js");
const SHOTS = join(ARTIFACTS, "site");
const FIXTURE_INDEX = ReportIndex.parse(JSON.parse(readFileSync(join(FIXTURES, "index.json"), "utf8")));
const REPORT = "/acme/2026-03/";
const PAGES = [
  REPORT, "/brightwave/2026-03/", "/r/bw-7f3c19a04e2d8b56c1f0a9e3d7b24c68/", "/", "/kpis/",
  // Drill-down pages: a rep's won deals, and a ratio's numerator and denominator.
  "/acme/2026-03/deals/revenue_won.rep.rep_1/", "/acme/2026-03/deals/win_rate.all.all/",
];
/** Every page of the fixture site: each report under its share URL (and its plain URL if public), the index, the glossary. */
const ALL_PAGES = [
  ...FIXTURE_INDEX.reports.flatMap((r) => [...(r.public ? [`/${r.workspace}/${r.month}/`] : []), `/r/${r.share_token}/`]),
  "/", "/kpis/",
];
/** A small phone, a common phone, a tablet in portrait, a laptop, a desktop. */
const WIDTHS = [320, 390, 768, 1280, 1920];
/** From this width on, every table and chart shows all of itself without scrolling. */
const WIDE = 1280;

// A4 with the stylesheet's @page margins (14 mm top/bottom, 12 mm left/right), in CSS px.
const MM = 96 / 25.4;
const PRINT_WIDTH = Math.floor((210 - 24) * MM);
const PRINT_HEIGHT = Math.floor((297 - 28) * MM);

let browser: Browser;
let server: Server;
let base = "";

beforeAll(async () => {
  const build = buildSite(FIXTURES, "site-dist-browser");
  if (build.status !== 0) throw new Error(`astro build failed:\n${build.output}`);
  ({ url: base, server } = await serve(build.outDir));
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
});

/** Opens a page, collecting console errors, page errors and failed requests. */
async function open(path: string, options: { width?: number; height?: number; colorScheme?: "light" | "dark" } = {}) {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    colorScheme: options.colorScheme ?? "light",
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("requestfailed", (request) => errors.push(`request failed: ${request.url()}`));
  page.on("response", (response) => response.status() >= 400 && errors.push(`${response.status()} ${response.url()}`));
  const response = await page.goto(`${base}${path}`, { waitUntil: "load" });
  expect(response?.status(), path).toBe(200);
  return { page, errors, close: () => context.close() };
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate<{ violations: AxeViolation[] }>(
    "axe.run(document, { resultTypes: ['violations'] })",
  );
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

const summary = (violations: AxeViolation[]) =>
  violations.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);

interface LayoutProblems {
  pageOverflow: number;
  /** Elements whose box reaches past their container's, with both boxes' left and right edges. */
  overflowing: string[];
  /** Boxes that scroll sideways: which, by how much, and whether that is allowed. */
  scrolling: { box: string; scrollWidth: number; clientWidth: number; focusable: boolean; kind: string }[];
  /** Rows of a scrolled table whose first cell left the box, or whose last cell stayed out of reach. */
  stickyFailures: string[];
}

/**
 * Measures a page's layout in the browser. An element's container is its parent element (for
 * SVG content, the <svg> it is drawn in); the children of a box that scrolls sideways may be
 * wider than it, since they scroll inside it, and the box itself is measured against its own
 * container. Visually hidden text (.sr-only, 1 px) and elements without a box are skipped.
 * Each box that scrolls is then scrolled to its end: its table's first column must still be
 * inside the box (sticky) and its last column must have come into it.
 */
const MEASURE_LAYOUT = `(() => {
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
    (typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\\s+/).join(".") : "") +
    (e.dataset && (e.dataset.chart || e.dataset.kpi) ? "[" + (e.dataset.chart || e.dataset.kpi) + "]" : "");
  const path = (e) => { const p = []; for (let x = e; x && x !== document.body && p.length < 4; x = x.parentElement) p.unshift(name(x)); return p.join(" > "); };
  const scrolls = (e) => e instanceof HTMLElement && ["auto", "scroll"].includes(getComputedStyle(e).overflowX);
  const edges = (r) => "[" + Math.round(r.left) + ", " + Math.round(r.right) + "]";
  const overflowing = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest(".sr-only")) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const container = el instanceof SVGElement && el.ownerSVGElement ? el.ownerSVGElement : el.parentElement;
    if (!container || scrolls(container)) continue;
    const outer = container.getBoundingClientRect();
    if (box.right > outer.right + 1 || box.left < outer.left - 1) {
      overflowing.push(path(el) + " " + edges(box) + " in " + path(container) + " " + edges(outer));
    }
  }
  const scrolling = [];
  const stickyFailures = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (!scrolls(el) || el.scrollWidth <= el.clientWidth + 1) continue;
    const kind = el.classList.contains("table-wrap") ? "table" : el.classList.contains("chart__scroll") ? "chart" : "other";
    scrolling.push({ box: path(el), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, focusable: el.tabIndex >= 0, kind });
    el.scrollLeft = el.scrollWidth;
    const inner = el.getBoundingClientRect();
    for (const row of el.querySelectorAll("tr")) {
      const first = row.cells[0]?.getBoundingClientRect();
      const last = row.cells[row.cells.length - 1]?.getBoundingClientRect();
      if (!first || !last) continue;
      if (first.left < inner.left - 1 || first.right > inner.right + 1) stickyFailures.push(path(el) + ": first cell of '" + row.cells[0].textContent.trim() + "' scrolled out " + edges(first) + " of " + edges(inner));
      if (last.right > inner.right + 1) stickyFailures.push(path(el) + ": last cell of '" + row.cells[0].textContent.trim() + "' out of reach " + edges(last) + " of " + edges(inner));
    }
    el.scrollLeft = 0;
  }
  return { pageOverflow: document.documentElement.scrollWidth - window.innerWidth, overflowing, scrolling, stickyFailures };
})()`;

describe("the report site in Chromium", () => {
  it("renders every page without console errors or failed requests", async () => {
    for (const path of PAGES) {
      const { page, errors, close } = await open(path);
      expect(await page.locator("h1").count(), path).toBe(1);
      expect(errors, path).toEqual([]);
      await close();
    }
  });

  for (const colorScheme of ["light", "dark"] as const) {
    it(`has no serious or critical axe violations in ${colorScheme} mode`, async () => {
      for (const path of PAGES) {
        const { page, close } = await open(path, { colorScheme });
        // Open every table so axe checks the tables' contrast and structure too.
        await page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })");
        expect(summary(await axeViolations(page)), `${path} (${colorScheme})`).toEqual([]);
        await close();
      }
    });
  }

  it("uses a different palette in dark mode", async () => {
    const background = async (colorScheme: "light" | "dark") => {
      const { page, close } = await open(REPORT, { colorScheme });
      const color = await page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
      await close();
      return color;
    };
    expect(await background("light")).not.toBe(await background("dark"));
  });

  for (const width of WIDTHS) {
    it(`fits ${width} px: no element wider than its container, wide tables scroll in their own box with the first column kept`, async () => {
      for (const colorScheme of ["light", "dark"] as const) {
        for (const path of ALL_PAGES) {
          const where = `${path} at ${width} px, ${colorScheme}`;
          const { page, close } = await open(path, { width, height: 900, colorScheme });
          // Open every table: a closed <details> has no box to measure.
          await page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })");
          const layout = await page.evaluate<LayoutProblems>(MEASURE_LAYOUT);
          expect(layout.overflowing, where).toEqual([]);
          expect(layout.pageOverflow, `${where}: the page scrolls sideways`).toBeLessThanOrEqual(0);
          // Only tables and charts scroll, each in a box a keyboard can reach.
          expect(layout.scrolling.filter((s) => s.kind === "other" || !s.focusable), where).toEqual([]);
          expect(layout.stickyFailures, where).toEqual([]);
          if (width >= WIDE) expect(layout.scrolling.map((s) => `${s.box} ${s.scrollWidth}/${s.clientWidth}`), `${where}: scrolls on a wide screen`).toEqual([]);
          await close();
        }
      }
    });
  }

  it("keeps a scrolled table's first column in view", async () => {
    const { page, close } = await open(REPORT, { width: 320, colorScheme: "light" });
    const styles = await page.evaluate<{ position: string; left: string; background: string }[]>(`
      [...document.querySelectorAll(".metric-list tr > :first-child")].map((cell) => {
        const style = getComputedStyle(cell);
        return { position: style.position, left: style.left, background: style.backgroundColor };
      })`);
    expect(styles.length).toBeGreaterThan(5);
    // Opaque, so the scrolled cells pass under it instead of showing through.
    for (const style of styles) expect(style).toEqual({ position: "sticky", left: "0px", background: "rgb(255, 255, 255)" });
    await close();
  });

  it("fits a phone screen without horizontal scrolling", async () => {
    const { page, close } = await open(REPORT, { width: 375, height: 812 });
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    await page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })");
    expect(summary(await axeViolations(page)), "phone layout").toEqual([]);
    await page.screenshot({ path: join(SHOTS, "report-mobile.png"), fullPage: true });
    await close();
  });

  it("saves light and dark screenshots", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      const { page, close } = await open(REPORT, { colorScheme });
      await page.screenshot({ path: join(SHOTS, `report-${colorScheme}.png`), fullPage: true });
      await close();
    }
  });

  it("prints to A4 with every figure on a single page, light colours and no navigation", async () => {
    const { page, close } = await open(REPORT, { width: PRINT_WIDTH, colorScheme: "dark" });
    await page.emulateMedia({ media: "print", colorScheme: "dark" });

    const styles = await page.evaluate<{ nav: string; background: string; figures: string[] }>(`({
      nav: getComputedStyle(document.querySelector(".site-header")).display,
      background: getComputedStyle(document.body).backgroundColor,
      figures: [...document.querySelectorAll("figure, .card")].map((f) => getComputedStyle(f).breakInside),
    })`);
    expect(styles.nav).toBe("none");
    expect(styles.background).toBe("rgb(255, 255, 255)");
    expect(new Set(styles.figures)).toEqual(new Set(["avoid"]));

    // Pagination check. Chromium fragments multi-column content with the same engine
    // (LayoutNG block fragmentation) as printed pages, so the print-media layout poured
    // into columns one A4 content box tall and wide is laid out like the PDF's pages: a
    // figure split across pages would have fragments in two columns.
    const split = await page.evaluate<{ figures: number; columns: number; split: string[] }>(`(() => {
      const width = ${PRINT_WIDTH}, height = ${PRINT_HEIGHT};
      const main = document.querySelector("main");
      Object.assign(document.body.style, { margin: "0", width: width + "px" });
      Object.assign(main.style, { columnWidth: width + "px", columnGap: "0px", columnFill: "auto", height: height + "px", width: width + "px", maxWidth: "none", padding: "0" });
      const left = main.getBoundingClientRect().left;
      const figures = [...document.querySelectorAll("main figure")];
      const split = figures.filter((figure) => {
        const rects = [...figure.getClientRects()];
        const columns = new Set(rects.map((r) => Math.floor((r.left - left + 1) / width)));
        const box = figure.getBoundingClientRect();
        return columns.size > 1 || box.height > height + 1 || box.width > width + 1;
      }).map((f) => f.dataset.chart || f.dataset.kpi || f.querySelector("h3")?.textContent || "figure");
      return { figures: figures.length, columns: Math.ceil(main.scrollWidth / width), split };
    })()`);
    expect(split.figures).toBeGreaterThan(15);
    expect(split.split).toEqual([]);
    await close();

    // The real PDF, for people to look at.
    const printed = await open(REPORT);
    await printed.page.emulateMedia({ media: "print" });
    const pdf = await printed.page.pdf({ format: "A4", preferCSSPageSize: true, printBackground: true });
    writeFileSync(join(SHOTS, "report.pdf"), pdf);
    const pages = pdf.toString("latin1").match(/\/Type\s*\/Page\b/g)?.length ?? 0;
    expect(pages).toBeGreaterThan(1);
    // Not asserted equal: emulated print media wraps some lines differently from the print
    // path (the simulation comes out taller, so its check is the stricter one).
    console.info(`report PDF: ${pages} A4 pages; column simulation: ${split.columns}`);
    await printed.close();
  });
});

describe("private workspaces and rotated share tokens in Chromium", () => {
  const PRIVATE = FIXTURE_INDEX.reports.filter((r) => r.workspace === "cobalt");
  /** The status a plain GET of the path answers on the served site. */
  const status = async (root: string, path: string) => (await fetch(`${root}${path}`)).status;

  it("serves a private workspace's reports only under /r/…, and no link from / reaches them", async () => {
    expect(PRIVATE.length).toBeGreaterThan(1);
    expect(PRIVATE.every((r) => !r.public)).toBe(true);
    for (const r of PRIVATE) {
      expect(await status(base, `/${r.workspace}/${r.month}/`)).toBe(404);
      expect(await status(base, `/${r.workspace}/`)).toBe(404);
      const { page, close } = await open(`/r/${r.share_token}/`);
      expect(await page.textContent(".report-header__eyebrow")).toContain("Cobalt Freight Ltd");
      await close();
    }
    // Follow every same-site link from the home page, as a visitor (or a crawler) would.
    const seen = new Set<string>();
    const queue = ["/"];
    while (queue.length > 0) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const { page, close } = await open(path);
      expect(await page.content(), path).not.toMatch(/cobalt/i);
      const links = await page.evaluate<string[]>("[...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href'))");
      await close();
      for (const href of links) if (href.startsWith("/")) queue.push(new URL(href, "http://x").pathname);
    }
    expect(seen.has("/acme/2026-03/")).toBe(true);
    for (const r of PRIVATE) expect([...seen].some((p) => p.includes(r.share_token) || p.includes(r.workspace)), r.month).toBe(false);
  });

  it("drops a rotated token's old share page on the next build", async () => {
    const [rotated] = PRIVATE;
    const fresh = "pv-rotated0c1d2e3f4a5b6c7d8e9f0a1b2c";
    const dir = mkdtempSync(join(tmpdir(), "quotient-rotated-"));
    let served: Server | undefined;
    try {
      // The site as deployed before the rotation, then built again over it after.
      const before = buildSite(FIXTURES, "site-dist-rotation");
      expect(before.status, before.output).toBe(0);
      expect(existsSync(join(before.outDir, "r", rotated!.share_token, "index.html"))).toBe(true);
      cpSync(FIXTURES, dir, { recursive: true });
      const indexPath = join(dir, "index.json");
      const index = JSON.parse(readFileSync(indexPath, "utf8"));
      index.reports.find((r: { share_token: string }) => r.share_token === rotated!.share_token).share_token = fresh;
      writeFileSync(indexPath, JSON.stringify(index));
      const reportPath = join(dir, rotated!.file);
      writeFileSync(reportPath, JSON.stringify({ ...JSON.parse(readFileSync(reportPath, "utf8")), share_token: fresh }));
      const after = buildSite(dir, "site-dist-rotation", { over: true });
      expect(after.status, after.output).toBe(0);

      let url: string;
      ({ url, server: served } = await serve(after.outDir));
      expect(await status(url, `/r/${rotated!.share_token}/`)).toBe(404);
      expect(await status(url, `/r/${fresh}/`)).toBe(200);
      const context = await browser.newContext();
      const page = await context.newPage();
      expect((await page.goto(`${url}/r/${rotated!.share_token}/`))?.status()).toBe(404);
      expect((await page.goto(`${url}/r/${fresh}/`))?.status()).toBe(200);
      expect(await page.textContent(".report-header__eyebrow")).toContain("Cobalt Freight Ltd");
      await context.close();
      // The other reports keep their pages.
      for (const r of PRIVATE.slice(1)) expect(await status(url, `/r/${r.share_token}/`)).toBe(200);
    } finally {
      await new Promise((done) => (served ? served.close(done) : done(undefined)));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
