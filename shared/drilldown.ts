// Where the members behind a value are listed on the static site: one page per stored value
// (month, kpi, dimension, key) that a report links to, at `deals/<id>/` below the report's
// own page (/<workspace>/<month>/ or /r/<token>/). The Worker names the pages it prepares
// (workers/reports) and the site and the digest link to them with the same id.

/** The kinds of member a value lists (workers/kpi/members.ts; entity tables: workers/model/entities.ts). */
export const MEMBER_TYPES = ["deal", "lead", "activity", "account", "survey", "rep", "marketing_spend"] as const;
export type MemberType = (typeof MEMBER_TYPES)[number];

/** A URL path segment for (kpi, dimension, key): letters, digits, `_` and `-` kept, anything else as `~XX` per UTF-8 byte. */
export function drilldownId(kpi: string, dimension: string, key: string): string {
  return [kpi, dimension, key].map(segmentOf).join(".");
}

const KEPT = /[A-Za-z0-9_-]/;

function segmentOf(text: string): string {
  let out = "";
  for (const char of text) {
    if (KEPT.test(char)) out += char;
    else for (const byte of new TextEncoder().encode(char)) out += `~${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The drill-down page of a value, relative to its report's page (which ends in `/`). */
export const drilldownHref = (kpi: string, dimension: string, key: string) => `deals/${drilldownId(kpi, dimension, key)}/`;

/**
 * Links to the drill-down pages a report carries (its `drilldowns`), null for any other
 * value: a report, a digest or a sentence never links to a page that was not built.
 */
export function drilldownLinks(drilldowns: readonly { id: string }[] | undefined): (kpi: string, dimension: string, key: string) => string | null {
  const ids = new Set((drilldowns ?? []).map((d) => d.id));
  return (kpi, dimension, key) => (ids.has(drilldownId(kpi, dimension, key)) ? drilldownHref(kpi, dimension, key) : null);
}
