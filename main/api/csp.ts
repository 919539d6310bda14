/**
 * The Content-Security-Policy of the renderer, shared by the HTML meta tag (renderer/index.html,
 * checked equal by a test), the browser-mode HTTP header, and the Electron session.
 * Scripts only from our own origin; no eval, no inline script, no remote anything. Workers may be
 * blob: URLs because graphology's ForceAtlas2 worker is created that way. Images may be data:/blob:
 * for PNG export previews. connect-src 'self' covers the same-origin WebSocket (CSP3 maps ws: to http:).
 */
export const RENDERER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Header-only directives (not allowed in a meta tag). */
export const HEADER_ONLY_CSP = "frame-ancestors 'none'";
