// docs/kpis.md holds the KPI rules the code cites and a glossary generated from the
// catalog (scripts/kpi-docs.ts): the page must match the catalog, keep the numbered rules,
// and every "docs/kpis.md, rule N" in the repository must point at one of them.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { KPI_DOCS, renderGlossary, withGlossary } from "../../scripts/kpi-docs";

const REPO = join(import.meta.dirname, "../..");
const page = readFileSync(KPI_DOCS, "utf8");
const RULES = 39;

/** The repository's own text files: code, docs and tests, not dependencies or fixtures. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (["node_modules", "fixtures", "dist", ".astro", ".wrangler", ".scratch", ".git", "public"].includes(name)) return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs|astro|md|sql|toml)$/.test(name) ? [path] : [];
  });
}

describe("docs/kpis.md", () => {
  it("has the glossary the catalog generates (npx tsx scripts/kpi-docs.ts rewrites it)", () => {
    expect(page).toContain(renderGlossary());
    expect(withGlossary(page)).toBe(page);
  });

  it("states the rules under their numbers, in order", () => {
    const numbers = [...page.matchAll(/^### Rule (\d+) — \S.*$/gm)].map((m) => Number(m[1]));
    expect(numbers).toEqual(Array.from({ length: RULES }, (_, i) => i + 1));
  });

  it("is what every citation of a rule in the repository points at", () => {
    const wrong: string[] = [];
    for (const file of sourceFiles(REPO)) {
      const text = readFileSync(file, "utf8").replace(/\s*\n\s*(\*\s*|\/\/\s*)?/g, " ");
      for (const match of text.matchAll(/docs\/kpis\.md,? rules? (\d+)/g)) {
        const rule = Number(match[1]);
        if (!(rule >= 1 && rule <= RULES)) wrong.push(`${relative(REPO, file)}: rule ${rule}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("names only paths that exist", () => {
    const paths = [...page.matchAll(/`((?:workers|shared|scripts|docs|site|test)\/[^`\s]*)`/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((path) => !existsSync(join(REPO, path)))).toEqual([]);
  });
});
