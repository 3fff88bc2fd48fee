// The D1 schema (drizzle). Migrations in ../../migrations are generated from this file.
// Instants are integer milliseconds since the Unix epoch (UTC); months are "YYYY-MM" in
// the workspace's time zone. Every row carries its workspace_id and every index leads with it.
import { type $Type, type NotNull, sql } from "drizzle-orm";
import {
  index,
  integer,
  primaryKey,
  real,
  type SQLiteBooleanBuilderInitial,
  type SQLiteColumnBuilderBase,
  type SQLiteIntegerBuilderInitial,
  type SQLiteRealBuilderInitial,
  sqliteTable,
  type SQLiteTextBuilderInitial,
  type SQLiteTextJsonBuilderInitial,
  sqliteView,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import type { z } from "zod";
import {
  type ColumnKind,
  ENTITIES,
  type Entity,
  type EntityField,
  type EntityType,
  HISTORY_SLOT,
  PRODUCT_LINE_FIELDS,
  storedFields,
} from "../model/entities";
import { CONNECTION_KINDS, type ConnectionKind } from "../sources";

const now = sql`(CAST(unixepoch('subsec') * 1000 AS INTEGER))`;

// The connection kinds are the keys of the source adapter registry (workers/sources/index.ts).
export { CONNECTION_KINDS, type ConnectionKind };

export const TOKEN_SCOPES = ["read", "admin"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

// ---------------------------------------------------------------- tenancy

export const workspaces = sqliteTable("workspaces", {
  id: text("id").primaryKey(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  timezone: text("timezone").notNull().default("UTC"),
  currency: text("currency").notNull().default("USD"),
  pipelineStages: text("pipeline_stages", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  deployHookUrl: text("deploy_hook_url"),
  /** Receives the digest of each publication as a Slack-compatible JSON message (workers/reports/digest-webhook.ts). */
  digestWebhookUrl: text("digest_webhook_url"),
  /** Browser origins allowed to call the API for this workspace (CORS). */
  corsOrigins: text("cors_origins", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  /** Opt-in: the site lists the workspace on `/` and builds `/<slug>/<month>/`; otherwise only `/r/<share token>/`. */
  publicReports: integer("public_reports", { mode: "boolean" }).notNull().default(false),
  /**
   * The catalog version its stored months were computed with; when it differs from
   * shared/catalog.ts (null: from before catalog version 2), the next cron recomputes every
   * month (workers/kpi/catalog-upgrade.ts).
   */
  catalogVersion: text("catalog_version"),
  createdAt: integer("created_at").notNull().default(now),
});

export const connections = sqliteTable(
  "connections",
  {
    /** Random, at least 128 bits: it is the unguessable part of the webhook URL. */
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    kind: text("kind", { enum: CONNECTION_KINDS }).notNull(),
    name: text("name").notNull(),
    /** AES-GCM under SECRETS_KEY: v2.<key id>.<iv>.<ciphertext> (workers/lib/crypto.ts; the older base64(iv ‖ ciphertext) still opens). Null where the kind has no secret. */
    secretCiphertext: text("secret_ciphertext"),
    config: text("config", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    createdAt: integer("created_at").notNull().default(now),
    /**
     * The id in the webhook URL once the connection was rotated (random, 128 bits); null
     * while the URL still names `id`. `id` itself never changes: the connection's data
     * (inbox, events, dead letters) keeps pointing at it.
     */
    webhookId: text("webhook_id").unique(),
    /** Set by DELETE: the webhook answers 404, the API no longer lists it; its data stays. */
    deletedAt: integer("deleted_at"),
  },
  (t) => [index("connections_workspace").on(t.workspaceId, t.createdAt)],
);

/** Webhook ids a rotation replaced: each keeps working until `expires_at` (the grace period). */
export const retiredWebhookIds = sqliteTable(
  "retired_webhook_ids",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull(),
    connectionId: text("connection_id").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("retired_webhook_ids_workspace").on(t.workspaceId, t.connectionId)],
);

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    /** SHA-256 of the token, hex. The token itself is shown once and never stored. */
    tokenHash: text("token_hash").notNull().unique(),
    scopes: text("scopes", { mode: "json" }).$type<TokenScope[]>().notNull(),
    name: text("name"),
    createdAt: integer("created_at").notNull().default(now),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("api_tokens_workspace").on(t.workspaceId, t.createdAt)],
);

// ---------------------------------------------------------------- ingest

export const INBOX_STATUSES = ["pending", "processed", "failed"] as const;

/** Raw deliveries, stored before the webhook is acknowledged. */
export const inbox = sqliteTable(
  "inbox",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: text("workspace_id").notNull(),
    connectionId: text("connection_id").notNull(),
    /** The sender's delivery id (webhook-id, HubSpot composite key, …): idempotency key. */
    deliveryId: text("delivery_id").notNull(),
    receivedAt: integer("received_at").notNull(),
    /** Request headers the adapter needs again when normalizing (JSON object). */
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull(),
    body: text("body").notNull(),
    status: text("status", { enum: INBOX_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    enqueuedAt: integer("enqueued_at"),
    processedAt: integer("processed_at"),
    error: text("error"),
    /** For a failed row: when the cron retries it on its own (a slow backoff, for days). */
    retryAt: integer("retry_at"),
  },
  (t) => [
    uniqueIndex("inbox_delivery").on(t.connectionId, t.deliveryId),
    index("inbox_pending").on(t.status, t.enqueuedAt),
    index("inbox_retry").on(t.status, t.retryAt),
    // A workspace's counts and oldest rows per status (ingest-status, requeue).
    index("inbox_workspace").on(t.workspaceId, t.status, t.receivedAt),
    // Processed rows whose raw body is still kept, oldest first (retention.ts).
    index("inbox_body_kept").on(t.processedAt).where(sql`status = 'processed' AND body <> ''`),
  ],
);

/** Events the adapters produced, one row per (connection, event id): the first copy stands. */
export const canonicalEvents = sqliteTable(
  "canonical_events",
  {
    connectionId: text("connection_id").notNull(),
    eventId: text("event_id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    inboxId: integer("inbox_id").notNull(),
    type: text("type").notNull(),
    entityType: text("entity_type").notNull(),
    entityId: text("entity_id").notNull(),
    occurredAt: integer("occurred_at").notNull(),
    /** Validated, normalized data: instants as ms, amounts as numbers. */
    data: text("data", { mode: "json" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.connectionId, t.eventId] }),
    index("canonical_events_inbox").on(t.inboxId, t.entityType),
    index("canonical_events_workspace_time").on(t.workspaceId, t.occurredAt),
  ],
);

export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: text("workspace_id").notNull(),
    connectionId: text("connection_id").notNull(),
    inboxId: integer("inbox_id").notNull(),
    /** Position of the rejected item inside its delivery. */
    position: integer("position").notNull(),
    eventId: text("event_id"),
    reason: text("reason").notNull(),
    payload: text("payload").notNull(),
    occurredAt: integer("occurred_at"),
    createdAt: integer("created_at").notNull().default(now),
  },
  (t) => [
    uniqueIndex("dead_letters_item").on(t.inboxId, t.position),
    index("dead_letters_workspace").on(t.workspaceId, t.createdAt),
  ],
);

// ---------------------------------------------------------------- history

/**
 * Every value an event set on a field of an entity (workers/model/entities.ts).
 * "Value of field f of entity e at instant t" is the row with the greatest
 * (occurred_at, event_id) ≤ t: one descent of the primary key. The entity tables below
 * are projections of the latest row per field. Named views (deal_stage_history,
 * deal_status_history, lead_stage_history, mrr_history) read it per field.
 */
export const fieldHistory = sqliteTable(
  "field_history",
  {
    workspaceId: text("workspace_id").notNull(),
    entityType: text("entity_type").notNull(),
    entityId: text("entity_id").notNull(),
    field: text("field").notNull(),
    occurredAt: integer("occurred_at").notNull(),
    eventId: text("event_id").notNull(),
    valueText: text("value_text"),
    valueNum: real("value_num"),
  },
  (t) => [
    primaryKey({
      columns: [t.workspaceId, t.entityType, t.entityId, t.field, t.occurredAt, t.eventId],
    }),
    // "which deals reached stage s", "which subscriptions had MRR at t": by field first.
    index("field_history_by_field").on(t.workspaceId, t.entityType, t.field, t.occurredAt),
  ],
);

// ---------------------------------------------------------------- entities (current state)

// The entity tables derive from the entities' fields (workers/model/entities.ts, where each
// field's meaning and derivation is documented): the key (workspace_id, the entity's id), a
// column per field named like it (camelCase in TypeScript), occurred_at for the entities
// that happen at their latest event, then the entity's times. Only the indexes are written here.

type TextColumn<N extends string> = SQLiteTextBuilderInitial<N, [string, ...string[]], number | undefined>;
type InstantKey<N extends string> = NotNull<SQLiteIntegerBuilderInitial<N>>;

/** The drizzle column of each kind of field; a JSON column is typed by its field's schema. */
type KindColumn<N extends string, F extends EntityField> = {
  text: TextColumn<N>;
  json: $Type<SQLiteTextJsonBuilderInitial<N>, NonNullable<z.output<F["schema"]>>>;
  real: SQLiteRealBuilderInitial<N>;
  instant: SQLiteIntegerBuilderInitial<N>;
  flag: SQLiteBooleanBuilderInitial<N>;
}[F["column"]];

type FieldColumn<N extends string, F extends EntityField> = F extends { notNull: true }
  ? NotNull<KindColumn<N, F>>
  : KindColumn<N, F>;

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

const camelCase = (name: string) => name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

const KIND_COLUMN: { [K in ColumnKind]: <N extends string>(name: N) => KindColumn<N, EntityField<K>> } = {
  text: (name) => text(name),
  json: (name) => text(name, { mode: "json" }).$type(),
  real: (name) => real(name),
  instant: (name) => integer(name),
  flag: (name) => integer(name, { mode: "boolean" }),
};

const entityTimes = {
  /** Earliest upsert event seen for the entity. */
  firstSeenAt: integer("first_seen_at").notNull(),
  /** Latest event seen for the entity. */
  updatedAt: integer("updated_at").notNull(),
  /** Earliest deletion event; deleted entities are excluded from every KPI. */
  deletedAt: integer("deleted_at"),
};

type Entities = typeof ENTITIES;
type FieldName<T extends EntityType> = keyof Entities[T]["fields"] & string;

type KeyColumns<E extends Entity> = { workspaceId: NotNull<TextColumn<"workspace_id">> } & {
  [N in E["id"] as CamelCase<N>]: NotNull<TextColumn<N>>;
};

type FieldColumns<F extends Entity["fields"]> = { [N in keyof F & string as CamelCase<N>]: FieldColumn<N, F[N]> };

type EntityColumns<E extends Entity> = KeyColumns<E> &
  FieldColumns<E["fields"]> &
  (E extends { happensAtLatestEvent: true } ? { occurredAt: InstantKey<"occurred_at"> } : unknown) &
  typeof entityTimes;

const keyColumns = (entity: Entity): Record<string, SQLiteColumnBuilderBase> => ({
  workspaceId: text("workspace_id").notNull(),
  [camelCase(entity.id)]: text(entity.id).notNull(),
});

/** A column per field, in the given order. */
const fieldColumns = (fields: [name: string, field: EntityField][]): Record<string, SQLiteColumnBuilderBase> =>
  Object.fromEntries(
    fields.map(([name, field]) => {
      const column = KIND_COLUMN[field.column](name);
      return [camelCase(name), field.notNull ? column.notNull() : column];
    }),
  );

function entityColumns<E extends Entity>(entity: E): EntityColumns<E> {
  return {
    ...keyColumns(entity),
    ...fieldColumns(storedFields(entity)),
    ...(entity.happensAtLatestEvent ? { occurredAt: integer("occurred_at").notNull() } : {}),
    ...entityTimes,
  } as EntityColumns<E>;
}

export const reps = sqliteTable(ENTITIES.rep.table, entityColumns(ENTITIES.rep), (t) => [
  primaryKey({ columns: [t.workspaceId, t.repId] }),
]);

export const accounts = sqliteTable(ENTITIES.account.table, entityColumns(ENTITIES.account), (t) => [
  primaryKey({ columns: [t.workspaceId, t.accountId] }),
]);

export const leads = sqliteTable(ENTITIES.lead.table, entityColumns(ENTITIES.lead), (t) => [
  primaryKey({ columns: [t.workspaceId, t.leadId] }),
  index("leads_created").on(t.workspaceId, t.createdAt),
  index("leads_owner").on(t.workspaceId, t.ownerRepId),
]);

export const deals = sqliteTable(ENTITIES.deal.table, entityColumns(ENTITIES.deal), (t) => [
  primaryKey({ columns: [t.workspaceId, t.dealId] }),
  index("deals_closed").on(t.workspaceId, t.closedAt),
  index("deals_created").on(t.workspaceId, t.createdAt),
  index("deals_owner").on(t.workspaceId, t.ownerRepId),
  // An account's deals, and its first won deal (customer accounts): by status and close.
  index("deals_account").on(t.workspaceId, t.accountId, t.status, t.closedAt),
  // Open pipeline (current status open or none, closed after an instant) and won deals by close time.
  index("deals_status").on(t.workspaceId, t.status, t.closedAt, t.createdAt, t.updatedAt, t.dealId),
]);

/** A deal's product lines as last set, one row per line (its fields: workers/model/entities.ts). */
export const dealProducts = sqliteTable(
  "deal_products",
  {
    workspaceId: text("workspace_id").notNull(),
    dealId: text("deal_id").notNull(),
    lineNo: integer("line_no").notNull(),
    ...(fieldColumns(Object.entries(PRODUCT_LINE_FIELDS)) as FieldColumns<typeof PRODUCT_LINE_FIELDS>),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.dealId, t.lineNo] }),
    index("deal_products_product").on(t.workspaceId, t.productId),
  ],
);

