// How every face serves content a publisher uploaded, so that no browser runs it (DESIGN.md,
// "Security rules every route keeps"). Every response carries `X-Content-Type-Options: nosniff`
// (server.ts). Files taken from publishers (Maven artifacts and poms, PyPI wheels, sdists and
// their .metadata, generic assets) are also served as attachments in a sandbox: a pom or an .xml
// opened in a browser is neither rendered as a page of this origin nor able to run script.
// Package managers (mvn, Gradle, pip, uv, the aws CLI) ignore both headers; pip reads a
// Content-Disposition filename, so none is given (it keeps the file name of the URL).
// Documents Hoard renders itself from its own records (simple index, JSON API, packuments,
// maven-metadata.xml) stay inline.

export const SANDBOX_CSP = "sandbox; default-src 'none'";

/** Marks a response as a download of uploaded content: an attachment, in a CSP sandbox. */
export function asDownload(ctx: { set(field: string, value: string): void }): void {
  ctx.set('Content-Disposition', 'attachment');
  ctx.set('Content-Security-Policy', SANDBOX_CSP);
}
