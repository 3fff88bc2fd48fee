// Sends any number of messages to a queue within sendBatch's limit of 100 per call.
import type { Queue } from "@cloudflare/workers-types";

const SEND_BATCH = 100;

export async function sendAll<Body>(queue: Queue<Body>, bodies: Body[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += SEND_BATCH) {
    await queue.sendBatch(bodies.slice(i, i + SEND_BATCH).map((body) => ({ body })));
  }
}
