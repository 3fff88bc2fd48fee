// drizzle-kit writes flat NNNN_name.sql migrations that `wrangler d1 migrations apply` reads.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./workers/db/schema.ts",
  out: "./migrations",
});
