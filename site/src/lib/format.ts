// The site's formatting is shared with the Worker's digest: one implementation in
// shared/format.ts, re-exported here so the components keep their import.
export * from "../../../shared/format";
