// The demo loader's progress lines (scripts/demo/progress.ts): each counter counts one thing
// in one unit, never passes its total, and the last line says how many requests were
// posted and how many of the deliveries they carried were applied.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyingLine, bar, doneLine, monthsLine, postingLine } from "../../scripts/demo/progress";

/** Every "x/y unit" of a line, as [x, y, unit]. */
const fractions = (line: string) =>
  [...line.matchAll(/(\d+)\/(\d+) (\w+)/g)].map((m) => [Number(m[1]), Number(m[2]), m[3]] as const);
const filled = (line: string) => (/\[(#*)\.*\]/.exec(line)?.[1] ?? "").length;

describe("bar", () => {
  it("fills in proportion and is clamped to its width", () => {
    expect(bar(0, 10, 10)).toBe("[..........]");
    expect(bar(5, 10, 10)).toBe("[#####.....]");
    expect(bar(10, 10, 10)).toBe("[##########]");
    expect(bar(41181, 24079, 10)).toBe("[##########]");
    expect(bar(-3, 10, 10)).toBe("[..........]");
    expect(bar(0, 0, 10)).toBe("[##########]");
  });
});

describe("the lines", () => {
  it("post: requests answered of all requests, refused ones apart", () => {
    expect(postingLine({ answered: 3500, total: 7103, failed: 0, seconds: 61.4 })).toBe(
      "  [##############..............] 3500/7103 requests answered · 61 s",
    );
    expect(postingLine({ answered: 7103, total: 7103, failed: 2, seconds: 190 })).toMatch(/ 7103\/7103 requests answered · 190 s · 2 refused$/);
  });

  it("apply: deliveries applied of the deliveries stored (applied + failed + pending)", () => {
    expect(applyingLine({ processed: 20000, failed: 0, pending: 11799 })).toBe(
      "  [##################..........] 20000/31799 deliveries applied · 11799 pending",
    );
    expect(applyingLine({ processed: 31790, failed: 9, pending: 0 })).toMatch(/ 31790\/31799 deliveries applied · 0 pending · 9 failed$/);
  });

  it("months: done of all months", () => {
    expect(monthsLine(3, 18, "2026-01")).toBe("  [#####.......................] 3/18 months · 2026-01");
  });

  it("done: requests posted and the deliveries they carried, applied in the same unit", () => {
    const line = doneLine({ seconds: 72.04, requests: 7103, refused: 0, inbox: { processed: 31799, failed: 0, pending: 0 }, deadLetters: 0 });
    expect(line).toBe(
      "• done in 72.0 s: 7103 requests posted (0 refused) carrying 31799 deliveries; 31799/31799 deliveries applied; " +
        "0 dead letters (events the Worker refused)",
    );
    expect(doneLine({ seconds: 1, requests: 1, refused: 0, inbox: { processed: 3, failed: 1, pending: 2 }, deadLetters: 1 })).toBe(
      "• done in 1.0 s: 1 request posted (0 refused) carrying 6 deliveries; 3/6 deliveries applied, 1 failed, 2 still pending; " +
        "1 dead letter (events the Worker refused)",
    );
  });

  it("never shows a counter past its total, and each counter has one unit", () => {
    const count = fc.integer({ min: 0, max: 100_000 });
    fc.assert(
      fc.property(count, count, count, count, count, (a, b, c, d, e) => {
        const total = a + b;
        const lines = [
          postingLine({ answered: a, total, failed: Math.min(c, a), seconds: d }),
          // Even a line drawn with more answered than requests (it cannot happen) stays in bounds.
          postingLine({ answered: total + c, total, failed: 0, seconds: d }),
          applyingLine({ processed: a, failed: c, pending: b }),
          monthsLine(Math.min(a, 18), 18, "2026-01"),
          doneLine({ seconds: d, requests: e, refused: Math.min(c, e), inbox: { processed: a, failed: c, pending: b }, deadLetters: d }),
        ];
        for (const line of lines) {
          for (const [x, y, unit] of fractions(line)) {
            expect(x, line).toBeLessThanOrEqual(y);
            expect(["requests", "request", "deliveries", "delivery", "months", "month"], line).toContain(unit);
          }
          if (line.includes("[")) expect(filled(line)).toBeLessThanOrEqual(28);
        }
        expect(fractions(lines[4]!).every(([, , unit]) => unit === "deliveries" || unit === "delivery")).toBe(true);
      }),
    );
  });
});