export const activities = sqliteTable(ENTITIES.activity.table, entityColumns(ENTITIES.activity), (t) => [
  primaryKey({ columns: [t.workspaceId, t.activityId] }),
  index("activities_time").on(t.workspaceId, t.occurredAt),
  index("activities_lead").on(t.workspaceId, t.leadId, t.occurredAt),
  index("activities_account").on(t.workspaceId, t.accountId, t.occurredAt),
  index("activities_deal").on(t.workspaceId, t.dealId, t.occurredAt),
  // No index by rep: every KPI reads a month's activities by time; one index fewer to write.
]);

export const activityParticipants = sqliteTable(
  "activity_participants",
  {
    workspaceId: text("workspace_id").notNull(),
    activityId: text("activity_id").notNull(),
    repId: text("rep_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.activityId, t.repId] })],
);

export const surveyResponses = sqliteTable(ENTITIES.survey.table, entityColumns(ENTITIES.survey), (t) => [
  primaryKey({ columns: [t.workspaceId, t.responseId] }),
  index("survey_responses_time").on(t.workspaceId, t.survey, t.occurredAt),
]);

export const subscriptions = sqliteTable(ENTITIES.subscription.table, entityColumns(ENTITIES.subscription), (t) => [
  primaryKey({ columns: [t.workspaceId, t.subscriptionId] }),
  index("subscriptions_account").on(t.workspaceId, t.accountId),
]);

// ---------------------------------------------------------------- settings the KPIs read

export const quotas = sqliteTable(
  "quotas",
  {
    workspaceId: text("workspace_id").notNull(),
    repId: text("rep_id").notNull(),
    month: text("month").notNull(),
    amount: real("amount").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.month, t.repId] })],
);

