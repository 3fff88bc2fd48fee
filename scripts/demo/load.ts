// Loads the demo company into a running Quotient through its public API and the real
// webhook endpoints, each source in its own format and signature:
//   npx tsx scripts/demo/load.ts --api http://localhost:8787 --token <ADMIN_TOKEN> [--seed 42] [--scale 1] [--workspace demo] [--json]
// Creates the workspace, one connection per kind, quotas / FX rates / spend, posts every
// request (8 in flight, 503 / 429 retried per Retry-After), waits until the deliveries they
// carried are applied, recomputes every month and publishes every month. A workspace that
// already exists is left as it is (a second `npm start` keeps the data). Progress counts
// requests, deliveries and months apart (progress.ts says which is which).
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { type Company, generateCompany } from "./company";
import { CLOSE_LEAD_STATUSES, type Delivery, encodeCompany, KINDS, type Kind, SALESFORCE_LEAD_STATUSES } from "./encode/index";
import { applyingLine, doneLine, type InboxCounts, monthsLine, postingLine, stored } from "./progress";
import { outlierStory, story, total } from "./story";

export interface LoadOptions {
  /** The Worker's origin (http://localhost:8787) or its API base (…/api/v1). */
  api: string;
  token: string;
  seed?: number;
  scale?: number;
  workspace?: string;
  end?: string;
  months?: number;
  concurrency?: number;
  /** Give up waiting for the inbox after this long (default 15 minutes). */
  drainTimeoutMs?: number;
  /** Progress and messages (default: stderr). */
  log?: (line: string) => void;
  /** Redraws the progress line in place (default: when stderr is a TTY). */
  interactive?: boolean;
}

export interface LoadResult {
  workspace: string;
  skipped: boolean;
  events?: number;
  /** HTTP requests posted to the webhook endpoints. */
  requests?: number;
  /** Requests not accepted (after retries). */
  failed?: number;
  /** Deliveries the Worker stored from the requests, and how many it applied. */
  deliveries?: number;
  applied?: number;
  deadLetters?: number;
  months?: string[];
  timings?: Record<string, number>;
}

const ACCEPTED: Record<Kind, number> = { native: 202, hubspot: 200, pipedrive: 200, close: 200, salesforce: 200, stripe: 200 };
const MAX_ATTEMPTS = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class ApiError extends Error {}

function bases(api: string): { origin: string; apiBase: string } {
  const trimmed = api.replace(/\/+$/, "");
  const apiBase = /\/api\/v1$/.test(trimmed) ? trimmed : `${trimmed}/api/v1`;
  return { origin: apiBase.replace(/\/api\/v1$/, ""), apiBase };
}

