// What every encoder produces: a webhook delivery in a CRM's own format, signed at send
// time (each scheme checks a time window, so signatures are made when the request leaves).
import { localMidnight } from "../../../shared/months";
import { adapterFor, type ConnectionKind } from "../../../workers/sources";
import type { NativeEvent } from "../company";

/** What a delivery is signed with when it leaves: its adapter's `sign` takes it (workers/sources/adapter.ts). */
export interface SignContext {
  /** The connection's webhook_url exactly as the sender calls it (HubSpot signs it). */
  url: string;
  /** The connection's secret (native / HubSpot / Close / Stripe / Pipedrive password). */
  secret: string | null;
  /** Pipedrive's HTTP Basic user name. */
  username?: string;
  /** Milliseconds since the epoch, the sending time. */
  now: number;
}

export interface Delivery {
  kind: ConnectionKind;
  body: string;
  contentType: string;
  /** How many canonical parts this delivery carries (for progress). */
  parts: number;
  /** The request headers, signed for this URL, secret and instant. */
  headers(context: SignContext): Promise<Record<string, string>>;
}

/**
 * A delivery whose headers, when it leaves, are the CRM's own (content type, user agent)
 * plus what its adapter's signer adds: the demo never writes a signature scheme itself.
 */
export function signedDelivery(kind: ConnectionKind, body: string, parts: number, own: Record<string, string>, messageId?: string): Delivery {
  return {
    kind,
    body,
    contentType: own["content-type"]!,
    parts,
    async headers({ url, secret, username, now }) {
      return { ...own, ...(await adapterFor(kind).sign({ method: "POST", url, body, now, messageId }, { secret, username })) };
    },
  };
}

/** An encoder: which fields of an event the CRM carries, and the deliveries for a slice. */
export interface Encoder {
  kind: ConnectionKind;
  /**
   * The data fields (besides the entity id) the CRM's adapter maps back for this event,
   * exactly; an empty list means the CRM cannot send the event at all.
   */
  carried(event: NativeEvent): string[];
  /** Deliveries for the CRM's parts of events (only carried fields), in time order. */
  encode(parts: NativeEvent[], context: EncodeContext): Delivery[];
}

export interface EncodeContext {
  timezone: string;
  salesforceOrgId: string;
  plans: Record<string, { product_id: string; unit_amount: number; currency: string }>;
  /** Deterministic randomness for CRM-side ids (event UUIDs and the like). */
  random: () => number;
}

export const ID_FIELDS: Record<string, string> = {
  "rep.upserted": "rep_id",
  "account.upserted": "account_id",
  "lead.upserted": "lead_id",
  "deal.upserted": "deal_id",
  "activity.logged": "activity_id",
  "survey.responded": "response_id",
  "subscription.updated": "subscription_id",
};

export function idOf(event: NativeEvent): string {
  return String(event.data[ID_FIELDS[event.type]!]);
}

export const ms = (iso: string) => Date.parse(iso);

/** `count` characters of `alphabet`, drawn from `random`. */
export function randomText(random: () => number, alphabet: string, count: number): string {
  let out = "";
  for (let i = 0; i < count; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

export function uuid(random: () => number): string {
  const hex = randomText(random, "0123456789abcdef", 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Fields present in the data besides the id field. */
export function fieldsOf(event: NativeEvent): string[] {
  const idField = ID_FIELDS[event.type];
  return Object.keys(event.data).filter((f) => f !== idField);
}

/** The calendar day "YYYY-MM-DD" an instant falls on in `timeZone`. */
export function dayIn(instant: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(instant));
}

/** Whether an ISO instant is midnight of its day in `timeZone`: what a CRM's calendar date maps back to. */
export function isLocalMidnight(iso: unknown, timeZone: string): boolean {
  if (typeof iso !== "string") return false;
  const [y, m, d] = dayIn(ms(iso), timeZone).split("-").map(Number) as [number, number, number];
  return localMidnight(y, m, d, timeZone) === ms(iso);
}

/** A planned close (expected_close_at) as the CRM's calendar date in `timeZone`; null clears it. */
export function planDay(value: unknown, timeZone: string): string | null | undefined {
  return value === undefined || value === null ? value : dayIn(ms(String(value)), timeZone);
}