export const fxRates = sqliteTable(
  "fx_rates",
  {
    workspaceId: text("workspace_id").notNull(),
    currency: text("currency").notNull(),
    month: text("month").notNull(),
    /** Units of the base currency per unit of `currency`. */
    rate: real("rate").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.currency, t.month] })],
);

export const marketingSpend = sqliteTable(
  "marketing_spend",
  {
    workspaceId: text("workspace_id").notNull(),
    source: text("source").notNull(),
    month: text("month").notNull(),
    amount: real("amount").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.month, t.source] })],
);

// ---------------------------------------------------------------- KPIs and reports

/** Months whose KPIs must be recomputed. */
export const dirtyMonths = sqliteTable(
  "dirty_months",
  {
    workspaceId: text("workspace_id").notNull(),
    month: text("month").notNull(),
    markedAt: integer("marked_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.month] })],
);

/** A KPI value of a month: stored in kpi_values, computed into kpi_values_staging. */
const kpiValueColumns = () => ({
  workspaceId: text("workspace_id").notNull(),
  month: text("month").notNull(),
  kpi: text("kpi").notNull(),
  dimension: text("dimension").notNull(),
  key: text("key").notNull(),
  value: real("value"),
  numerator: real("numerator"),
  denominator: real("denominator"),
  computedAt: integer("computed_at").notNull(),
  dataAsOf: integer("data_as_of"),
  catalogVersion: text("catalog_version").notNull(),
});

/** A data-quality count of a month: stored in month_warnings, computed into month_warnings_staging. */
const monthWarningColumns = () => ({
  workspaceId: text("workspace_id").notNull(),
  month: text("month").notNull(),
  warning: text("warning").notNull(),
  count: integer("count").notNull(),
  computedAt: integer("computed_at").notNull(),
});

export const kpiValues = sqliteTable(
  "kpi_values",
  kpiValueColumns(),
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.month, t.kpi, t.dimension, t.key] }),
    index("kpi_values_series").on(t.workspaceId, t.kpi, t.dimension, t.month),
  ],
);

