// KPI answers change only when a month is recomputed: clients revalidate with the ETag
// (304 when unchanged). Private, since they need a token.
import { createMiddleware } from "hono/factory";
import type { ApiEnv } from "./context";

export const revalidate = createMiddleware<ApiEnv>(async (c, next) => {
  await next();
  if (c.res.status === 200 || c.res.status === 304) {
    c.header("cache-control", "private, no-cache");
    c.header("vary", "accept, authorization");
  }
});
