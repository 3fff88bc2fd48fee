// Astro config of the static report site: pre-rendered pages only (no adapter, no client
// JS), CSS inlined into each page so a report is one request. Built with
// `astro build --root site`; the reports come from REPORTS_DIR (default <repo>/.reports).
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "astro/config";

const siteRoot = fileURLToPath(new URL(".", import.meta.url));
// REPORTS_DIR is given relative to where the command runs; the default sits next to site/.
// The pages read the resolved absolute path, so a relative cwd inside Astro cannot move it.
process.env.QUOTIENT_REPORTS_DIR = process.env.REPORTS_DIR
  ? resolve(process.cwd(), process.env.REPORTS_DIR)
  : resolve(siteRoot, "../.reports");

export default defineConfig({
  output: "static",
  // SITE_OUT_DIR lets the tests build into a temporary folder; Astro's --outDir flag
  // breaks the build's final cleanup when the folder is outside the project.
  outDir: process.env.SITE_OUT_DIR ? resolve(process.cwd(), process.env.SITE_OUT_DIR) : "./dist",
  trailingSlash: "always",
  build: { format: "directory", inlineStylesheets: "always" },
  compressHTML: true,
  devToolbar: { enabled: false },
  // No prefetch or view transitions: a report page must work with JavaScript disabled.
  prefetch: false,
});