/**
 * A month being computed: the engine's statements write here under their run id, one
 * statement at a time, and one small batch swaps the finished run into kpi_values and
 * month_warnings, so readers never see half a month and no statement holds D1 for long.
 */
export const kpiValuesStaging = sqliteTable(
  "kpi_values_staging",
  { run: text("run").notNull(), ...kpiValueColumns() },
  (t) => [
    primaryKey({ columns: [t.run, t.kpi, t.dimension, t.key] }),
    index("kpi_values_staging_month").on(t.workspaceId, t.month, t.computedAt),
  ],
);

export const monthWarningsStaging = sqliteTable(
  "month_warnings_staging",
  { run: text("run").notNull(), ...monthWarningColumns() },
  (t) => [
    primaryKey({ columns: [t.run, t.warning] }),
    index("month_warnings_staging_month").on(t.workspaceId, t.month, t.computedAt),
  ],
);

/**
 * How the open pipeline moved during a month (docs/kpis.md, "Pipeline movement"): per
 * breakdown key and movement class, deals and converted value. Computed by the engine's
 * run with the KPIs (into the staging table) and swapped in with them.
 */
const pipelineMovementColumns = () => ({
  workspaceId: text("workspace_id").notNull(),
  month: text("month").notNull(),
  dimension: text("dimension").notNull(),
  key: text("key").notNull(),
  movement: text("movement").notNull(),
  deals: integer("deals").notNull(),
  value: real("value").notNull(),
  computedAt: integer("computed_at").notNull(),
});

