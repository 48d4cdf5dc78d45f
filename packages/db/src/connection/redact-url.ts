/**
 * Returns the URL with any password replaced by `***`, safe for logs and error messages.
 * A string that does not parse as a URL is returned with everything between `//` and `@` masked.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
