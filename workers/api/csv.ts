// CSV answers for KPI data (`Accept: text/csv` or `?format=csv`). Papa Parse writes the CSV;
// text cells whose first line starts with =, +, -, @, tab or CR (also after leading
// whitespace, which spreadsheets skip) get a leading ' so that a spreadsheet never runs them
// as formulas (numbers are left as numbers).
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import Papa from "papaparse";

/** The `format` query parameter of the answers that also come as CSV. */
export const FormatQuery = z.object({
  format: z.enum(["json", "csv"]).optional().openapi({ description: "csv: the same as Accept: text/csv" }),
});

/** CSV is the other representation of those answers (OpenAPI content). */
export const csvContent = { content: { "text/csv": { schema: z.string() } } };

export function wantsCsv(c: Context): boolean {
  return c.req.query("format") === "csv" || (c.req.header("accept") ?? "").toLowerCase().includes("text/csv");
}

/**
 * A text cell a spreadsheet could run as a formula. Papa's own default (/^[=+\-@\t\r].*$/)
 * misses a multi-line cell such as "=1+1\r\nA": `.` stops at the line break and `$` does
 * not. Only the start matters, so the pattern is anchored there and nowhere else.
 */
export const FORMULA_START = /^\s*[=+\-@\t\r]/;

export function toCsv(fields: string[], rows: unknown[][]): string {
  return Papa.unparse({ fields, data: rows }, { escapeFormulae: FORMULA_START, newline: "\r\n" });
}

/**
 * A CSV download. The file name may hold keys from a CRM (a loss reason, a region): the
 * header carries an ASCII-only `filename` (anything else as `_`, so no quote or line break
 * can end it) and the exact name as RFC 6266's `filename*`.
 */
export function csvResponse(csv: string, filename: string): Response {
  const ascii = filename.replace(/[^A-Za-z0-9._-]/g, "_");
  return new Response(csv, {
    status: 200,
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`,
    },
  });
}