export const pipelineMovements = sqliteTable("pipeline_movements", pipelineMovementColumns(), (t) => [
  primaryKey({ columns: [t.workspaceId, t.month, t.dimension, t.key, t.movement] }),
]);

export const pipelineMovementsStaging = sqliteTable(
  "pipeline_movements_staging",
  { run: text("run").notNull(), ...pipelineMovementColumns() },
  (t) => [
    primaryKey({ columns: [t.run, t.dimension, t.key, t.movement] }),
    index("pipeline_movements_staging_month").on(t.workspaceId, t.month, t.computedAt),
  ],
);

/**
 * The forecast made at start(M) for M, M+1 and M+2 (docs/kpis.md, rule 39), per breakdown
 * key: written by the first computation of M (workers/kpi/forecast.ts) and never again, so
 * that late events cannot rewrite what was forecast. `month` is M, `target_month` the
 * month forecast; amounts are converted to the workspace currency at M's rate.
 */
export const forecasts = sqliteTable(
  "forecasts",
  {
    workspaceId: text("workspace_id").notNull(),
    month: text("month").notNull(),
    targetMonth: text("target_month").notNull(),
    dimension: text("dimension").notNull(),
    key: text("key").notNull(),
    /** Open deals placed in the target month. */
    deals: integer("deals").notNull(),
    /** Σ their converted amount (the coverage numerator). */
    pipeline: real("pipeline").notNull(),
    /** Σ converted amount × P(won | stage). */
    weighted: real("weighted").notNull(),
    /** Σ revenue won in M−3 … M−1: the run rate is a third of it. */
    trailingRevenue: real("trailing_revenue").notNull(),
    /** The target month's quota of the key; null without one. */
    quota: real("quota"),
    madeAt: integer("made_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.month, t.targetMonth, t.dimension, t.key] })],
);

/** Published reports: immutable snapshots, one row per (month, version). */
export const reports = sqliteTable(
  "reports",
  {
    workspaceId: text("workspace_id").notNull(),
    month: text("month").notNull(),
    version: integer("version").notNull(),
    publishedAt: integer("published_at").notNull(),
    dataAsOf: integer("data_as_of"),
    /**
     * Unguessable (128 bits) link token for private sharing, the same for every version
     * of a month so that a shared link shows the latest revision; rotating replaces it.
     */
    shareToken: text("share_token").notNull(),
    /** SHA-256 of the report's KPI content: a revision is published only when it changes. */
    contentHash: text("content_hash").notNull(),
    /** When the cron last compared this (latest) version with freshly computed KPIs. */
    checkedAt: integer("checked_at").notNull(),
    document: text("document", { mode: "json" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.month, t.version] }),
    index("reports_share_token").on(t.shareToken),
  ],
);

/** Calls of a workspace's deploy hook after a publication, failures included. */
export const deployHookCalls = sqliteTable(
  "deploy_hook_calls",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: text("workspace_id").notNull(),
    calledAt: integer("called_at").notNull(),
    attempts: integer("attempts").notNull(),
    /** HTTP status of the last attempt, null when it did not answer. */
    status: integer("status"),
    ok: integer("ok", { mode: "boolean" }).notNull(),
    error: text("error"),
  },
  (t) => [index("deploy_hook_calls_workspace").on(t.workspaceId, t.calledAt)],
);

