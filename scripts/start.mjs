#!/usr/bin/env node
// `npm start`: prepares local secrets, applies the D1 migrations locally and runs the
// Worker in workerd (wrangler dev), then prints the URL and the admin token.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values: options } = parseArgs({ options: { port: { type: "string", default: process.env.PORT ?? "8787" } } });
const started = Date.now();
const wrangler = ["node_modules/wrangler/bin/wrangler.js"];

/** Reads .dev.vars and adds a random ADMIN_TOKEN / SECRETS_KEY where missing. */
function ensureDevVars() {
  const path = ".dev.vars";
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const vars = Object.fromEntries(
    text.split("\n").filter((line) => /^\w+=/.test(line)).map((line) => {
      const [key, ...rest] = line.split("=");
      return [key, rest.join("=").replace(/^"|"$/g, "")];
    }),
  );
  const additions = [];
  if (!vars.ADMIN_TOKEN) additions.push(["ADMIN_TOKEN", `qa_${randomBytes(24).toString("hex")}`]);
  if (!vars.SECRETS_KEY) additions.push(["SECRETS_KEY", randomBytes(32).toString("base64")]);
  if (additions.length > 0) {
    const lines = additions.map(([key, value]) => `${key}="${value}"`).join("\n");
    writeFileSync(path, `${text}${text && !text.endsWith("\n") ? "\n" : ""}${lines}\n`, { mode: 0o600 });
    for (const [key, value] of additions) vars[key] = value;
    console.log(`• wrote ${additions.map(([key]) => key).join(" and ")} to .dev.vars`);
  }
  return vars;
}

function step(title, args) {
  console.log(`• ${title}`);
  const result = spawnSync(process.execPath, [...wrangler, ...args], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, CI: "1" } });
  if (result.status !== 0) {
    console.error(`✗ ${title} failed`);
    process.exit(result.status ?? 1);
  }
}

async function waitUntilUp(url, child) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error("wrangler dev exited");
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not come up`);
}

const vars = ensureDevVars();
step("applying D1 migrations to the local database", ["d1", "migrations", "apply", "DB", "--local"]);

console.log("• starting the Worker (wrangler dev)");
const url = `http://localhost:${options.port}`;
const dev = spawn(process.execPath, [...wrangler, "dev", "--port", options.port, "--test-scheduled", "--show-interactive-dev-session=false"], {
  stdio: ["ignore", "pipe", "pipe"],
});
dev.stdout.on("data", (chunk) => process.env.QUOTIENT_VERBOSE && process.stdout.write(chunk));
dev.stderr.on("data", (chunk) => process.stderr.write(chunk));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));

try {
  await waitUntilUp(`${url}/`, dev);
} catch (error) {
  console.error(`✗ ${error.message}`);
  dev.kill();
  process.exit(1);
}

console.log(`
Quotient is running (${((Date.now() - started) / 1000).toFixed(1)} s)
  Worker        ${url}
  API           ${url}/api/v1
  OpenAPI       ${url}/api/v1/openapi.json
  Run the cron  ${url}/__scheduled?cron=*/5+*+*+*+*
  Admin token   ${vars.ADMIN_TOKEN}
Press Ctrl-C to stop.`);
dev.on("exit", (code) => process.exit(code ?? 0));
