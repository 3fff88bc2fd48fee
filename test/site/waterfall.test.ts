// The pipeline movement waterfall's geometry (site/src/charts/waterfall.ts) and its words
// (describe.ts), on a hand-made month: bars float from the running total, open at start and
// at end are full bars, classes that moved nothing are not drawn.
import { describe, expect, it } from "vitest";
import { describeWaterfall } from "../../site/src/charts/describe";
import { waterfallChart } from "../../site/src/charts/waterfall";
import { createFormatter } from "../../site/src/lib/format";

// 4,000 at the start + 1,000 created − 2,000 won = 3,000 at the end; the scale's top is
// the peak running total, 5,000, over 480 − 84 = 396 px, so 1,000 is 79.2 px.
const values = new Map([["open_start", 4000], ["created", 1000], ["won", 2000], ["open_end", 3000]]);

describe("waterfallChart", () => {
  it("floats each class from the running total and draws the totals from zero", () => {
    const chart = waterfallChart(values);
    expect(chart.rows.map((r) => [r.movement, r.kind, r.x, r.width, r.endX])).toEqual([
      ["open_start", "total", 0, 316.8, 316.8],
      // Created: from 4,000 to 5,000.
      ["created", "increase", 316.8, 79.2, 396],
      // Won: from 5,000 back to 3,000, the bar spanning 3,000 … 5,000.
      ["won", "decrease", 237.6, 158.4, 237.6],
      ["open_end", "total", 0, 237.6, 237.6],
    ]);
    // The seven classes that moved nothing are left out: 4 rows of 42 px drawn.
    expect(chart.height).toBe(4 * 42);
  });

  it("draws the two totals even when nothing was open", () => {
    const chart = waterfallChart(new Map());
    expect(chart.rows.map((r) => [r.movement, r.width])).toEqual([["open_start", 0], ["open_end", 0]]);
  });
});

describe("describeWaterfall", () => {
  it("says where the pipeline started and ended, and what added and took away", () => {
    const steps = [
      { movement: "open_start", label: "Open at start", sign: 0, deals: 5, value: 4000 },
      { movement: "created", label: "Created", sign: 1, deals: 1, value: 1000 },
      { movement: "reopened", label: "Reopened", sign: 1, deals: 0, value: 0 },
      { movement: "won", label: "Won", sign: -1, deals: 2, value: 2000 },
      { movement: "open_end", label: "Open at end", sign: 0, deals: 4, value: 3000 },
    ];
    expect(describeWaterfall(steps, "2026-03", createFormatter("USD"))).toBe(
      "The open pipeline went from $4,000 (5 deals) at the start of March 2026 to $3,000 (4 deals) at its end. Added: created $1,000. Taken away: won $2,000.",
    );
  });
});
