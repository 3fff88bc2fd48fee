// Field histories: what a stream of canonical events says about each entity, independent of
// how the events were cut. For every (entity, field): the values it took over time, with
// repeats of the same value dropped and absence read as null. Two streams with equal
// histories give every KPI the same state at every instant.
import { validateEvent } from "../../workers/model/events";

export type Histories = Record<string, [number, string][]>;

export function fieldHistories(events: readonly unknown[]): Histories {
  const raw = new Map<string, [number, string][]>();
  for (const candidate of events) {
    const result = validateEvent(candidate);
    if (!result.ok) throw new Error(`invalid event ${result.eventId}: ${result.reason}`);
    const { event } = result;
    for (const [field, value] of Object.entries(event.data)) {
      const key = `${event.entityType}:${event.entityId}:${field}`;
      let list = raw.get(key);
      if (!list) raw.set(key, (list = []));
      list.push([event.occurredAt, JSON.stringify(value ?? null)]);
    }
  }
  const histories: Histories = {};
  for (const key of [...raw.keys()].sort()) {
    const list = raw.get(key)!.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    const collapsed: [number, string][] = [];
    let previous = "null";
    for (const [at, value] of list) {
      const last = collapsed[collapsed.length - 1];
      // Two different values at one instant stay visible (a conflict), equal ones collapse.
      if (value === previous && !(last && last[0] === at)) continue;
      if (last && last[0] === at && last[1] === value) continue;
      collapsed.push([at, value]);
      previous = value;
    }
    if (collapsed.length > 0) histories[key] = collapsed;
  }
  return histories;
}

/** The keys whose histories differ, with both sides (for a readable test failure). */
export function historyDiff(actual: Histories, expected: Histories, limit = 10) {
  const diffs: { key: string; actual?: [number, string][]; expected?: [number, string][] }[] = [];
  for (const key of new Set([...Object.keys(actual), ...Object.keys(expected)])) {
    if (JSON.stringify(actual[key]) !== JSON.stringify(expected[key])) {
      diffs.push({ key, actual: actual[key], expected: expected[key] });
      if (diffs.length >= limit) break;
    }
  }
  return diffs;
}
