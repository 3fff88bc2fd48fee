/// <reference types="node" />
// A real local Worker for the site project's end-to-end tests: `wrangler dev` (workerd, a
// local D1 with the real migrations, queues, cron), on a random port, with its own state.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, REPO } from "./helpers";

const WRANGLER = join(REPO, "node_modules/wrangler/bin/wrangler.js");
/** Test-only values; real ones are Worker secrets. */
export const ADMIN_TOKEN = "ci-admin-token";
const SECRETS_KEY = "q1YJ0lJb9b1qQm3wzq8aH2vN8cQbF3m6D3H8f2n6X1Y=";

export interface LocalWorker {
  url: string;
  stop(): void;
}

/** Starts `wrangler dev` on fresh state under test-artifacts/<name>; resolves once it answers. */
export async function startWorker(name: string): Promise<LocalWorker> {
  const state = join(ARTIFACTS, name);
  rmSync(state, { recursive: true, force: true });
  const env = { ...process.env, CI: "1" };
  // The directory and every workspace database of wrangler.toml.
  const migrate = spawnSync(process.execPath, [join(REPO, "scripts/migrate.mjs"), "--local", "--persist-to", state], {
    cwd: REPO,
    encoding: "utf8",
    env,
  });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stderr}`);
  const port = 18000 + Math.floor(Math.random() * 2000);
  const url = `http://127.0.0.1:${port}`;
  const worker: ChildProcess = spawn(
    process.execPath,
    [WRANGLER, "dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", state, "--test-scheduled",
      "--show-interactive-dev-session=false", "--var", `ADMIN_TOKEN:${ADMIN_TOKEN}`, "--var", `SECRETS_KEY:${SECRETS_KEY}`],
    { cwd: REPO, env },
  );
  let output = "";
  worker.stdout!.on("data", (chunk) => (output = (output + chunk).slice(-10000)));
  worker.stderr!.on("data", (chunk) => (output = (output + chunk).slice(-10000)));
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(`${url}/`)).ok) break;
    } catch {
      // not listening yet
    }
    if (attempt > 240) {
      worker.kill("SIGTERM");
      throw new Error(`wrangler dev did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, stop: () => worker.kill("SIGTERM") };
}
