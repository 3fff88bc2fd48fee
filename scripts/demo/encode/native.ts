// Native: our own event format, {"events": [...]} (≤ 1000 per delivery), signed with
// Standard Webhooks by the native adapter's signer (workers/sources/native.ts).
import type { NativeEvent } from "../company";
import { type Delivery, type Encoder, fieldsOf, signedDelivery } from "./types";

export const NATIVE_BATCH = 500;

function encode(parts: NativeEvent[]): Delivery[] {
  const deliveries: Delivery[] = [];
  for (let i = 0; i < parts.length; i += NATIVE_BATCH) {
    const batch = parts.slice(i, i + NATIVE_BATCH);
    const body = JSON.stringify({ events: batch });
    const messageId = `msg_demo_${batch[0]!.id}_${batch.length}`;
    deliveries.push(signedDelivery("native", body, batch.length, { "content-type": "application/json" }, messageId));
  }
  return deliveries;
}

export const nativeEncoder: Encoder = { kind: "native", carried: fieldsOf, encode };
