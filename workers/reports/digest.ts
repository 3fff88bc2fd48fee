// The digest of a published report: what a reader gets in their inbox or chat after each
// publication. The headline numbers with their change against M−1 (formatted and judged as
// the site's tiles do: shared/format.ts, shared/deltas.ts, shared/maturing.ts), the "what
// changed" sentences each linked to the drill-down page of the value behind it
// (shared/drilldown.ts), and the link to the report (/r/<share_token>/ under the site's
// URL). As a self-contained HTML email body (table layout, inline styles, no scripts, no
// external resources, at most 600 px wide, explicit colours so a dark mode never leaves
// text on a background it was not meant for) and as plain text. Everything from a CRM
// (names, sentences) is escaped.
import { delta, type Delta } from "../../shared/deltas";
import { drilldownHref } from "../../shared/drilldown";
import { createFormatter, instantLabel, monthLabel, shortMonth } from "../../shared/format";
import { maturityOf } from "../../shared/maturing";
import { addMonths } from "../../shared/months";
import type { ChangeSentence, Report } from "../../shared/report";

// ---- Where the report lives ------------------------------------------------------------

/**
 * The report site's base URL from REPORT_SITE_URL (where the built site is served, e.g.
 * https://reports.example.com/); null when unset or not an absolute http(s) URL. Always
 * ends in `/`: the share link and the drill-down pages are relative to it.
 */
