/**
 * The dashboard's two server-rendered pages: the sign-in form and the shell the ES modules fill in. Neither carries
 * captured data (the modules fetch it and render it as text), and neither has inline script or style, so the strict
 * Content-Security-Policy below holds.
 */

/** CONTENT_SECURITY_POLICY allows only this origin's scripts, styles and connections; no inline code, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ');

/** escapeHtml makes a string safe as HTML text or a quoted attribute value. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, body: string, scripts: string[] = []): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/uPlot.min.css">
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
${scripts.map((src) => `<script type="module" src="${escapeHtml(src)}"></script>`).join('\n')}
</head>
<body>
${body}
</body>
</html>
`;
}

/** signInPage renders the sign-in form; the token goes in the POST body, never in the URL. */
export function signInPage(failed: 'no' | 'token' | 'throttled'): string {
  return page('figway — sign in', `<main class="sign-in">
<h1>figway</h1>
<p>Sign in with an admin token (the value of <code>FIGWAY_ADMIN_TOKEN</code>, or a named token).</p>
${failed === 'token' ? '<p class="error" role="alert">That token was not accepted.</p>' : ''}${failed === 'throttled' ? '<p class="error" role="alert">Too many failed sign-ins from this address: wait a few minutes.</p>' : ''}
<form method="post" action="/auth/sign-in">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>
</main>`);
}

/** shellPage renders the dashboard's frame; app.js renders the views into #view. */
export function shellPage(): string {
  return page('figway dashboard', `<header class="top">
<a class="brand" href="#/">figway</a>
<nav><a href="#/">Overview</a> <a href="#/audit">Audit</a></nav>
<span class="who" id="who"></span>
<span class="live" id="live" data-state="connecting">connecting…</span>
<button type="button" id="sign-out">Sign out</button>
</header>
<main id="view" aria-live="polite"><p class="muted">Loading…</p></main>
<p id="toast" class="toast" role="status" hidden></p>`, ['/dashboard/assets/app.js']);
}
