// The rotate-secrets CLI: follows the endpoint's cursor page by page with the ADMIN_TOKEN
// and sums the counts. The API is a stand-in HTTP server answering with the documented
// shape (the Worker's own answers are tested in workerd: test/workers/secret-rotation.test.ts).
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ESM script without type declarations
import { rotateSecrets } from "../../scripts/rotate-secrets.mjs";

let server: Server;
let api: string;
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    if (request.headers.authorization !== "Bearer adm1n") {
      return response.writeHead(403, { "content-type": "application/problem+json" }).end('{"status":403,"detail":"this operation needs the ADMIN_TOKEN"}');
    }
    const cursor = new URL(request.url!, "http://x").searchParams.get("cursor");
    const page = cursor === null
      ? { reencrypted: 150, already_current: 50, undecryptable: 0, current_key_id: "0011223344556677", next_cursor: "c_abc" }
      : { reencrypted: 3, already_current: 1, undecryptable: 1, current_key_id: "0011223344556677", next_cursor: null };
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(page));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("npm run rotate-secrets", () => {
  it("posts page after page with the cursor and reports the summed counts", async () => {
    const lines: string[] = [];
    const totals = await rotateSecrets({ api, token: "adm1n", log: (line: string) => lines.push(line) });
    expect(totals).toEqual({ reencrypted: 153, already_current: 51, undecryptable: 1 });
    expect(requests).toEqual(["POST /api/v1/admin/rotate-secrets", "POST /api/v1/admin/rotate-secrets?cursor=c_abc"]);
    expect(lines.at(-1)).toBe(
      "secrets under key 0011223344556677: 153 re-encrypted, 51 already current, 1 undecryptable " +
        "(add their key to SECRETS_KEY_PREVIOUS, or set those connections' secrets again)",
    );
  });

  it("fails with the API's answer for a token that is not the ADMIN_TOKEN", async () => {
    await expect(rotateSecrets({ api, token: "qt_read", log: () => undefined })).rejects.toThrow(
      'POST /admin/rotate-secrets: 403 {"status":403,"detail":"this operation needs the ADMIN_TOKEN"}',
    );
  });
});
