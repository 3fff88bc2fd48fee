import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { createNativeConnection, createWorkspace, event, postNative, waitForInbox } from "./helpers";

it("smoke", async () => {
  await createWorkspace("smoke");
  const connection = await createNativeConnection("smoke");
  const response = await postNative(connection, JSON.stringify(event("e1", "rep.upserted", "2026-03-01T00:00:00Z", { rep_id: "R-1", name: "Ava" })));
  expect(response.status).toBe(202);
  await waitForInbox();
  const rep = await env.DB.prepare("SELECT * FROM reps").first();
  expect(rep).toMatchObject({ rep_id: "R-1", name: "Ava" });
});
