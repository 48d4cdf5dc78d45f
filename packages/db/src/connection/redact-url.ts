/** Names of query parameters and key=value settings whose value is a credential (case-insensitive). */
const SECRET_NAME = /pass|pwd|secret|token|key|auth|credential|signature/i;

const MASK = '***';

/** One libpq `key=value` setting: the value single-quoted (backslash escapes) or up to the next blank. */
const CONNINFO_SETTING = /\s*([A-Za-z_][\w.-]*)\s*=\s*('(?:\\[\s\S]|[^'\\])*'|(?:\\[\s\S]|[^\s'\\])*)/y;

/**
 * Returns a connection string safe for logs and error messages: the URL's password, every query
 * parameter whose name looks secret (password, sslpassword, token, key, ...) and the fragment become
 * `***`. A libpq `key=value` string keeps its settings with the secret ones masked. Anything else
 * that does not parse is never echoed: only its scheme and length are shown.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactConninfo(url) ?? describeUnparseable(url);
  }
  // A password with an unencoded `/`, `?` or `#` after a numeric prefix parses "successfully", with
  // the rest of the password in the path, query or fragment: show none of it.
  if (/@|%40/i.test(`${parsed.pathname}${parsed.search}${parsed.hash}`)) return describeUnparseable(url);
  if (parsed.password) parsed.password = MASK;
  const parameters = [...parsed.searchParams];
  if (parameters.some(([name]) => SECRET_NAME.test(name))) {
    const masked = new URLSearchParams();
    for (const [name, value] of parameters) masked.append(name, SECRET_NAME.test(name) ? MASK : value);
    parsed.search = masked.toString();
  }
  if (parsed.hash) parsed.hash = MASK;
  return parsed.toString();
}

/** The libpq `host=... password=...` form with secret values masked; undefined when it is not that form. */
function redactConninfo(text: string): string | undefined {
  const trimmed = text.trimEnd();
  const settings: string[] = [];
  CONNINFO_SETTING.lastIndex = 0;
  while (CONNINFO_SETTING.lastIndex < trimmed.length) {
    const match = CONNINFO_SETTING.exec(trimmed);
    if (!match) return undefined;
    const [, name = '', value = ''] = match;
    settings.push(`${name}=${SECRET_NAME.test(name) ? MASK : value}`);
  }
  return settings.length > 0 ? settings.join(' ') : undefined;
}

function describeUnparseable(text: string): string {
  const unparseable = `<unparseable, ${text.length} characters>`;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text)?.[1];
  return scheme ? `${scheme}://${unparseable}` : unparseable;
}
