/// <reference types="node" />
// Shared helpers of the site tests: build the Astro site from a reports folder into a
// folder under test-artifacts/, serve a built site on localhost, and cut figures out of HTML.
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, join, resolve } from "node:path";
import { type Browser, chromium } from "playwright-core";

export const REPO = resolve(import.meta.dirname, "../..");
export const FIXTURES = join(REPO, "test/fixtures/reports");
export const ARTIFACTS = join(REPO, "test-artifacts");

export interface BuildResult {
  status: number | null;
  output: string;
  outDir: string;
}

/**
 * Runs `astro build --root site` as the package script will, with REPORTS_DIR set. The
 * output folder must be inside the working directory (an Astro limitation), hence
 * test-artifacts/ (gitignored).
 */
export function buildSite(reportsDir: string, name: string, options: { over?: boolean } = {}): BuildResult {
  const outDir = join(ARTIFACTS, name);
  // `over`: build over the folder's last build, as a deploy does (Astro empties it itself).
  if (!options.over) rmSync(outDir, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  const result = spawnSync(process.execPath, [join(REPO, "node_modules/astro/astro.js"), "build", "--root", "site"], {
    cwd: REPO,
    encoding: "utf8",
    env: { ...process.env, REPORTS_DIR: reportsDir, SITE_OUT_DIR: outDir, ASTRO_TELEMETRY_DISABLED: "1", NO_COLOR: "1" },
    timeout: 170_000,
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}`, outDir };
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css",
  ".js": "text/javascript",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

/** A static file server over a built site; resolves with its base URL. */
export async function serve(root: string): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    let path = resolve(root, `.${pathname}`);
    if (!path.startsWith(resolve(root))) {
      response.writeHead(403).end();
      return;
    }
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, "index.html");
    if (!existsSync(path)) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    response.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" });
    createReadStream(path).pipe(response);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, server };
}

/** The <figure>…</figure> blocks of a page (figures never nest in this site). */
export function figures(html: string): string[] {
  return html.match(/<figure\b[\s\S]*?<\/figure>/g) ?? [];
}

/** Numbers of every `data-value="…"` attribute in the fragment, skipping empty (null) ones. */
export function dataValues(fragment: string): number[] {
  return [...fragment.matchAll(/\sdata-value="([^"]*)"/g)].flatMap((m) => (m[1] === "" ? [] : [Number(m[1])]));
}

/** The numbers an SVG says it draws (its data-values attribute). */
export function drawnValues(svgOpenTag: string): number[] {
  const match = /\sdata-values="([^"]*)"/.exec(svgOpenTag);
  return match && match[1] ? match[1].split(" ").map(Number) : [];
}

export const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

/** Debian's Chromium (CI installs it); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Headless Chromium for the browser tests; without it they fail on purpose, never skip. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. Install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH; this suite does not skip.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}
