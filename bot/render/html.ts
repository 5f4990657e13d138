// A tiny builder for messages that exist twice: as plain text that reads well on its own
// (the Matrix `body`) and as HTML restricted to the spec's recommended tags (the
// `formatted_body`). Every string that enters through `text()` is escaped, so a renderer
// that only builds with these functions cannot leak markup from people's answers.

/** The tags every client we know renders (Element X drops the rest): chat messages use only these. */
export const CLIENT_TAGS = [
  'a',
  'b',
  'strong',
  'i',
  'em',
  'u',
  'del',
  'code',
  'ul',
  'ol',
  'li',
  'pre',
  'blockquote',
  'p',
  'br',
] as const;

export interface Rich {
  readonly plain: string;
  readonly html: string;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Any text (people's answers, questionnaire texts): escaped; line breaks kept. */
export function text(value: string): Rich {
  return { plain: value, html: escapeHtml(value).replace(/\r?\n/g, '<br>') };
}

export function isRich(value: unknown): value is Rich {
  return typeof value === 'object' && value !== null && 'plain' in value && 'html' in value;
}

const rich = (value: Rich | string): Rich => (typeof value === 'string' ? text(value) : value);

export function strong(value: Rich | string): Rich {
  const r = rich(value);
  return { plain: r.plain, html: `<strong>${r.html}</strong>` };
}

export function em(value: Rich | string): Rich {
  const r = rich(value);
  return { plain: r.plain, html: `<em>${r.html}</em>` };
}

/** A command or a code: as typed in plain text, in <code> in HTML. */
export function code(value: string): Rich {
  return { plain: value, html: `<code>${escapeHtml(value)}</code>` };
}

/** A link, only for http(s) and mailto addresses; anything else stays text. */
export function link(href: string, label?: string): Rich {
  if (!/^(https?:\/\/|mailto:)/i.test(href)) return text(label ?? href);
  const shown = label ?? href;
  return { plain: shown, html: `<a href="${escapeHtml(href)}">${escapeHtml(shown)}</a>` };
}

export function join(parts: ReadonlyArray<Rich | string>, separator: Rich | string = ''): Rich {
  const sep = rich(separator);
  const all = parts.map(rich);
  return { plain: all.map((p) => p.plain).join(sep.plain), html: all.map((p) => p.html).join(sep.html) };
}

/** A paragraph of lines: one per line in plain text, <br> between them in HTML. */
export function paragraph(...lines: ReadonlyArray<Rich | string>): Rich {
  const all = lines.map(rich).filter((l) => l.plain !== '');
  if (all.length === 0) return { plain: '', html: '' };
  return { plain: all.map((l) => l.plain).join('\n'), html: `<p>${all.map((l) => l.html).join('<br>')}</p>` };
}

/**
 * A title. Written as a bold paragraph, not <h3>/<h4>: Element X keeps only the tags listed
 * in CLIENT_TAGS. (The level is kept for callers; every level looks the same.)
 */
export function heading(value: Rich | string, _level: 3 | 4 | 5 | 6 = 4): Rich {
  const r = rich(value);
  return { plain: r.plain, html: `<p><strong>${r.html}</strong></p>` };
}

/** A list; ordered lists are numbered "1." in plain text so people can type the number. */
export function list(items: ReadonlyArray<Rich | string>, ordered = false): Rich {
  const all = items.map(rich);
  if (all.length === 0) return { plain: '', html: '' };
  const plain = all
    .map((item, i) => `${ordered ? `${i + 1}.` : '•'} ${item.plain.replace(/\n/g, '\n   ')}`)
    .join('\n');
  const tag = ordered ? 'ol' : 'ul';
  return { plain, html: `<${tag}>${all.map((item) => `<li>${item.html}</li>`).join('')}</${tag}>` };
}

export function preformatted(value: string): Rich {
  return { plain: value, html: `<pre><code>${escapeHtml(value)}</code></pre>` };
}

/** Blocks of one message: a blank line between them in plain text. */
export function blocks(parts: ReadonlyArray<Rich>): Rich {
  const all = parts.filter((p) => p.plain !== '' || p.html !== '');
  return { plain: all.map((p) => p.plain).join('\n\n'), html: all.map((p) => p.html).join('') };
}
