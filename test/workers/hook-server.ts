// vitest global setup: a local HTTP server standing in for a workspace's deploy hook.
// POST /ok answers 200, POST /fail answers 500, POST /hang never answers, POST /redirect
// answers 302 to /ok/redirected; GET /calls lists what was received, GET /bodies the
// content type and body of each POST that carried one (the digest webhook's messages).
import { createServer } from "node:http";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    hookServer: string;
  }
}

export default async function setup(project: TestProject) {
  const calls: { path: string; method: string; userAgent: string | undefined }[] = [];
  const bodies: { path: string; contentType: string | undefined; body: string }[] = [];
  const server = createServer((request, response) => {
    if (request.method === "GET" && (request.url === "/calls" || request.url === "/bodies")) {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(request.url === "/calls" ? calls : bodies));
      return;
    }
    calls.push({ path: request.url ?? "", method: request.method ?? "", userAgent: request.headers["user-agent"] });
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (body) bodies.push({ path: request.url ?? "", contentType: request.headers["content-type"], body });
    });
    if (request.url?.startsWith("/hang")) return; // the caller's timeout must end it
    if (request.url?.startsWith("/redirect")) {
      response.writeHead(302, { location: "/ok/redirected" }).end();
      return;
    }
    response.writeHead(request.url?.startsWith("/fail") ? 500 : 200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("hook server has no port");
  project.provide("hookServer", `http://127.0.0.1:${address.port}`);
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections(); // hanging requests would keep close() waiting
      server.close(() => resolve());
    });
}
