#!/usr/bin/env node
// `npm run rotate-secrets -- --api URL --token ADMIN_TOKEN`: re-seals every connection
// secret under the Worker's current SECRETS_KEY, after the old key was moved to
// SECRETS_KEY_PREVIOUS. Calls POST /api/v1/admin/rotate-secrets page after page (each a
// bounded batch) and prints the counts; never a secret. Safe to run again.
import { parseArgs } from "node:util";

export async function rotateSecrets({ api, token, log = console.log }) {
  const base = api.replace(/\/+$/, "");
  const totals = { reencrypted: 0, already_current: 0, undecryptable: 0 };
  let cursor = null;
  let keyId;
  let pages = 0;
  do {
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
    const response = await fetch(`${base}/api/v1/admin/rotate-secrets${query}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
    });
    if (!response.ok) throw new Error(`POST /admin/rotate-secrets: ${response.status} ${await response.text()}`);
    const page = await response.json();
    for (const key of Object.keys(totals)) totals[key] += page[key];
    keyId = page.current_key_id;
    cursor = page.next_cursor;
    pages++;
    log(`  page ${pages}: ${page.reencrypted} re-encrypted, ${page.already_current} already current, ${page.undecryptable} undecryptable`);
  } while (cursor);
  log(
    `secrets under key ${keyId}: ${totals.reencrypted} re-encrypted, ${totals.already_current} already current, ` +
      `${totals.undecryptable} undecryptable${totals.undecryptable > 0 ? " (add their key to SECRETS_KEY_PREVIOUS, or set those connections' secrets again)" : ""}`,
  );
  return totals;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { api: { type: "string" }, token: { type: "string" } } });
  if (!values.api || !values.token) {
    console.error("usage: npm run rotate-secrets -- --api <url> --token <ADMIN_TOKEN>");
    process.exit(2);
  }
  try {
    const totals = await rotateSecrets({ api: values.api, token: values.token });
    process.exit(totals.undecryptable > 0 ? 1 : 0);
  } catch (error) {
    console.error(`rotate-secrets failed: ${error.message}`);
    process.exit(1);
  }
}
