// Dead letters: events a source sent that could not be applied, with the reason. Written
// by the ingest consumer; listed here, newest first. drizzle over `dead_letters` (README.md).
import type { D1Database } from "@cloudflare/workers-types";
import { and, desc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { deadLetters } from "./schema";

export type DeadLetterItem = Pick<
  typeof deadLetters.$inferSelect,
  "id" | "connectionId" | "eventId" | "reason" | "occurredAt" | "createdAt" | "payload"
>;

/** A page of the workspace's dead letters, newest first, before the id `beforeId`. */
export function listDeadLetters(db: D1Database, workspaceId: string, beforeId: string | number | null, limit: number): Promise<DeadLetterItem[]> {
  return drizzle(db)
    .select({
      id: deadLetters.id,
      connectionId: deadLetters.connectionId,
      eventId: deadLetters.eventId,
      reason: deadLetters.reason,
      occurredAt: deadLetters.occurredAt,
      createdAt: deadLetters.createdAt,
      payload: deadLetters.payload,
    })
    .from(deadLetters)
    .where(and(eq(deadLetters.workspaceId, workspaceId), beforeId === null ? undefined : sql`${deadLetters.id} < ${beforeId}`))
    .orderBy(desc(deadLetters.id))
    .limit(limit)
    .all();
}
