// Shared with the Worker's digest: one implementation in shared/maturing.ts, re-exported
// here so the components keep their import.
export * from "../../../shared/maturing";
