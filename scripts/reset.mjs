#!/usr/bin/env node
// `npm run reset`: wipes the local state (D1, queues, exported reports, built site) so the
// next `npm start` loads the demo company again. .dev.vars (the local secrets) is kept.
import { rmSync } from "node:fs";

for (const path of [".wrangler/state", ".reports", "site/dist"]) {
  rmSync(path, { recursive: true, force: true });
  console.log(`removed ${path}`);
}
