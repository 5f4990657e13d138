// Last line of defence before HTML leaves the bot: whatever a renderer produced, only
// the tags and attributes the Matrix spec recommends for m.room.message survive.
// Renderers escape user text themselves; this guard makes a renderer bug harmless.
import sanitizeHtml from 'sanitize-html';

/** The client-server spec's recommended tag set (minus img and font, which we never send). */
export const ALLOWED_TAGS = [
  'del',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'p',
  'a',
  'ul',
  'ol',
  'sup',
  'sub',
  'li',
  'b',
  'i',
  'u',
  'strong',
  'em',
  's',
  'code',
  'hr',
  'br',
  'div',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'caption',
  'pre',
  'span',
  'details',
  'summary',
] as const;

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [...ALLOWED_TAGS],
  allowedAttributes: { a: ['href'], ol: ['start'], code: ['class'] },
  allowedSchemes: ['https', 'http', 'mailto', 'matrix'],
  allowedClasses: { code: [/^language-[a-z0-9+-]+$/] },
  disallowedTagsMode: 'escape',
};

export function guardHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}

/** Escapes text for inclusion in HTML (text nodes and attribute values). */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
