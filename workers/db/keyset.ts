// Keyset pagination for the lists of the data-access modules: a page starts after the
// sort key of the previous page's last row (api/pagination.ts encodes it as the cursor).
import { type Column, type SQL, sql } from "drizzle-orm";

/** A row's sort key: two columns, the second breaking ties of the first. */
export type Key = readonly [string | number, string | number];

/** Rows whose (first, second) key comes after `key`; every row when there is none. */
export function afterKey(first: Column, second: Column, key: Key | null): SQL | undefined {
  return key === null ? undefined : sql`(${first}, ${second}) > (${key[0]}, ${key[1]})`;
}
