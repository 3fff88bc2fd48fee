#!/usr/bin/env node
// Signs a file of native events (Standard Webhooks) and POSTs it to a webhook URL.
// Usage: node scripts/send-native.mjs --url <webhook_url> --secret <whsec_…> events.json
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  options: { url: { type: "string" }, secret: { type: "string" } },
  allowPositionals: true,
});
if (!values.url || !values.secret || positionals.length !== 1) {
  console.error("usage: node scripts/send-native.mjs --url <webhook_url> --secret <whsec_…> <events.json>");
  process.exit(2);
}

const body = readFileSync(positionals[0], "utf8");
const id = `msg_${randomUUID()}`;
const timestamp = String(Math.floor(Date.now() / 1000));
const key = Buffer.from(values.secret.replace(/^whsec_/, ""), "base64");
const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");

const response = await fetch(values.url, {
  method: "POST",
  headers: {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": timestamp,
    "webhook-signature": `v1,${signature}`,
  },
  body,
});
console.log(`${response.status} ${await response.text()}`);
process.exit(response.ok ? 0 : 1);
