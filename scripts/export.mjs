#!/usr/bin/env node
// `npm run export -- --api URL --token T --out DIR`: writes every published report (the
// latest version of each month) as JSON, plus an index.json the site builds from. Reports
// whose version is already on disk are skipped. Each index entry carries the workspace's
// public_reports setting (`public`): the site builds plain paths only for those. With a
// workspace token, GET /workspaces lists that workspace alone, so only it is exported.
// Beside each report, its digest (GET …/reports/{month}/digest): <month>.digest.html, the
// email body, and <month>.digest.txt, its plain text; fetched with the report, or when
// missing. A Worker without REPORT_SITE_URL serves no digests (503): they are skipped.
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";

export async function exportReports({ api, token, out, log = console.log }) {
  const base = api.replace(/\/+$/, "");
  const get = async (path) => {
    const response = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}`, accept: "application/json" } });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  /** The digest's text, or null when the Worker cannot write digests (no REPORT_SITE_URL: 503). */
  const digest = async (path) => {
    const response = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status === 503) return null;
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return response.text();
  };
  const all = async (path) => {
    const items = [];
    let cursor = null;
    do {
      const separator = path.includes("?") ? "&" : "?";
      const page = await get(`${path}${separator}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  };

  const index = { generated_at: new Date().toISOString(), reports: [] };
  const counts = { written: 0, unchanged: 0 };
  let digests = 0;
  let digestsOff = false;
  const missing = (path) => access(path).then(() => false, () => true);
  for (const workspace of await all("/workspaces")) {
    const reports = await all(`/workspaces/${workspace.slug}/reports`);
    for (const [position, summary] of reports.entries()) {
      const file = `${workspace.slug}/${summary.month}.json`;
      const path = join(out, file);
      let onDisk = null;
      try {
        onDisk = JSON.parse(await readFile(path, "utf8"));
      } catch {
        // not exported yet
      }
      const unchanged = onDisk?.version === summary.version && onDisk?.share_token === summary.share_token;
      if (!unchanged) {
        const report = await get(`/workspaces/${workspace.slug}/reports/${summary.month}`);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, `${JSON.stringify(report, null, 1)}\n`);
      }
      const digestPath = (extension) => join(out, `${workspace.slug}/${summary.month}.digest.${extension}`);
      if (!digestsOff && (!unchanged || (await missing(digestPath("html"))) || (await missing(digestPath("txt"))))) {
        const query = `/workspaces/${workspace.slug}/reports/${summary.month}/digest?version=${summary.version}`;
        const html = await digest(`${query}&format=html`);
        const text = html === null ? null : await digest(`${query}&format=text`);
        if (html === null || text === null) {
          digestsOff = true;
          log("  digests skipped: the API has no REPORT_SITE_URL (503)");
        } else {
          await mkdir(dirname(path), { recursive: true });
          await writeFile(digestPath("html"), html);
          await writeFile(digestPath("txt"), text);
          digests++;
        }
      }
      counts[unchanged ? "unchanged" : "written"]++;
      log(`  [${position + 1}/${reports.length}] ${workspace.slug} ${summary.month} v${summary.version} ${unchanged ? "unchanged" : "written"}`);
      index.reports.push({
        workspace: workspace.slug,
        workspace_name: workspace.name,
        public: workspace.public_reports === true,
        month: summary.month,
        version: summary.version,
        share_token: summary.share_token,
        published_at: summary.published_at,
        file,
      });
    }
  }
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "index.json"), `${JSON.stringify(index, null, 1)}\n`);
  log(`exported ${index.reports.length} reports to ${out} (${counts.written} written, ${counts.unchanged} unchanged, ${digests} digests written)`);
  return { ...counts, reports: index.reports.length, digests };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { api: { type: "string" }, token: { type: "string" }, out: { type: "string", default: ".reports" } },
  });
  if (!values.api || !values.token) {
    console.error("usage: npm run export -- --api <url> --token <token> [--out <dir>]");
    process.exit(2);
  }
  try {
    await exportReports({ api: values.api, token: values.token, out: values.out });
  } catch (error) {
    console.error(`export failed: ${error.message}`);
    process.exit(1);
  }
}
