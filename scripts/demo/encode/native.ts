// Native: our own event format, {"events": [...]} (≤ 1000 per delivery), signed with
// Standard Webhooks (webhook-id, webhook-timestamp in seconds, v1 = base64 HMAC-SHA256 of
// "id.timestamp.body" keyed with the base64 part of whsec_…).
import { base64ToBytes, bytesToBase64, hmacSha256 } from "../../../workers/lib/crypto";
import type { NativeEvent } from "../company";
import { type Delivery, type Encoder, fieldsOf } from "./types";

export const NATIVE_BATCH = 500;

function encode(parts: NativeEvent[]): Delivery[] {
  const deliveries: Delivery[] = [];
  for (let i = 0; i < parts.length; i += NATIVE_BATCH) {
    const batch = parts.slice(i, i + NATIVE_BATCH);
    const body = JSON.stringify({ events: batch });
    const messageId = `msg_demo_${batch[0]!.id}_${batch.length}`;
    deliveries.push({
      kind: "native",
      body,
      contentType: "application/json",
      parts: batch.length,
      async headers({ secret, now }) {
        const timestamp = String(Math.floor(now / 1000));
        const key = base64ToBytes((secret ?? "").replace(/^whsec_/, "")) ?? new Uint8Array();
        const signature = bytesToBase64(await hmacSha256(key, `${messageId}.${timestamp}.${body}`));
        return {
          "content-type": "application/json",
          "webhook-id": messageId,
          "webhook-timestamp": timestamp,
          "webhook-signature": `v1,${signature}`,
        };
      },
    });
  }
  return deliveries;
}

export const nativeEncoder: Encoder = { kind: "native", carried: fieldsOf, encode };
