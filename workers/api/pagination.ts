// Cursor pagination for every list: `?limit=&cursor=` in, `{items, next_cursor}` out. The
// cursor is the opaque sort key of the last item served, so pages never skip or repeat
// an item while rows are added.
import { z } from "@hono/zod-openapi";
import { invalidField } from "../lib/problem";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./limits";

export const PageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .openapi({ description: `Items per page (1–${MAX_PAGE_SIZE})` }),
  cursor: z.string().optional().openapi({ description: "next_cursor of the previous page" }),
});

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() });

export type Cursor = [string | number, string | number];

export function encodeCursor(key: Cursor): string {
  return btoa(JSON.stringify(key)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The sort key after which the page starts: null for the first page. A cursor this API did
 * not hand out is answered 400, with the field.
 */
export function decodeCursor(cursor: string | undefined): Cursor | null {
  if (!cursor) return null;
  try {
    const key: unknown = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
    if (Array.isArray(key) && key.length === 2 && key.every((k) => typeof k === "string" || typeof k === "number")) {
      return key as Cursor;
    }
  } catch {
    // fall through: a malformed cursor
  }
  throw invalidField("cursor", "not a cursor from a previous page");
}

/** Rows fetched with LIMIT limit + 1: the extra row only tells whether another page exists. */
export function toPage<Row, Item>(rows: Row[], limit: number, key: (row: Row) => Cursor, item: (row: Row) => Item) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items: items.map(item), next_cursor: rows.length > limit && last ? encodeCursor(key(last)) : null };
}
