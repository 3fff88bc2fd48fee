// The entities of the native format and their fields, each field described once: how its
// payload value is validated (zod), what kind of column stores it, and how its stored value
// is derived when it is not simply the latest one. From this table come the event payload
// schemas (./events.ts), the projection SQL that rebuilds current state from field_history
// (./projections.ts) and the drizzle tables the migrations are generated from
// (../db/schema.ts). Adding a field is one line here, then `npm run db:generate`.
import { z } from "zod";
import { currency, decimal, id, instant, opt } from "./values";

export const LEAD_STAGES = ["subscriber", "lead", "mql", "sql", "opportunity", "customer"] as const;
export const DEAL_STATUSES = ["open", "won", "lost"] as const;
export const DEAL_KINDS = ["new", "expansion", "renewal"] as const;
export const ACTIVITY_TYPES = [
  "call", "email", "meeting", "demo", "business_review", "social", "note", "task", "other",
] as const;
/** Contact activities: the types that reach a person (docs/kpis.md, family D). */
export const CONTACT_ACTIVITY_TYPES = ["call", "email", "meeting", "demo", "business_review"] as const;
export const ACTIVITY_DIRECTIONS = ["inbound", "outbound"] as const;
export const ACTIVITY_OUTCOMES = [
  "positive", "negative", "neutral", "scheduled", "held", "canceled", "no_show",
] as const;
export const SURVEY_KINDS = ["nps", "csat", "employee"] as const;

/**
 * How a field is stored. The kind fixes the column's SQL type and the field_history slot
 * its values are kept in (`value_text` for text and JSON, `value_num` for the rest, a flag
 * as 1 / 0), so it must match the JSON type of the field's normalized value.
 */
export type ColumnKind = "text" | "json" | "real" | "instant" | "flag";

/** The normalized value each kind stores (null aside): `field` checks a schema against it. */
interface StoredValue {
  text: string;
  json: object;
  real: number;
  instant: number;
  flag: boolean;
}

export const HISTORY_SLOT = {
  text: "value_text",
  json: "value_text",
  real: "value_num",
  instant: "value_num",
  flag: "value_num",
} as const satisfies Record<ColumnKind, "value_text" | "value_num">;

export interface FieldOptions {
  /**
   * SQL for the stored value when it is derived rather than the latest one, over the
   * projection row `p` (p.<field> is each field's latest value, p.first_seen_at the
   * entity's first event; see ./projections.ts).
   */
  readonly derived?: string;
  /** The column is NOT NULL: the field is required, or its derivation always finds a value. */
  readonly notNull?: true;
  /**
   * An instant that is a plan (an expected close date), not one at which the entity
   * happened: it may lie years ahead, so it is outside the accepted window and puts no
   * month in question (INSTANT_FIELDS).
   */
  readonly plan?: true;
}

export interface EntityField<K extends ColumnKind = ColumnKind, S extends z.ZodType = z.ZodType> extends FieldOptions {
  readonly column: K;
  readonly schema: S;
}

/** A field stored in a `column` of that kind, validated by `schema` (whose output must fit the kind). */
export function field<
  K extends ColumnKind,
  S extends z.ZodType<StoredValue[K] | null | undefined>,
  const O extends FieldOptions = Record<never, never>,
>(column: K, schema: S, options?: O): EntityField<K, S> & NoInfer<O> {
  return { column, schema, ...(options as O) };
}

type Fields = Readonly<Record<string, EntityField>>;

/** The zod shape of some fields: each field's schema under its name, in their order. */
export type SchemaShape<F extends Fields> = { [K in keyof F]: F[K]["schema"] };

export function schemaShape<F extends Fields>(fields: F): SchemaShape<F> {
  return Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, f.schema])) as SchemaShape<F>;
}

export interface Entity {
  /** The table of current state, one row per (workspace_id, id). */
  readonly table: string;
  /** The payload field holding the entity's id; also the table's key column. */
  readonly id: string;
  /** Every other field an event may set, in payload order. */
  readonly fields: Fields;
  /** The table has occurred_at: the entity happens at its latest event (docs/kpis.md, rule 7). */
  readonly happensAtLatestEvent?: true;
}

/** created_at of a lead or deal: explicit, else its earliest upsert event (docs/kpis.md, rule 5). */
const CREATED_AT = "COALESCE(p.created_at, p.first_seen_at)";

/**
 * The first event of the final unbroken run of a deal's current status: the earliest
 * status entry equal to the current status that no differing status entry follows.
 */
const FINAL_STATUS_RUN_START = `(SELECT MIN(s.occurred_at) FROM field_history s
  WHERE s.workspace_id = p.workspace_id AND s.entity_type = 'deal' AND s.entity_id = p.entity_id
    AND s.field = 'status' AND s.value_text = p.status
    AND NOT EXISTS (SELECT 1 FROM field_history x
      WHERE x.workspace_id = s.workspace_id AND x.entity_type = 'deal' AND x.entity_id = s.entity_id
        AND x.field = 'status' AND x.value_text IS NOT s.value_text
        AND (x.occurred_at, x.event_id) > (s.occurred_at, s.event_id)))`;

/**
 * closed_at of a won / lost deal: explicit, else the start of the final run of that
 * status; of an open deal: the explicit value (docs/kpis.md, rule 5).
 */
const CLOSED_AT = `CASE WHEN p.status IN ('won', 'lost') THEN COALESCE(p.closed_at, ${FINAL_STATUS_RUN_START}) ELSE p.closed_at END`;

