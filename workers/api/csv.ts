// CSV answers for KPI data (`Accept: text/csv` or `?format=csv`). Papa Parse writes the CSV;
// text cells starting with =, +, -, @, tab or CR get a leading ' so that a spreadsheet never
// runs them as formulas (numbers are left as numbers).
import type { Context } from "hono";
import Papa from "papaparse";

export function wantsCsv(c: Context): boolean {
  return c.req.query("format") === "csv" || (c.req.header("accept") ?? "").toLowerCase().includes("text/csv");
}

export function toCsv(fields: string[], rows: unknown[][]): string {
  return Papa.unparse({ fields, data: rows }, { escapeFormulae: true, newline: "\r\n" });
}

export function csvResponse(csv: string, filename: string): Response {
  return new Response(csv, {
    status: 200,
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${filename}"`,
    },
  });
}
