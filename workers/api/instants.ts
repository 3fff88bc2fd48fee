// Instants in answers: stored as epoch milliseconds (db/schema.ts), shown as ISO 8601 UTC.

export function isoInstant(ms: number): string;
export function isoInstant(ms: number | null): string | null;
export function isoInstant(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