export function reportSiteUrl(raw: string | undefined): URL | null {
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  url.search = "";
  url.hash = "";
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

/** The report's share link: /r/<share_token>/ under the site's URL (every report has one, public or not). */
export function shareLink(site: URL, shareToken: string): string {
  return new URL(`r/${encodeURIComponent(shareToken)}/`, site).href;
}

// ---- What the digest says -----------------------------------------------------------------

export interface DigestHeadline {
  name: string;
  /** "$150,000" */
  value: string;
  /** The change against M−1, as the site's tile shows it. */
  change: Delta;
  /** The month is a cohort still maturing: its change is shown, not judged. */
  maturing: boolean;
}

export interface DigestSentence {
  text: string;
  /** The drill-down page of the value the sentence names, absolute; null without one. */
  href: string | null;
  outsideRange: boolean;
}

/** The digest's content, once: the HTML, the text and the Slack message all print this. */
export interface Digest {
  /** "Acme Analytics — March 2026 report" */
  title: string;
  workspace: string;
  month: string;
  headlines: DigestHeadline[];
  sentences: DigestSentence[];
  /** The report's share link. */
  reportUrl: string;
  /** "Published April 9, 2026 at 10:30 AM EDT · version 2 (revised)" */
  published: string;
}

export function digestOf(report: Report, site: URL): Digest {
  const format = createFormatter(report.workspace.currency);
  const reportUrl = shareLink(site, report.share_token);
  const reference = `vs ${shortMonth(addMonths(report.month, -1), true)}`;
  const headlines = report.headlines.map((headline): DigestHeadline => {
    const maturing = maturityOf(headline.kpi, report)?.maturing(report.month) ?? false;
    return {
      name: headline.name,
      value: format.value(headline.unit, headline.value),
      change: delta(headline.change_mom, headline, reference, format, maturing),
      maturing,
    };
  });
  const sentences = (report.changes ?? []).map((sentence: ChangeSentence): DigestSentence => ({
    text: sentence.text,
    href: sentence.members ? new URL(drilldownHref(sentence.kpi, sentence.members.dimension, sentence.members.key), reportUrl).href : null,
    outsideRange: sentence.outside_range,
  }));
  const revised = report.version > 1 ? " (revised)" : "";
  return {
    title: `${report.workspace.name} — ${monthLabel(report.month)} report`,
    workspace: report.workspace.name,
    month: monthLabel(report.month),
    headlines,
    sentences,
    reportUrl,
    published: `Published ${instantLabel(report.published_at, report.workspace.timezone)} · version ${report.version}${revised}`,
  };
}

/** The word beside a change: "better", "worse", "flat", or why there is none. */
function verdictOf(headline: DigestHeadline): string {
  const { tone } = headline.change;
  if (tone === "maturing") return "still maturing, not judged";
  return tone === "good" ? "better" : tone === "bad" ? "worse" : tone === "flat" ? "flat" : "";
}

export const OUTSIDE_RANGE = "outside its 12-month range";

// ---- HTML ----------------------------------------------------------------------------------

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text or an attribute value as HTML: the five special characters escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/**
 * The palette. Every element that holds text sets both its colour and its background, so a
 * client that keeps the author's colours (color-scheme: light dark) shows these, and one
 * that inverts the whole message inverts them together. WCAG contrast on the card (white):
 * ink 16.5:1, muted 7.8:1, link 7.7:1, good 6.1:1, bad 6.5:1; the badge's text 7.3:1 on its
 * amber, the button's white 7.7:1 on the link blue (AA asks 4.5:1).
 */
const COLOURS = {
  page: "#eef1f5",
  card: "#ffffff",
  ink: "#1a1f2b",
  muted: "#4a5263",
  rule: "#d5dae3",
  link: "#0b4fae",
  good: "#17703a",
  bad: "#b3261e",
  badgeBackground: "#fff1d6",
  badgeInk: "#7a4100",
  buttonInk: "#ffffff",
} as const;

const FONT = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;";
const TONE_COLOURS: Record<Delta["tone"], string> = {
  good: COLOURS.good,
  bad: COLOURS.bad,
  flat: COLOURS.muted,
  none: COLOURS.muted,
  maturing: COLOURS.muted,
};

function headlineRow(headline: DigestHeadline): string {
  const { change } = headline;
  const verdict = verdictOf(headline);
  const cell = `padding:8px 0;border-top:1px solid ${COLOURS.rule};background-color:${COLOURS.card};`;
  const changeText =
    change.tone === "none"
      ? `<span style="color:${COLOURS.muted};">no comparison ${escapeHtml(change.reference)}</span>`
      : `<span style="color:${TONE_COLOURS[change.tone]};font-weight:600;">${change.arrow ? `<span aria-hidden="true">${change.arrow}</span> ` : ""}${escapeHtml(change.text)}</span>` +
        `<span style="color:${COLOURS.muted};"> ${escapeHtml(change.reference)}${verdict ? `, ${escapeHtml(verdict)}` : ""}</span>`;
  return (
    `<tr>` +
    `<th scope="row" style="${cell}text-align:left;font-weight:400;color:${COLOURS.ink};">${escapeHtml(headline.name)}</th>` +
    `<td style="${cell}padding-left:8px;text-align:right;font-weight:700;white-space:nowrap;color:${COLOURS.ink};">${escapeHtml(headline.value)}</td>` +
    `<td style="${cell}padding-left:12px;text-align:right;font-size:13px;color:${COLOURS.muted};">${changeText}</td>` +
    `</tr>`
  );
}

function sentenceItem(sentence: DigestSentence): string {
  const text = sentence.href
    ? `<a href="${escapeHtml(sentence.href)}" style="color:${COLOURS.link};text-decoration:underline;">${escapeHtml(sentence.text)}</a>`
    : escapeHtml(sentence.text);
  const badge = sentence.outsideRange
    ? ` <span style="display:inline-block;padding:0 6px;border-radius:4px;font-size:12px;font-weight:600;background-color:${COLOURS.badgeBackground};color:${COLOURS.badgeInk};">${escapeHtml(OUTSIDE_RANGE)}</span>`
    : "";
  return `<li style="margin:0 0 8px 0;padding:0;color:${COLOURS.ink};background-color:${COLOURS.card};">${text}${badge}</li>`;
}

/** The HTML email body: one document, inline styles only, no script, no image, no external resource. */
export function digestHtml(digest: Digest): string {
  const heading = (text: string) =>
    `<h2 style="margin:24px 0 8px 0;font-size:17px;line-height:1.3;color:${COLOURS.ink};background-color:${COLOURS.card};">${escapeHtml(text)}</h2>`;
  const headlines = digest.headlines.length
    ? `<table width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;border-collapse:collapse;font-size:15px;line-height:1.4;">` +
      `<caption style="text-align:left;font-size:13px;color:${COLOURS.muted};background-color:${COLOURS.card};padding:0 0 4px 0;">${escapeHtml(`${digest.month}, change against the month before`)}</caption>` +
      `<thead><tr>` +
      `<th scope="col" style="text-align:left;font-size:13px;font-weight:600;padding:0 0 4px 0;color:${COLOURS.muted};background-color:${COLOURS.card};">KPI</th>` +
      `<th scope="col" style="text-align:right;font-size:13px;font-weight:600;padding:0 0 4px 0;color:${COLOURS.muted};background-color:${COLOURS.card};">Value</th>` +
      `<th scope="col" style="text-align:right;font-size:13px;font-weight:600;padding:0 0 4px 12px;color:${COLOURS.muted};background-color:${COLOURS.card};">Change</th>` +
      `</tr></thead><tbody>${digest.headlines.map(headlineRow).join("")}</tbody></table>`
    : `<p style="margin:0;color:${COLOURS.muted};background-color:${COLOURS.card};">No headline numbers this month.</p>`;
  const sentences = digest.sentences.length
    ? heading("What changed") +
      `<ul style="margin:0;padding:0 0 0 20px;font-size:15px;line-height:1.5;color:${COLOURS.ink};background-color:${COLOURS.card};">${digest.sentences.map(sentenceItem).join("")}</ul>`
    : "";
  return [
    `<!DOCTYPE html>`,
    `<html lang="en" style="color-scheme:light dark;">`,
    `<head>`,
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    // The author's colours in both schemes: clients that honour these keep the palette above.
    `<meta name="color-scheme" content="light dark">`,
    `<meta name="supported-color-schemes" content="light dark">`,
    `<title>${escapeHtml(digest.title)}</title>`,
    `</head>`,
    `<body style="margin:0;padding:0;background-color:${COLOURS.page};color:${COLOURS.ink};${FONT}">`,
    `<main>`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;background-color:${COLOURS.page};">`,
    `<tr><td align="center" style="padding:24px 8px;background-color:${COLOURS.page};color:${COLOURS.ink};">`,
    `<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:${COLOURS.card};border:1px solid ${COLOURS.rule};border-radius:8px;">`,
    `<tr><td style="padding:24px;background-color:${COLOURS.card};color:${COLOURS.ink};${FONT}">`,
    `<p style="margin:0 0 4px 0;font-size:13px;color:${COLOURS.muted};background-color:${COLOURS.card};">${escapeHtml(digest.workspace)}</p>`,
    `<h1 style="margin:0 0 16px 0;font-size:22px;line-height:1.25;color:${COLOURS.ink};background-color:${COLOURS.card};">${escapeHtml(`${digest.month} report`)}</h1>`,
    headlines,
    sentences,
    `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:24px 0 0 0;"><tr>`,
    `<td style="border-radius:6px;background-color:${COLOURS.link};color:${COLOURS.buttonInk};">`,
    `<a href="${escapeHtml(digest.reportUrl)}" style="display:inline-block;padding:10px 18px;font-size:15px;font-weight:600;color:${COLOURS.buttonInk};background-color:${COLOURS.link};text-decoration:none;border-radius:6px;">Open the full report</a>`,
    `</td></tr></table>`,
    `<p style="margin:16px 0 0 0;font-size:13px;color:${COLOURS.muted};background-color:${COLOURS.card};">${escapeHtml(digest.published)}. ` +
      `Or copy the link: <a href="${escapeHtml(digest.reportUrl)}" style="color:${COLOURS.link};word-break:break-all;">${escapeHtml(digest.reportUrl)}</a></p>`,
    `</td></tr></table>`,
    `</td></tr></table>`,
    `</main>`,
    `</body>`,
    `</html>`,
    ``,
  ].join("\n");
}

// ---- Plain text ----------------------------------------------------------------------------

/** The plain-text alternative: the same content, links written out. */
export function digestText(digest: Digest): string {
  const lines = [digest.title, "", "Headline numbers (change against the month before)"];
  if (digest.headlines.length === 0) lines.push("- none this month");
  for (const headline of digest.headlines) {
    const verdict = verdictOf(headline);
    const change = headline.change.tone === "none" ? `no comparison ${headline.change.reference}` : `${headline.change.text} ${headline.change.reference}${verdict ? `, ${verdict}` : ""}`;
    lines.push(`- ${headline.name}: ${headline.value} (${change})`);
  }
  if (digest.sentences.length > 0) {
    lines.push("", "What changed");
    for (const sentence of digest.sentences) {
      lines.push(`- ${sentence.text}${sentence.outsideRange ? ` [${OUTSIDE_RANGE}]` : ""}`);
      if (sentence.href) lines.push(`  The deals: ${sentence.href}`);
    }
  }
  lines.push("", `The full report: ${digest.reportUrl}`, `${digest.published}.`, "");
  return lines.join("\n");
}
