// A strict reader of the HTML the bot sends (formatted_body). The bot's HTML always goes
// through sanitize-html, which writes well-formed markup: every "<" of text escaped, every
// attribute double-quoted. So anything this reader cannot read is already a failure, and
// every tag, attribute and link scheme must be in the allowed set of bot/html-guard.ts.
import { ALLOWED_TAGS } from '../../../bot/html-guard.ts';

const ALLOWED = new Set<string>(ALLOWED_TAGS);
const ATTRIBUTES: Record<string, readonly string[]> = { a: ['href'], ol: ['start'], code: ['class'] };
const SCHEMES = ['https:', 'http:', 'mailto:', 'matrix:'];
const TAG = /^<(\/?)([a-z][a-z0-9]*)((?:\s+[a-z][a-z0-9-]*="[^"]*")*)\s*(\/?)>/;
const ATTRIBUTE = /([a-z][a-z0-9-]*)="([^"]*)"/g;

/** Decodes the character references sanitize-html writes in attribute values. */
function decode(value: string): string {
  return value
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** What is wrong with a formatted_body; empty when it only uses the allowed tag set. */
export function htmlProblems(html: string): string[] {
  const problems: string[] = [];
  let at = 0;
  while ((at = html.indexOf('<', at)) >= 0) {
    const match = TAG.exec(html.slice(at));
    if (!match) {
      problems.push(`unreadable markup at ${at}: ${JSON.stringify(html.slice(at, at + 60))}`);
      at++;
      continue;
    }
    const [whole, , name = '', attributes = ''] = match;
    if (!ALLOWED.has(name)) problems.push(`tag <${name}> is not allowed`);
    for (const [, attribute = '', raw = ''] of attributes.matchAll(ATTRIBUTE)) {
      if (!(ATTRIBUTES[name] ?? []).includes(attribute)) {
        problems.push(`attribute ${attribute} on <${name}> is not allowed`);
        continue;
      }
      const value = decode(raw).trim().toLowerCase();
      if (attribute === 'href' && !SCHEMES.some((scheme) => value.startsWith(scheme)))
        problems.push(`link scheme of ${JSON.stringify(value.slice(0, 80))} is not allowed`);
      if (attribute === 'class' && !/^language-[a-z0-9+-]+$/.test(value))
        problems.push(`class ${JSON.stringify(value)} is not allowed`);
    }
    at += whole.length;
  }
  return problems;
}