export async function loadDemo(options: LoadOptions): Promise<LoadResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const interactive = options.interactive ?? (options.log === undefined && Boolean(process.stderr.isTTY));
  /** A progress line: redrawn in place when interactive, else logged every few seconds. */
  let lastDrawn = 0;
  const progress = (line: string, force = false) => {
    const now = Date.now();
    if (!force && now - lastDrawn < (interactive ? 100 : 5000)) return;
    lastDrawn = now;
    if (interactive) process.stderr.write(`\r${line}\x1b[K`);
    else log(line);
  };
  const endProgress = () => {
    if (interactive && lastDrawn > 0) process.stderr.write("\n");
    lastDrawn = 0;
  };
  const slug = options.workspace ?? "demo";
  const { origin, apiBase } = bases(options.api);
  const timings: Record<string, number> = {};
  const started = Date.now();
  let lap = started;
  const time = (step: string) => {
    const now = Date.now();
    timings[step] = now - lap;
    lap = now;
  };

  async function api<T>(method: string, path: string, body?: unknown, allow: number[] = []): Promise<{ status: number; json: T }> {
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(`${apiBase}${path}`, {
          method,
          headers: { authorization: `Bearer ${options.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS) throw error;
        await sleep(500 * attempt);
        continue;
      }
      if ((response.status === 429 || response.status === 503) && attempt < MAX_ATTEMPTS) {
        await sleep(Math.min(30, Number(response.headers.get("retry-after")) || attempt) * 1000);
        continue;
      }
      const text = await response.text();
      if (!response.ok && !allow.includes(response.status)) {
        throw new ApiError(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
      }
      return { status: response.status, json: (text ? JSON.parse(text) : null) as T };
    }
  }

  // ---- an existing workspace is kept
  const existing = await api("GET", `/workspaces/${slug}`, undefined, [404]);
  if (existing.status === 200) {
    log(`• workspace "${slug}" exists: the demo data is kept (use --workspace <other> for a fresh one)`);
    return { workspace: slug, skipped: true };
  }

  // ---- the company
  const company: Company = generateCompany({
    seed: options.seed ?? 42,
    scale: options.scale ?? 1,
    ...(options.end ? { end: options.end } : {}),
    ...(options.months ? { months: options.months } : {}),
  });
  const encoded = encodeCompany(company);
  const sourceEvents = KINDS.reduce((sum, kind) => sum + encoded.parts[kind].length, 0);
  const requestCount = KINDS.reduce((sum, kind) => sum + encoded.deliveries[kind].length, 0);
  log(
    `• demo company: ${company.reps.length} reps in ${company.teams.length} teams, ${company.events.length} events ` +
      `(${company.start} … ${company.end}), split into ${sourceEvents} source events (CRM fields + native details) ` +
      `sent in ${requestCount} requests: ${KINDS.map((k) => `${k} ${encoded.deliveries[k].length}`).join(", ")}`,
  );
  time("generate");

  // ---- workspace, connections, settings
  await api("POST", "/workspaces", {
    slug,
    name: company.name,
    timezone: company.timezone,
    currency: company.currency,
    pipeline_stages: company.settings.pipeline_stages,
    // The demo's reports are public: `npm start` links to /<workspace>/<month>/ and the index.
    public_reports: true,
  });
  const secrets: Record<Kind, string | undefined> = {
    native: undefined, // the API issues it
    hubspot: [8, 4, 4, 4, 12].map((n) => randomBytes(n / 2).toString("hex")).join("-"),
    pipedrive: undefined, // the API issues the Basic password
    close: randomBytes(32).toString("hex"),
    salesforce: undefined,
    stripe: `whsec_${randomBytes(24).toString("hex")}`,
  };
  const configs: Record<Kind, Record<string, unknown>> = {
    native: {},
    hubspot: {},
    pipedrive: { username: "quotient" },
    close: { lead_status_stages: CLOSE_LEAD_STATUSES },
    salesforce: { organization_id: company.salesforceOrgId, lead_status_stages: SALESFORCE_LEAD_STATUSES },
    stripe: {},
  };
  const names: Record<Kind, string> = {
    native: "Native (reps, surveys, details)", hubspot: "HubSpot (Atlas)", pipedrive: "Pipedrive (Borealis)",
    close: "Close (Cobalt)", salesforce: "Salesforce (Delta)", stripe: "Stripe (billing)",
  };
  const connections = {} as Record<Kind, { url: string; secret: string | null; username?: string }>;
  for (const kind of KINDS) {
    const created = await api<{ webhook_url: string; secret: string | null; username?: string }>(
      "POST",
      `/workspaces/${slug}/connections`,
      { kind, name: names[kind], ...(secrets[kind] ? { secret: secrets[kind] } : {}), config: configs[kind] },
    );
    connections[kind] = { url: created.json.webhook_url, secret: created.json.secret, ...(created.json.username ? { username: created.json.username } : {}) };
  }
  await api("PUT", `/workspaces/${slug}/quotas`, company.settings.quotas);
  await api("PUT", `/workspaces/${slug}/fx-rates`, company.settings.fx_rates);
  await api("PUT", `/workspaces/${slug}/spend`, company.settings.spend);
  log(`• workspace "${slug}" with ${KINDS.length} connections, ${company.settings.quotas.length} quotas, FX rates and spend`);
  type IngestStatus = InboxCounts & { dead_letters: number; dirty_months: number };
  const ingestStatus = async () => (await api<IngestStatus>("GET", `/workspaces/${slug}/ingest-status`)).json;
  // The inbox before posting (empty for a new workspace): the counts below are ours alone.
  const before = await ingestStatus();
  const ours = (s: IngestStatus): InboxCounts => ({
    processed: s.processed - before.processed,
    failed: s.failed - before.failed,
    pending: s.pending - before.pending,
  });
  time("setup");

  // ---- deliveries: interleaved across sources (each spread evenly), as they would arrive
  const ordered: Delivery[] = KINDS.flatMap((kind) =>
    encoded.deliveries[kind].map((delivery, j, list) => ({ delivery, at: (j + 0.5) / list.length })),
  )
    .sort((a, b) => a.at - b.at)
    .map(({ delivery }) => delivery);

  let answered = 0;
  let failed = 0;
  const failures: string[] = [];
  const postingSince = Date.now();
  const draw = (force = false) =>
    progress(postingLine({ answered, total: ordered.length, failed, seconds: (Date.now() - postingSince) / 1000 }), force);

  async function post(delivery: Delivery): Promise<void> {
    const connection = connections[delivery.kind];
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        const headers = await delivery.headers({ url: connection.url, secret: connection.secret, username: connection.username, now: Date.now() });
        response = await fetch(connection.url, { method: "POST", headers, body: delivery.body });
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS) {
          failed++;
          failures.push(`${delivery.kind}: ${(error as Error).message}`);
          return;
        }
        await sleep(500 * attempt);
        continue;
      }
      if ((response.status === 503 || response.status === 429) && attempt < MAX_ATTEMPTS) {
        await response.body?.cancel();
        await sleep(Math.min(30, Number(response.headers.get("retry-after")) || attempt) * 1000);
        continue;
      }
      const text = await response.text();
      if (response.status !== ACCEPTED[delivery.kind]) {
        failed++;
        if (failures.length < 10) failures.push(`${delivery.kind}: ${response.status} ${text.slice(0, 200)}`);
      }
      return;
    }
  }

  log(`• posting ${ordered.length} requests to the webhook endpoints`);
  let next = 0;
  const workers = Array.from({ length: options.concurrency ?? 8 }, async () => {
    while (next < ordered.length) {
      const delivery = ordered[next++]!;
      await post(delivery);
      answered++;
      draw();
    }
  });
  await Promise.all(workers);
  draw(true);
  endProgress();
  for (const failure of failures) log(`  ! ${failure}`);
  time("deliver");

  // ---- wait until the queue consumer has applied the deliveries
  const deadline = Date.now() + (options.drainTimeoutMs ?? 15 * 60_000);
  let status: IngestStatus = await ingestStatus();
  let lastPending = Infinity;
  let stalledSince = Date.now();
  let calm = 0;
  // Every request has been answered, so the Worker has stored all the deliveries they carry.
  log(`• applying the ${stored(ours(status))} deliveries the Worker stored from them`);
  for (let first = true; Date.now() < deadline; first = false) {
    if (!first) status = await ingestStatus();
    progress(applyingLine(ours(status)), first);
    if (status.pending === 0) {
      if (++calm >= 2) break;
    } else calm = 0;
    if (status.pending < lastPending) {
      lastPending = status.pending;
      stalledSince = Date.now();
    } else if (Date.now() - stalledSince > 30_000) {
      // Nothing moved for 30 s: run the cron, whose sweep re-enqueues stored deliveries
      // (wrangler dev serves /__scheduled when started with --test-scheduled).
      await fetch(`${origin}/__scheduled?cron=${encodeURIComponent("*/5 * * * *")}`).catch(() => undefined);
      stalledSince = Date.now();
    }
    await sleep(1000);
  }
  progress(applyingLine(ours(status)), true);
  endProgress();
  if (status.pending > 0) log(`  ! ${status.pending} deliveries are still pending; continuing`);
  time("apply");

  // ---- recompute and publish every month
  const monthCount = company.months.length;
  log(`• computing ${monthCount} months`);
  for (const [i, month] of company.months.entries()) {
    await api("POST", `/workspaces/${slug}/recompute`, { from: month, to: month });
    progress(monthsLine(i + 1, monthCount, month), i + 1 === monthCount);
  }
  endProgress();
  time("recompute");
  log(`• publishing ${monthCount} monthly reports`);
  for (const [i, month] of company.months.entries()) {
    await api("POST", `/workspaces/${slug}/reports/${month}/publish`);
    progress(monthsLine(i + 1, monthCount, month), i + 1 === monthCount);
  }
  endProgress();
  time("publish");

  const after = await ingestStatus();
  const inbox = ours(after);
  const s = story(company);
  const lastQ = company.months.slice(-3);
  const prevQ = company.months.slice(-6, -3);
  const k = (n: number) => `${Math.round(n / 1000)}k`;
  const record = outlierStory(company);
  log(
    `${doneLine({ seconds: (Date.now() - started) / 1000, requests: ordered.length, refused: failed, inbox, deadLetters: after.dead_letters })}\n` +
      `  story: win rate ${Object.entries(s.winRate).map(([t, r]) => `${t} ${(r * 100).toFixed(0)}%`).join(", ")}; ` +
      `APAC revenue ${k(total(s.revenueByRegion.APAC, prevQ))} → ${k(total(s.revenueByRegion.APAC, lastQ))} (last quarter); ` +
      `AI Copilot launched ${company.launchMonth}, ${k(total(s.revenueByProduct.copilot, lastQ))} in the last quarter` +
      (record
        ? `;\n  record deal: ${record.rep} (${record.team}) signed ${record.account} in ${record.month}, ` +
          `${k(record.revenue)} or ${Math.round(record.attainment * 100)}% of quota`
        : ""),
  );
  return {
    workspace: slug,
    skipped: false,
    events: company.events.length,
    requests: ordered.length,
    failed,
    deliveries: stored(inbox),
    applied: inbox.processed,
    deadLetters: after.dead_letters,
    months: company.months,
    timings,
  };
}

// ---- CLI
const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("scripts/demo/load.ts");
if (isMain) {
  const { values } = parseArgs({
    options: {
      api: { type: "string", default: process.env.QUOTIENT_API ?? "http://localhost:8787" },
      token: { type: "string", default: process.env.ADMIN_TOKEN },
      seed: { type: "string", default: "42" },
      scale: { type: "string", default: "1" },
      workspace: { type: "string", default: "demo" },
      end: { type: "string" },
      months: { type: "string" },
      concurrency: { type: "string", default: "8" },
      /** Also print the result as one JSON line on stdout. */
      json: { type: "boolean", default: false },
    },
  });
  if (!values.token) {
    process.stderr.write("usage: npx tsx scripts/demo/load.ts --api http://localhost:8787 --token <ADMIN_TOKEN> [--seed 42] [--scale 1] [--workspace demo] [--json]\n");
    process.exit(2);
  }
  try {
    const result = await loadDemo({
      api: values.api!,
      token: values.token,
      seed: Number(values.seed),
      scale: Number(values.scale),
      workspace: values.workspace!,
      ...(values.end ? { end: values.end } : {}),
      ...(values.months ? { months: Number(values.months) } : {}),
      concurrency: Number(values.concurrency),
    });
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(result.failed ? 1 : 0);
  } catch (error) {
    process.stderr.write(`✗ ${(error as Error).message}\n`);
    process.exit(1);
  }
}