/** The fields of a deal's product line, each also a column of deal_products (workers/model/apply.ts). */
export const PRODUCT_LINE_FIELDS = {
  product_id: field("text", id, { notNull: true }),
  name: field("text", opt(z.string())),
  quantity: field("real", decimal, { notNull: true }),
  unit_price: field("real", decimal, { notNull: true }),
};

const productLine = z.object(schemaShape(PRODUCT_LINE_FIELDS));

/** Every entity, keyed by its entity_type (canonical_events, field_history). */
export const ENTITIES = {
  rep: {
    table: "reps",
    id: "rep_id",
    fields: {
      name: field("text", opt(z.string())),
      email: field("text", opt(z.string())),
      team: field("text", opt(z.string())),
      region: field("text", opt(z.string())),
      active: field("flag", opt(z.boolean())),
    },
  },
  account: {
    table: "accounts",
    id: "account_id",
    fields: {
      name: field("text", opt(z.string())),
      region: field("text", opt(z.string())),
      segment: field("text", opt(z.string())),
      industry: field("text", opt(z.string())),
      owner_rep_id: field("text", opt(id)),
    },
  },
  lead: {
    table: "leads",
    id: "lead_id",
    fields: {
      account_id: field("text", opt(id)),
      owner_rep_id: field("text", opt(id)),
      source: field("text", opt(z.string())),
      stage: field("text", opt(z.enum(LEAD_STAGES))),
      created_at: field("instant", opt(instant), { derived: CREATED_AT, notNull: true }),
      /** Lead quality as the CRM scores it, 0–100 (docs/kpis.md, avg_lead_score). */
      score: field("real", opt(decimal.refine((s) => s >= 0 && s <= 100, "must be between 0 and 100"))),
    },
  },
  deal: {
    table: "deals",
    id: "deal_id",
    fields: {
      name: field("text", opt(z.string())),
      account_id: field("text", opt(id)),
      lead_id: field("text", opt(id)),
      owner_rep_id: field("text", opt(id)),
      pipeline: field("text", opt(z.string())),
      stage: field("text", opt(z.string())),
      status: field("text", opt(z.enum(DEAL_STATUSES))),
      amount: field("real", opt(decimal)),
      currency: field("text", opt(currency)),
      kind: field("text", opt(z.enum(DEAL_KINDS))),
      source: field("text", opt(z.string())),
      created_at: field("instant", opt(instant), { derived: CREATED_AT, notNull: true }),
      closed_at: field("instant", opt(instant), { derived: CLOSED_AT }),
      /** When the deal is expected to close, as its owner plans it (docs/kpis.md, rule 38). */
      expected_close_at: field("instant", opt(instant), { plan: true }),
      lost_reason: field("text", opt(z.string())),
      /** Contract length in months, a whole number ≥ 1 (docs/kpis.md, acv). */
      term_months: field("real", opt(decimal.refine((t) => Number.isInteger(t) && t >= 1, "must be a whole number of months, at least 1"))),
      /** The competitor a lost deal went to, as the CRM names it. */
      competitor: field("text", opt(z.string())),
      /** Product lines as last set: [{product_id, name, quantity, unit_price}]. */
      products: field("json", opt(z.array(productLine))),
    },
  },
  /** Field-level last-writer-wins like every entity: a CRM may send one property at a time. */
  activity: {
    table: "activities",
    id: "activity_id",
    happensAtLatestEvent: true,
    fields: {
      type: field("text", z.enum(ACTIVITY_TYPES)),
      direction: field("text", opt(z.enum(ACTIVITY_DIRECTIONS))),
      rep_id: field("text", opt(id)),
      participant_rep_ids: field("json", opt(z.array(id))),
      lead_id: field("text", opt(id)),
      account_id: field("text", opt(id)),
      deal_id: field("text", opt(id)),
      duration_seconds: field("real", opt(decimal.refine((s) => s >= 0, "must not be negative"))),
      outcome: field("text", opt(z.enum(ACTIVITY_OUTCOMES))),
    },
  },
  survey: {
    table: "survey_responses",
    id: "response_id",
    happensAtLatestEvent: true,
    fields: {
      survey: field("text", z.enum(SURVEY_KINDS)),
      score: field("real", decimal),
      account_id: field("text", opt(id)),
      lead_id: field("text", opt(id)),
      rep_id: field("text", opt(id)),
      comment: field("text", opt(z.string())),
    },
  },
  subscription: {
    table: "subscriptions",
    id: "subscription_id",
    fields: {
      account_id: field("text", id),
      /** Current monthly recurring revenue in major units of `currency`; 0 = ended. */
      mrr: field("real", decimal.refine((m) => m >= 0, "must not be negative")),
      currency: field("text", opt(currency)),
    },
  },
} as const satisfies Record<string, Entity>;

export type EntityType = keyof typeof ENTITIES;
export const ENTITY_TYPES = Object.keys(ENTITIES) as EntityType[];

/**
 * An entity's fields in the order of its table's columns: the ones stored as their latest
 * value, then the derived ones (the order the tables and the tuned projection SQL have).
 */
export function storedFields(entity: Entity): [name: string, field: EntityField][] {
  const fields = Object.entries(entity.fields);
  return [...fields.filter(([, f]) => !f.derived), ...fields.filter(([, f]) => f.derived)];
}

/**
 * The names of the instant fields an event may set that place an entity in a month
 * (created_at, closed_at; not the plans): they must lie in the accepted window, and the
 * months they fall in are dirty (./events.ts).
 */
export const INSTANT_FIELDS: readonly string[] = [
  ...new Set(
    Object.values(ENTITIES).flatMap((entity: Entity) =>
      Object.entries(entity.fields).flatMap(([name, f]) => (f.column === "instant" && !f.plan ? [name] : [])),
    ),
  ),
];
