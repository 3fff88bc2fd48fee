// The export CLI: pages through workspaces and reports, writes each report, its digest
// (HTML and text) and an index, and skips reports whose version is already on disk. The API is a stand-in HTTP server
// answering with the documented shapes (the Worker's own answers are tested in workerd).
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ESM script without type declarations
import { exportReports } from "../../scripts/export.mjs";

let server: Server;
let api: string;
const requests: string[] = [];
let version = 1;
/** The Worker has no REPORT_SITE_URL: its digest route answers 503. */
let digestsOff = false;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(request.url!);
    if (request.headers.authorization !== "Bearer t0k") return response.writeHead(401).end();
    const url = new URL(request.url!, "http://x");
    const json = (body: unknown) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (url.pathname === "/api/v1/workspaces") {
      return url.searchParams.get("cursor")
        ? json({ items: [{ slug: "beta", name: "Beta" }], next_cursor: null })
        : json({ items: [{ slug: "acme", name: "Acme", public_reports: true }], next_cursor: "c1" });
    }
    const list = /^\/api\/v1\/workspaces\/(\w+)\/reports$/.exec(url.pathname);
    if (list) {
      const months = list[1] === "acme" ? ["2026-03", "2026-02"] : ["2026-03"];
      return json({ items: months.map((month) => ({ month, version, share_token: `tok-${list[1]}-${month}`, published_at: "2026-04-01T10:00:00.000Z" })), next_cursor: null });
    }
    const digest = /^\/api\/v1\/workspaces\/(\w+)\/reports\/([\d-]+)\/digest$/.exec(url.pathname);
    if (digest) {
      if (digestsOff) return response.writeHead(503, { "content-type": "application/problem+json" }).end("{}");
      const [, slug, month] = digest;
      const asked = `${slug} ${month} v${url.searchParams.get("version")}`;
      return url.searchParams.get("format") === "text"
        ? response.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(`digest of ${asked}\n`)
        : response.writeHead(200, { "content-type": "text/html; charset=UTF-8" }).end(`<!DOCTYPE html><title>${asked}</title>`);
    }
    const one = /^\/api\/v1\/workspaces\/(\w+)\/reports\/([\d-]+)$/.exec(url.pathname);
    if (one) return json({ schema_version: 1, month: one[2], version, share_token: `tok-${one[1]}-${one[2]}` });
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("npm run export", () => {
  it("writes every report and an index, then skips the unchanged ones", async () => {
    const out = await mkdtemp(join(tmpdir(), "quotient-export-"));
    const log: string[] = [];
    expect(await exportReports({ api, token: "t0k", out, log: (line: string) => log.push(line) })).toEqual({ written: 3, unchanged: 0, reports: 3, digests: 3 });
    const index = JSON.parse(await readFile(join(out, "index.json"), "utf8"));
    expect(index.reports.map((r: { file: string }) => r.file)).toEqual(["acme/2026-03.json", "acme/2026-02.json", "beta/2026-03.json"]);
    // The workspace's public_reports setting rides along: only acme opted in (beta's answer has no such field).
    expect(index.reports.map((r: { file: string; public: boolean }) => [r.file, r.public])).toEqual([
      ["acme/2026-03.json", true], ["acme/2026-02.json", true], ["beta/2026-03.json", false],
    ]);
    expect(JSON.parse(await readFile(join(out, "acme/2026-02.json"), "utf8"))).toMatchObject({ month: "2026-02", version: 1 });
    // Each digest beside its report, of the version exported, as the API served it.
    expect(await readFile(join(out, "acme/2026-02.digest.html"), "utf8")).toBe("<!DOCTYPE html><title>acme 2026-02 v1</title>");
    expect(await readFile(join(out, "beta/2026-03.digest.txt"), "utf8")).toBe("digest of beta 2026-03 v1\n");
    expect(log.at(-1)).toBe(`exported 3 reports to ${out} (3 written, 0 unchanged, 3 digests written)`);

    requests.length = 0;
    expect(await exportReports({ api, token: "t0k", out, log: () => undefined })).toEqual({ written: 0, unchanged: 3, reports: 3, digests: 0 });
    expect(requests.filter((r) => /reports\/\d/.test(r))).toEqual([]);

    // A digest missing beside an unchanged report (exported before digests existed) is fetched alone.
    await rm(join(out, "acme/2026-03.digest.txt"));
    requests.length = 0;
    expect(await exportReports({ api, token: "t0k", out, log: () => undefined })).toEqual({ written: 0, unchanged: 3, reports: 3, digests: 1 });
    expect(requests.filter((r) => /reports\/\d/.test(r)).map((r) => r.split("?")[0])).toEqual([
      "/api/v1/workspaces/acme/reports/2026-03/digest",
      "/api/v1/workspaces/acme/reports/2026-03/digest",
    ]);

    version = 2; // a revision: only what changed is fetched again
    expect(await exportReports({ api, token: "t0k", out, log: () => undefined })).toEqual({ written: 3, unchanged: 0, reports: 3, digests: 3 });
    expect(await readFile(join(out, "acme/2026-03.digest.txt"), "utf8")).toBe("digest of acme 2026-03 v2\n");
  });

  it("exports the reports without digests when the API has no REPORT_SITE_URL", async () => {
    const out = await mkdtemp(join(tmpdir(), "quotient-export-"));
    const log: string[] = [];
    digestsOff = true;
    requests.length = 0;
    try {
      expect(await exportReports({ api, token: "t0k", out, log: (line: string) => log.push(line) })).toEqual({ written: 3, unchanged: 0, reports: 3, digests: 0 });
    } finally {
      digestsOff = false;
    }
    expect(log).toContain("  digests skipped: the API has no REPORT_SITE_URL (503)");
    await expect(access(join(out, "acme/2026-03.digest.html"))).rejects.toThrow(/ENOENT/);
    // Asked once, not once per report.
    expect(requests.filter((r) => r.includes("/digest"))).toHaveLength(1);
  });

  it("fails with the API's answer on a bad token", async () => {
    const out = await mkdtemp(join(tmpdir(), "quotient-export-"));
    await expect(exportReports({ api, token: "wrong", out, log: () => undefined })).rejects.toThrow(/401/);
  });
});
