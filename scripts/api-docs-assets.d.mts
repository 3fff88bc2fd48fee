/** Where the API reference's Swagger UI files are copied (the Worker's static assets). */
export const API_DOCS_ASSETS: string;
/** Copies Swagger UI's CSS and bundle from node_modules into the Worker's static assets. */
export function copyApiDocsAssets(): void;
