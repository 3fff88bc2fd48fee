// The value types of the native event format, as zod schemas that normalize while they
// validate (instants → ms, decimals → numbers, ids → strings). The envelope
// (workers/model/events.ts) and every entity field (workers/model/entities.ts) use them.
import { z } from "zod";

/** Instants: ISO 8601; without an offset they are UTC (docs/kpis.md, rule 1). A date alone is UTC midnight. */
const ISO_INSTANT =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

export function parseInstant(text: string): number | null {
  const match = ISO_INSTANT.exec(text.trim());
  if (!match) return null;
  const [, date, time = "00:00:00", zone = "Z"] = match;
  const offset = zone.toUpperCase() === "Z" ? "Z" : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  // Date.parse keeps milliseconds only; deeper fractions are truncated.
  const fraction = /\.(\d+)$/.exec(time);
  const clock = fraction ? time.replace(/\.\d+$/, `.${fraction[1]!.slice(0, 3).padEnd(3, "0")}`) : time;
  const ms = Date.parse(`${date}T${clock}${offset}`);
  return Number.isNaN(ms) ? null : ms;
}

export const instant = z.string().transform((text, ctx) => {
  const ms = parseInstant(text);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: `not an ISO 8601 instant: ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return ms;
});

/** Decimal in major units: a JSON number or a numeric string ("12500.00"). */
export const decimal = z
  .union([z.number(), z.string().regex(/^\s*-?\d+(\.\d+)?\s*$/, "not a decimal number")])
  .transform((value) => Number(value))
  .refine(Number.isFinite, "not a finite number");

/** CRM ids arrive as strings or numbers; canonical ids are strings. */
export const id = z
  .union([z.string().trim().min(1, "must not be empty"), z.number().int()])
  .transform(String);

export const currency = z.string().regex(/^[A-Za-z]{3}$/, "not an ISO 4217 code").transform((c) => c.toUpperCase());

/** Every optional field may be null: null sets the value to null, absence leaves it (docs/kpis.md, rule 2). */
export const opt = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
