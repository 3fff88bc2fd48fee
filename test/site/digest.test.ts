/// <reference types="node" />
// The HTML digest (workers/reports/digest.ts) of a fixture report in a real Chromium, as a
// mail client's 600 px reading pane and a phone show it: axe-core finds no violation at all
// (any impact) in the light and in the dark colour scheme, nothing is wider than the window,
// nothing is fetched, and in the dark scheme every text keeps the digest's own colours (a
// text left to the browser's dark defaults would be light on the white card). Screenshots
// go to test-artifacts/digest/. CI installs Chromium; without it this suite fails on purpose.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Report } from "../../shared/report";
import { digestHtml, digestOf, reportSiteUrl } from "../../workers/reports/digest";
import { ARTIFACTS, FIXTURES, launchChromium, REPO } from "./helpers";

const AXE = join(REPO, "node_modules/axe-core/axe.min.js");
const SHOTS = join(ARTIFACTS, "digest");

/** The acme fixture of March 2026 with sentences of "what changed" (one linked, one outside its range) and a hostile name. */
function fixtureDigest(): string {
  const report = Report.parse(JSON.parse(readFileSync(join(FIXTURES, "acme/2026-03.json"), "utf8")));
  report.workspace.name = `Acme <Analytics> & "Co"`;
  report.changes = [
    {
      kpi: "win_rate",
      text: "Win rate rose 1.7 pts to 27.0 %; 3 of the 4 extra wins were in APAC, 2 against one competitor.",
      members: { dimension: "region", key: "APAC" },
      outside_range: false,
    },
    { kpi: "revenue_won", text: "Revenue won reached $165,296, its highest in 12 months.", members: null, outside_range: true },
    { kpi: "new_leads", text: "New leads rose 9.4 % to 690; the extra 59 came from paid search.", members: { dimension: "source", key: "paid_search" }, outside_range: false },
  ];
  return digestHtml(digestOf(report, reportSiteUrl("https://reports.quotient.test/")!));
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

let browser: Browser;
const html = fixtureDigest();

beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

async function render(width: number, colorScheme: "light" | "dark") {
  const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme });
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("pageerror", (error) => errors.push(error.message));
  await page.setContent(html, { waitUntil: "load" });
  await page.emulateMedia({ colorScheme });
  return { page, requests, errors, close: () => context.close() };
}

/** Each element that shows text, with its colour and the first opaque background behind it. */
const TEXT_COLOURS = `(() => {
  const opaque = (e) => { for (let x = e; x; x = x.parentElement) { const bg = getComputedStyle(x).backgroundColor; if (bg !== "rgba(0, 0, 0, 0)" && bg !== "transparent") return bg; } return "canvas"; };
  return [...document.body.querySelectorAll("*")]
    .filter((e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== ""))
    .map((e) => ({ text: e.textContent.trim().slice(0, 40), color: getComputedStyle(e).color, background: opaque(e) }));
})()`;

describe("the HTML digest in Chromium", () => {
  for (const colorScheme of ["light", "dark"] as const) {
    for (const width of [600, 360]) {
      it(`at ${width} px in the ${colorScheme} scheme: no axe violation, nothing wider than the window, nothing fetched`, async () => {
        const { page, requests, errors, close } = await render(width, colorScheme);
        try {
          expect(await page.evaluate('matchMedia("(prefers-color-scheme: dark)").matches')).toBe(colorScheme === "dark");
          await page.addScriptTag({ path: AXE });
          const result = await page.evaluate<{ violations: AxeViolation[] }>("axe.run(document, { resultTypes: ['violations'] })");
          expect(result.violations.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
          expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(width);
          // The card is 600 px at most, whatever the window.
          const card = await page.evaluate<number>(`document.querySelector("table[width='600']").getBoundingClientRect().width`);
          expect(card).toBeLessThanOrEqual(600);
          expect(requests.filter((url) => url !== "about:blank")).toEqual([]);
          expect(errors).toEqual([]);
          const headline = page.getByRole("row", { name: /Revenue won/ });
          expect(await headline.innerText()).toMatch(/Revenue won\s+\$165,296\s+▲ \+4\.6% vs Feb 2026, better/);
          expect(await page.getByRole("link", { name: /Win rate rose 1\.7 pts/ }).getAttribute("href")).toBe(
            "https://reports.quotient.test/r/acme202603v2Q7mZk2LxR9pT4wYb/deals/win_rate.region.APAC/",
          );
          expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("March 2026 report");
          expect(await page.title()).toBe(`Acme <Analytics> & "Co" — March 2026 report`);
          await page.screenshot({ path: join(SHOTS, `digest-${width}-${colorScheme}.png`), fullPage: true });
        } finally {
          await close();
        }
      });
    }
  }

  it("keeps its own colours in the dark scheme: the same text and backgrounds as in the light one", async () => {
    const light = await render(600, "light");
    const dark = await render(600, "dark");
    try {
      const [inLight, inDark] = [await light.page.evaluate(TEXT_COLOURS), await dark.page.evaluate(TEXT_COLOURS)];
      expect((inLight as unknown[]).length).toBeGreaterThan(20);
      expect(inDark).toEqual(inLight);
      // The page behind the card is the digest's grey, not the browser's dark canvas.
      expect(await dark.page.evaluate("getComputedStyle(document.body).backgroundColor")).toBe("rgb(238, 241, 245)");
    } finally {
      await light.close();
      await dark.close();
    }
  });
});
