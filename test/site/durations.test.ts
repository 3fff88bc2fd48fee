// shared/durations.ts: a duration in the catalog's unit, written in the unit its size reads
// best in, with the boundaries decided after rounding.
import { describe, expect, it } from "vitest";
import { formatDuration, isDurationUnit } from "../../shared/durations";

describe("formatDuration", () => {
  it("chooses the unit by magnitude, from any catalog unit", () => {
    expect(formatDuration(45, "minutes")).toBe("45 min");
    expect(formatDuration(1604.7, "minutes")).toBe("26.7 h");
    expect(formatDuration(3222.5, "minutes")).toBe("2.2 days");
    expect(formatDuration(3.2, "days")).toBe("3.2 days");
    expect(formatDuration(0.75, "hours")).toBe("45 min");
    expect(formatDuration(0.5, "minutes")).toBe("30 s");
    expect(formatDuration(26.7 / 24, "days")).toBe("26.7 h");
  });

  it("keeps one decimal below 100 and none from 100 on; seconds are whole", () => {
    expect(formatDuration(4.54, "minutes")).toBe("4.5 min");
    expect(formatDuration(56.16597, "days")).toBe("56.2 days");
    expect(formatDuration(412.3, "days")).toBe("412 days");
    expect(formatDuration(99.96, "days")).toBe("100 days");
    expect(formatDuration(1, "hours")).toBe("1 h");
    expect(formatDuration(0.2071, "minutes")).toBe("12 s");
  });

  it("decides the unit after rounding: nothing reads 60 min, 48 h or 60 s", () => {
    expect(formatDuration(59.96, "minutes")).toBe("1 h");
    expect(formatDuration(59.94, "minutes")).toBe("59.9 min");
    expect(formatDuration(47.96, "hours")).toBe("2 days");
    expect(formatDuration(47.94, "hours")).toBe("47.9 h");
    expect(formatDuration(59.6 / 60, "minutes")).toBe("1 min");
    // Hours run to two days, so a day and a bit stays in hours.
    expect(formatDuration(24, "hours")).toBe("24 h");
    expect(formatDuration(2, "days")).toBe("2 days");
  });

  it("caps at the largest unit asked for, grouping thousands", () => {
    expect(formatDuration(1180.4, "hours", { largest: "hours" })).toBe("1,180 h");
    expect(formatDuration(0.25, "hours", { largest: "hours" })).toBe("15 min");
    expect(formatDuration(1180.4, "hours")).toBe("49.2 days");
    expect(formatDuration(5000, "days")).toBe("5,000 days");
  });

  it("writes whole numbers for axis ticks", () => {
    expect(formatDuration(1604.7, "minutes", { whole: true })).toBe("27 h");
    expect(formatDuration(3.24, "days", { whole: true })).toBe("3 days");
    expect(formatDuration(1, "days", { whole: true })).toBe("24 h");
  });

  it("signs negative values with a minus sign and writes zero in minutes", () => {
    // The "−1,618.4 minutes" is under two days, so it reads in hours like its value.
    expect(formatDuration(-1618.4, "minutes")).toBe("−27 h");
    expect(formatDuration(-3744, "minutes")).toBe("−2.6 days");
    expect(formatDuration(-45, "minutes")).toBe("−45 min");
    expect(formatDuration(0, "days")).toBe("0 min");
    expect(formatDuration(-0, "minutes")).toBe("0 min");
  });

  it("refuses what is not a finite duration, and knows the catalog's duration units", () => {
    expect(() => formatDuration(Number.NaN, "minutes")).toThrow(RangeError);
    expect(() => formatDuration(Infinity, "days")).toThrow(RangeError);
    expect(["minutes", "hours", "days", "ratio", "seconds"].map(isDurationUnit)).toEqual([true, true, true, false, false]);
  });
});
