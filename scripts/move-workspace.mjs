#!/usr/bin/env node
// `npm run move-workspace -- --workspace acme --to DB_WS_2 --api URL --token ADMIN_TOKEN`:
// moves a workspace to another workspace database. Starts the move (the workspace is
// paused: its deliveries are held, nothing is lost), then calls POST …/move/step until it
// is done — copy, verification of row counts and checksums per table, switch, resume,
// deletion of the old copy — and prints each table's counts. Run again after an
// interruption: it continues the move under way.
import { parseArgs } from "node:util";

export async function moveWorkspace({ api, token, workspace, to, log = console.log, pauseMs = 1000 }) {
  const base = `${api.replace(/\/+$/, "")}/api/v1/admin/workspaces/${encodeURIComponent(workspace)}/move`;
  const request = async (method, url, body) => {
    const response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: await response.json().catch(() => ({})) };
  };
  // A move under way (an interrupted run) is continued; otherwise a new one starts.
  const current = await request("POST", `${base}/step`);
  let move = current.status === 200 && !["done", "failed"].includes(current.body.state) ? current.body : null;
  if (move) log(`continuing the move of ${workspace} to ${move.to} (${move.state})`);
  else {
    const started = await request("POST", base, { to });
    if (started.status !== 202) throw new Error(`POST ${base}: ${started.status} ${JSON.stringify(started.body)}`);
    move = started.body;
    log(`moving ${workspace} from ${move.from} to ${move.to}: paused`);
  }
  let state = move.state;
  while (!["done", "failed"].includes(move.state)) {
    const step = await request("POST", `${base}/step`);
    if (step.status !== 200) throw new Error(`POST ${base}/step: ${step.status} ${JSON.stringify(step.body)}`);
    move = step.body;
    if (move.state !== state) {
      log(`  ${move.state}${move.attempt > 1 ? ` (attempt ${move.attempt}: ${move.reason})` : ""}`);
      state = move.state;
    }
    // Waiting out the settling time: no need to ask many times a second.
    if (move.state === "settling") await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  for (const table of move.tables) {
    log(`  ${table.table.padEnd(28)} ${String(table.source_rows).padStart(9)} rows  checksum ${table.source_checksum} ${table.source_checksum === table.target_checksum && table.source_rows === table.target_rows ? "= copy" : `≠ copy (${table.target_rows} rows, ${table.target_checksum})`}`);
  }
  if (move.state === "failed") throw new Error(`the move failed: ${move.reason}; ${workspace} stays in ${move.from}`);
  log(`${workspace} is in ${move.to}; ${move.released_deliveries ?? 0} deliveries held during the move were applied after it`);
  return move;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { api: { type: "string" }, token: { type: "string" }, workspace: { type: "string" }, to: { type: "string" } },
  });
  if (!values.api || !values.token || !values.workspace || !values.to) {
    console.error("usage: npm run move-workspace -- --workspace <slug> --to <DB_WS_n> --api <url> --token <ADMIN_TOKEN>");
    process.exit(2);
  }
  moveWorkspace(values).catch((error) => {
    console.error(String(error.message ?? error));
    process.exit(1);
  });
}