// ---------------------------------------------------------------- named histories

type HistoryColumns<T extends EntityType, F extends FieldName<T>> = KeyColumns<Entities[T]> & {
  [N in F as CamelCase<N>]: Entities[T]["fields"][N] extends infer Field extends EntityField
    ? KindColumn<N, Field>
    : never;
} & { occurredAt: InstantKey<"occurred_at">; eventId: NotNull<TextColumn<"event_id">> };

/** A view over field_history of one field's values, for a history the KPI engine reads by name. */
function historyView<const V extends string, T extends EntityType, F extends FieldName<T>>(view: V, type: T, field: F) {
  const entity: Entity = ENTITIES[type];
  const { column } = entity.fields[field]!;
  const columns = {
    ...keyColumns(entity),
    [camelCase(field)]: KIND_COLUMN[column](field),
    occurredAt: integer("occurred_at").notNull(),
    eventId: text("event_id").notNull(),
  } as HistoryColumns<T, F>;
  return sqliteView(view, columns).as(
    sql.raw(
      `SELECT workspace_id, entity_id AS ${entity.id}, ${HISTORY_SLOT[column]} AS ${field}, occurred_at, event_id ` +
        `FROM field_history WHERE entity_type = '${type}' AND field = '${field}'`,
    ),
  );
}

export const dealStageHistory = historyView("deal_stage_history", "deal", "stage");
export const dealStatusHistory = historyView("deal_status_history", "deal", "status");
export const leadStageHistory = historyView("lead_stage_history", "lead", "stage");
export const mrrHistory = historyView("mrr_history", "subscription", "mrr");

/** Data-quality counts of a month (docs/spec-readings.md, "Warnings"), written with its KPI values. */
export const monthWarnings = sqliteTable(
  "month_warnings",
  monthWarningColumns(),
  (t) => [primaryKey({ columns: [t.workspaceId, t.month, t.warning] })],
);
