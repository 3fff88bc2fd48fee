// The digest webhook: after a publication, the report's digest (digest.ts) as a
// Slack-compatible message ({text, blocks}, mrkdwn) POSTed to the workspace's
// digest_webhook_url (Slack incoming webhooks, and the chat tools that accept their format).
// The same rules as the deploy hook (outbound.ts): https to a public host, checked again
// before every call, redirects not followed, bounded attempts; the URL is never logged.
import { type HookOptions, HOOK_DEFAULTS, hookUrlProblem, postWithRetries } from "./outbound";
import type { Digest } from "./digest";

/** Slack's limits: a header's plain text and a section's mrkdwn text. */
const HEADER_CHARS = 150;
const SECTION_CHARS = 3000;

/** Text for Slack's mrkdwn: `&`, `<` and `>` escaped (Slack's only escapes), so a name cannot open a link or a mention. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

export interface SlackMessage {
  /** The notification's fallback text. */
  text: string;
  blocks: unknown[];
}

/** The digest as a Slack message: the title, the headline numbers, the sentences (each linked to its deals) and the report's link. */
export function digestMessage(digest: Digest): SlackMessage {
  const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text: cut(text, SECTION_CHARS) } });
  const headlines = digest.headlines.map((h) => {
    const change = h.change.tone === "none" ? `no comparison ${h.change.reference}` : `${h.change.arrow} ${h.change.text} ${h.change.reference}`.trim();
    const verdict = h.change.tone === "maturing" ? ", still maturing" : h.change.tone === "good" ? ", better" : h.change.tone === "bad" ? ", worse" : "";
    return `• ${escapeMrkdwn(h.name)}: *${escapeMrkdwn(h.value)}* (${escapeMrkdwn(change + verdict)})`;
  });
  const sentences = digest.sentences.map((s) => {
    // A link's text may not hold `|` or `>`; escaped text holds no `>`.
    const text = escapeMrkdwn(s.text);
    const linked = s.href ? `<${s.href}|${text.replace(/\|/g, "¦")}>` : text;
    return `• ${linked}${s.outsideRange ? " _(outside its 12-month range)_" : ""}`;
  });
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: cut(digest.title, HEADER_CHARS), emoji: false } },
  ];
  if (headlines.length > 0) blocks.push(section(`*Headline numbers* (change against the month before)\n${headlines.join("\n")}`));
  if (sentences.length > 0) blocks.push(section(`*What changed*\n${sentences.join("\n")}`));
  blocks.push(section(`<${digest.reportUrl}|Open the full report>`));
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: cut(escapeMrkdwn(digest.published), SECTION_CHARS) }] });
  return { text: `${escapeMrkdwn(digest.title)}: <${digest.reportUrl}>`, blocks };
}

/**
 * POSTs the digest's message to the workspace's webhook (retries with backoff). Never
 * throws, and never logs the URL (it embeds its secret): a failing webhook must not fail
 * the cron that published. Returns whether it answered 2xx.
 */
export async function sendDigest(workspaceId: string, url: string, digest: Digest, options: HookOptions = {}): Promise<boolean> {
  // Checked again before every call: a URL stored before the rule (or by hand) is not trusted.
  const refused = hookUrlProblem(url);
  if (refused) {
    console.error(`digest webhook of ${workspaceId} refused: the URL ${refused}`);
    return false;
  }
  const outcome = await postWithRetries(
    url,
    { userAgent: "Quotient digest", body: { contentType: "application/json", text: JSON.stringify(digestMessage(digest)) } },
    { ...HOOK_DEFAULTS, ...options },
  );
  // A runtime's network error may quote the URL it could not reach: never log it.
  const error = outcome.error?.replaceAll(url, "<the digest webhook URL>") ?? null;
  if (error !== null) console.error(`digest webhook of ${workspaceId} failed after ${outcome.attempts} attempts: ${error}`);
  return outcome.error === null;
}
