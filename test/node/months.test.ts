// Month arithmetic in a workspace time zone (docs/kpis.md, Conventions: Month).
import { describe, expect, it } from "vitest";
import { addMonths, monthBounds, monthOf, monthRange, startOfMonth } from "../../shared/months";

describe("months in a time zone", () => {
  it("puts 03:30 UTC on the 1st in the previous month in New York (UTC−4 in April)", () => {
    expect(monthOf(Date.parse("2026-04-01T03:30:00Z"), "America/New_York")).toBe("2026-03");
    expect(monthOf(Date.parse("2026-04-01T04:00:00Z"), "America/New_York")).toBe("2026-04");
  });

  it("finds local midnight on the 1st across daylight saving", () => {
    // New York: EST (UTC−5) in March 1st, EDT (UTC−4) on April 1st.
    expect(new Date(startOfMonth("2026-03", "America/New_York")).toISOString()).toBe("2026-03-01T05:00:00.000Z");
    expect(new Date(startOfMonth("2026-04", "America/New_York")).toISOString()).toBe("2026-04-01T04:00:00.000Z");
    // Berlin: CET (UTC+1) on March 1st, CEST (UTC+2) on April 1st.
    expect(new Date(startOfMonth("2026-03", "Europe/Berlin")).toISOString()).toBe("2026-02-28T23:00:00.000Z");
    expect(new Date(startOfMonth("2026-04", "Europe/Berlin")).toISOString()).toBe("2026-03-31T22:00:00.000Z");
    expect(new Date(startOfMonth("2026-01", "UTC")).toISOString()).toBe("2026-01-01T00:00:00.000Z");
    // Half-hour zones: India is UTC+5:30 all year.
    expect(new Date(startOfMonth("2026-07", "Asia/Kolkata")).toISOString()).toBe("2026-06-30T18:30:00.000Z");
  });

  it("makes months half-open intervals that tile time", () => {
    const { start, end } = monthBounds("2026-03", "Europe/Berlin");
    expect(monthOf(start, "Europe/Berlin")).toBe("2026-03");
    expect(monthOf(end - 1, "Europe/Berlin")).toBe("2026-03");
    expect(monthOf(end, "Europe/Berlin")).toBe("2026-04");
  });

  it("adds months across years and lists ranges", () => {
    expect(addMonths("2026-01", -1)).toBe("2025-12");
    expect(addMonths("2025-12", 13)).toBe("2027-01");
    expect(addMonths("2026-03", -12)).toBe("2025-03");
    expect(monthRange("2025-11", "2026-02")).toEqual(["2025-11", "2025-12", "2026-01", "2026-02"]);
  });
});
