// Reads the exported report folder (REPORTS_DIR) at build time and validates every file
// against the shared zod schemas. Any problem stops the build with a message that names
// the file and the field, because a half-published site is worse than none.
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { z } from "zod";
import { drilldownId } from "../../../shared/drilldown";
import { REPORT_SCHEMA_VERSION, Report, ReportIndex } from "../../../shared/report";

export type IndexEntry = ReportIndex["reports"][number];
export interface LoadedReport {
  entry: IndexEntry;
  report: Report;
}
export interface Workspace {
  slug: string;
  name: string;
  /** Newest month first. */
  reports: LoadedReport[];
}
export interface SiteData {
  dir: string;
  index: ReportIndex;
  /** Every report: each gets its share page /r/<share_token>/. */
  reports: LoadedReport[];
  /**
   * The public workspaces only (index entries with `public: true`): listed on `/`, with a
   * page at /<workspace>/<month>/. A private workspace's reports exist only under /r/….
   */
  workspaces: Workspace[];
}

export class ReportDataError extends Error {
  override name = "ReportDataError";
}

/** Slugs and tokens become URL path segments: nothing that could escape the segment. */
const PATH_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ReportDataError(`${what} cannot be read at ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ReportDataError(`${what} at ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

function parse<T>(schema: z.ZodType<T>, data: unknown, path: string, what: string): T {
  const result = schema.safeParse(data);
  if (!result.success) {
    throw new ReportDataError(`${what} at ${path} does not match the report schema:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/** Loads and cross-checks the whole folder; throws ReportDataError on the first problem. */
export function loadReports(dir: string): SiteData {
  const indexPath = resolve(dir, "index.json");
  try {
    statSync(indexPath);
  } catch {
    throw new ReportDataError(
      `No report index at ${indexPath}. Set REPORTS_DIR to a folder written by \`npm run export\` (it holds index.json and <workspace>/<YYYY-MM>.json).`,
    );
  }
  const index = parse(ReportIndex, readJson(indexPath, "The report index"), indexPath, "The report index");

  const seen = new Map<string, string>();
  const reports = index.reports.map((entry): LoadedReport => {
    const label = `index entry ${entry.workspace}/${entry.month}`;
    if (!PATH_SEGMENT.test(entry.workspace)) throw new ReportDataError(`${label}: the workspace slug "${entry.workspace}" is not a safe URL segment`);
    if (!PATH_SEGMENT.test(entry.share_token)) throw new ReportDataError(`${label}: the share token is not a safe URL segment`);
    for (const [kind, key] of [["report", `${entry.workspace}/${entry.month}`], ["share token", entry.share_token]] as const) {
      if (seen.has(key)) throw new ReportDataError(`${label}: duplicate ${kind} (also in ${seen.get(key)})`);
      seen.set(key, label);
    }

    const path = resolve(dir, entry.file);
    const inside = relative(resolve(dir), path);
    if (isAbsolute(entry.file) || inside.startsWith("..") || isAbsolute(inside)) {
      throw new ReportDataError(`${label}: file "${entry.file}" is outside REPORTS_DIR`);
    }
    const data = readJson(path, `The report for ${entry.workspace}/${entry.month}`);
    const version = (data as { schema_version?: unknown } | null)?.schema_version;
    if (version !== REPORT_SCHEMA_VERSION) {
      throw new ReportDataError(
        `The report at ${path} has schema_version ${JSON.stringify(version)}; this site renders version ${REPORT_SCHEMA_VERSION} only. Rebuild the site from a matching release.`,
      );
    }
    const report = parse(Report, data, path, "The report");
    const mismatches = [
      report.workspace.slug !== entry.workspace && `workspace "${report.workspace.slug}"`,
      report.month !== entry.month && `month ${report.month}`,
      report.version !== entry.version && `version ${report.version}`,
      report.share_token !== entry.share_token && "share token",
    ].filter(Boolean);
    if (mismatches.length > 0) {
      throw new ReportDataError(`The report at ${path} disagrees with its index entry (${label}): ${mismatches.join(", ")}`);
    }
    // A drill-down's id becomes a URL path segment: only the one shared/drilldown.ts names it.
    const forged = (report.drilldowns ?? []).find((d) => d.id !== drilldownId(d.kpi, d.dimension, d.key));
    if (forged) throw new ReportDataError(`The report at ${path} has a drill-down whose id "${forged.id}" is not the one of ${forged.kpi}/${forged.dimension}/${forged.key}`);
    return { entry, report };
  });

  const visibility = new Map<string, boolean>();
  for (const { entry } of reports) {
    if (visibility.get(entry.workspace) === !entry.public) {
      throw new ReportDataError(`index entries of workspace "${entry.workspace}" disagree on "public": export the folder again`);
    }
    visibility.set(entry.workspace, entry.public);
  }
  const bySlug = new Map<string, Workspace>();
  for (const loaded of reports) {
    if (!loaded.entry.public) continue;
    const slug = loaded.report.workspace.slug;
    const workspace = bySlug.get(slug) ?? { slug, name: loaded.report.workspace.name, reports: [] };
    workspace.reports.push(loaded);
    bySlug.set(slug, workspace);
  }
  const workspaces = [...bySlug.values()]
    .map((w) => {
      w.reports.sort((a, b) => b.report.month.localeCompare(a.report.month));
      // The newest report carries the workspace's current name.
      w.name = w.reports[0]?.report.workspace.name ?? w.name;
      return w;
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { dir, index, reports, workspaces };
}

/**
 * The folder the build reads: the absolute path astro.config.mjs resolved from REPORTS_DIR,
 * else REPORTS_DIR against the working directory, else <repo>/.reports.
 */
export function reportsDir(): string {
  return process.env.QUOTIENT_REPORTS_DIR ?? resolve(process.env.REPORTS_DIR ?? ".reports");
}

let cached: SiteData | undefined;
/** The build's data, loaded once per process (every page shares it). */
export function siteData(): SiteData {
  cached ??= loadReports(reportsDir());
  return cached;
}
