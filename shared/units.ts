// Time units in milliseconds, the unit of every stored instant (docs/spec-readings.md).
// SQL that converts durations interpolates these too, so a rule and its query agree.

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
