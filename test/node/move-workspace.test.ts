// The move-workspace CLI: starts a move (or continues one under way) and calls the step
// endpoint until the move is done, printing each table's counts; a failed move is an error.
// The API is a stand-in HTTP server answering with the documented shape (the Worker's own
// answers and the move itself are tested in workerd: test/workers/scale-out.test.ts).
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ESM script without type declarations
import { moveWorkspace } from "../../scripts/move-workspace.mjs";

let server: Server;
let api: string;
const requests: string[] = [];
/** The states the stand-in's step answers walk through, and whether a move is under way. */
let script: string[] = [];
let underWay = false;

const table = (name: string, rows: number, same = true) => ({
  table: name,
  source_rows: rows,
  target_rows: same ? rows : rows - 1,
  source_checksum: "00000000000000aa",
  target_checksum: same ? "00000000000000aa" : "00000000000000bb",
});

function move(state: string) {
  const done = state === "done" || state === "failed";
  return {
    workspace: "acme", from: "DB_WS_1", to: "DB_WS_2", state, attempt: state === "failed" ? 3 : 1,
    reason: state === "failed" ? "differing tables: deals" : null, released_deliveries: done ? 2 : null,
    tables: done ? [table("inbox", 7), table("deals", 5, state !== "failed")] : [],
    started_at: "2026-12-01T00:00:00.000Z", updated_at: "2026-12-01T00:00:01.000Z", finished_at: done ? "2026-12-01T00:00:02.000Z" : null,
  };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    const answer = (status: number, body: unknown) => response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (request.headers.authorization !== "Bearer adm1n") return answer(403, { status: 403 });
    if (request.url === "/api/v1/admin/workspaces/acme/move/step") {
      if (!underWay) return answer(404, { status: 404, detail: "the workspace has no move" });
      const state = script.shift()!;
      if (state === "done" || state === "failed") underWay = false;
      return answer(200, move(state));
    }
    if (request.url === "/api/v1/admin/workspaces/acme/move" && request.method === "POST") {
      underWay = true;
      return answer(202, move("settling"));
    }
    return answer(404, { status: 404 });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  requests.length = 0;
  underWay = false;
});

const STEP = "POST /api/v1/admin/workspaces/acme/move/step";

describe("npm run move-workspace", () => {
  it("starts the move, steps until done and prints each table's counts", async () => {
    script = ["copying", "copying", "verifying", "resuming", "deleting", "done"];
    const lines: string[] = [];
    const result = await moveWorkspace({ api, token: "adm1n", workspace: "acme", to: "DB_WS_2", log: (l: string) => lines.push(l), pauseMs: 1 });
    expect(result.state).toBe("done");
    // The first step finds no move under way (404), then the move starts and is stepped to the end.
    expect(requests).toEqual([STEP, "POST /api/v1/admin/workspaces/acme/move", ...Array(6).fill(STEP)]);
    expect(lines[0]).toBe("moving acme from DB_WS_1 to DB_WS_2: paused");
    expect(lines).toContain("  verifying");
    expect(lines.some((l) => /^ {2}deals +5 rows {2}checksum 00000000000000aa = copy$/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe("acme is in DB_WS_2; 2 deliveries held during the move were applied after it");
  });

  it("continues a move under way, and reports a failed one as an error", async () => {
    underWay = true;
    script = ["copying", "verifying", "resetting", "failed"];
    const lines: string[] = [];
    await expect(moveWorkspace({ api, token: "adm1n", workspace: "acme", to: "DB_WS_2", log: (l: string) => lines.push(l), pauseMs: 1 })).rejects.toThrow(
      "the move failed: differing tables: deals; acme stays in DB_WS_1",
    );
    expect(requests).toEqual(Array(4).fill(STEP));
    expect(lines[0]).toBe("continuing the move of acme to DB_WS_2 (copying)");
    expect(lines.some((l) => l.includes("≠ copy (4 rows, 00000000000000bb)"))).toBe(true);
  });
});
