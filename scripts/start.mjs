#!/usr/bin/env node
// `npm start`: local secrets, D1 migrations, the Worker in workerd (wrangler dev), the demo
// company through the real webhook endpoints (once), recompute and publish, export, the
// report site build, and both servers. Prints the URLs, the admin token and the run time.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values: options } = parseArgs({
  options: {
    port: { type: "string", default: process.env.PORT ?? "8787" },
    "site-port": { type: "string", default: process.env.SITE_PORT ?? "4321" },
    workspace: { type: "string", default: "demo" },
    scale: { type: "string", default: process.env.DEMO_SCALE ?? "1" },
    "no-demo": { type: "boolean", default: false },
  },
});
const started = Date.now();
// Astro would otherwise try to send anonymous usage data.
process.env.ASTRO_TELEMETRY_DISABLED = "1";
const node = process.execPath;
const wrangler = "node_modules/wrangler/bin/wrangler.js";
const children = [];

const elapsed = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/**
 * Reads .dev.vars and adds a random ADMIN_TOKEN / SECRETS_KEY where missing, and the local
 * site's URL as REPORT_SITE_URL (the digests link to it).
 */
function ensureDevVars() {
  const path = ".dev.vars";
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const vars = Object.fromEntries(
    text
      .split("\n")
      .filter((line) => /^\w+=/.test(line))
      .map((line) => {
        const [key, ...rest] = line.split("=");
        return [key, rest.join("=").replace(/^"|"$/g, "")];
      }),
  );
  const additions = [];
  if (!vars.ADMIN_TOKEN) additions.push(["ADMIN_TOKEN", `qa_${randomBytes(24).toString("hex")}`]);
  if (!vars.SECRETS_KEY) additions.push(["SECRETS_KEY", randomBytes(32).toString("base64")]);
  if (!vars.REPORT_SITE_URL) additions.push(["REPORT_SITE_URL", `http://127.0.0.1:${options["site-port"]}/`]);
  if (additions.length > 0) {
    const lines = additions.map(([key, value]) => `${key}="${value}"`).join("\n");
    writeFileSync(path, `${text}${text && !text.endsWith("\n") ? "\n" : ""}${lines}\n`, { mode: 0o600 });
    for (const [key, value] of additions) vars[key] = value;
    console.log(`• wrote ${additions.map(([key]) => key).join(" and ")} to .dev.vars`);
  }
  return vars;
}

/**
 * Runs a command to completion without blocking this process, so that the servers' output
 * keeps being read (a full pipe would stall wrangler). With `quiet`, its output is shown
 * only when it fails.
 */
function step(title, command, args, { env = {}, quiet = true } = {}) {
  const since = Date.now();
  if (quiet) process.stdout.write(`• ${title} … `);
  else console.log(`• ${title}`);
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: quiet ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
      env: { ...process.env, CI: "1", ...env },
    });
    let output = "";
    child.stdout?.on("data", (chunk) => (output = (output + chunk).slice(-20000)));
    child.stderr?.on("data", (chunk) => (output = (output + chunk).slice(-20000)));
    child.on("exit", (code) => {
      if (code !== 0) {
        console.log(quiet ? "failed" : `✗ ${title} failed`);
        process.stderr.write(output);
        shutdown(1);
      }
      console.log(quiet ? `done (${elapsed(since)})` : `  done (${elapsed(since)})`);
      resolve(output);
    });
  });
}

function serve(title, command, args) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env } });
  // Keep reading the output (an unread pipe stalls the server) but only its tail.
  let output = "";
  child.stdout.on("data", (chunk) => (output = (output + chunk).slice(-20000)));
  child.stderr.on("data", (chunk) => (output = (output + chunk).slice(-20000)));
  child.on("exit", (code) => {
    if (!stopping) {
      console.error(`✗ ${title} stopped (${code})\n${output.slice(-4000)}`);
      shutdown(1);
    }
  });
  children.push(child);
  return child;
}

async function waitUntilUp(url, title) {
  for (let i = 0; i < 600; i++) {
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  console.error(`✗ ${title} did not come up at ${url}`);
  shutdown(1);
}

let stopping = false;
function shutdown(code) {
  stopping = true;
  for (const child of children) child.kill("SIGTERM");
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => shutdown(0));

const vars = ensureDevVars();
const token = vars.ADMIN_TOKEN;
const api = `http://localhost:${options.port}`;
const site = `http://localhost:${options["site-port"]}`;

// The directory and every workspace database of wrangler.toml (created locally by applying them).
await step("applying D1 migrations to the local databases", node, ["scripts/migrate.mjs", "--local"]);

process.stdout.write("• starting the Worker (wrangler dev) … ");
const workerSince = Date.now();
serve("the Worker", node, [wrangler, "dev", "--port", options.port, "--test-scheduled", "--show-interactive-dev-session=false"]);
await waitUntilUp(`${api}/`, "the Worker");
console.log(`done (${elapsed(workerSince)})`);

// Local databases from before the directory: register their workspaces (idempotent).
for (let cursor = null, first = true; first || cursor; first = false) {
  const response = await fetch(`${api}/api/v1/admin/directory/adopt${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) break;
  cursor = (await response.json()).next_cursor;
}

const workspace = options.workspace;
let latestReport = null;
if (!options["no-demo"]) {
  const existing = await fetch(`${api}/api/v1/workspaces/${workspace}`, { headers: { authorization: `Bearer ${token}` } });
  if (existing.status === 200) {
    console.log(`• demo company already loaded in workspace "${workspace}" (npm run reset starts over)`);
  } else {
    await step(
      "loading the demo company through the CRM webhook endpoints",
      "npx",
      ["tsx", "scripts/demo/load.ts", "--api", api, "--token", token, "--workspace", workspace, "--scale", options.scale],
      { quiet: false },
    );
  }
  const reports = await fetch(`${api}/api/v1/workspaces/${workspace}/reports?limit=1`, { headers: { authorization: `Bearer ${token}` } });
  if (reports.ok) latestReport = (await reports.json()).items[0] ?? null;
}

await step("exporting published reports to .reports", node, ["scripts/export.mjs", "--api", api, "--token", token, "--out", ".reports"], {
  quiet: false,
});
await step("building the report site", "npx", ["astro", "build", "--root", "site"], { env: { REPORTS_DIR: `${process.cwd()}/.reports` } });

process.stdout.write("• serving the site … ");
serve("the site", "npx", ["astro", "preview", "--root", "site", "--port", options["site-port"], "--host", "127.0.0.1"]);
await waitUntilUp(`${site}/`, "the site");
console.log("done");

console.log(`
Quotient is running (started in ${elapsed(started)})
  Report site   ${site}/${latestReport ? `\n  A report      ${site}/${workspace}/${latestReport.month}/` : ""}
  KPI glossary  ${site}/kpis/
  API           ${api}/api/v1   (reference: ${api}/api/v1/docs)
  Run the cron  ${api}/__scheduled?cron=0+*+*+*+*
  Admin token   ${token}
Press Ctrl-C to stop.`);
