// Last line of defence before HTML leaves the bot: whatever a renderer produced, only
// the tags every client renders (a subset of what the Matrix spec recommends) survive.
// Renderers escape user text themselves; this guard makes a renderer bug harmless.
import sanitizeHtml from 'sanitize-html';
import { CLIENT_TAGS } from './render/html.ts';

/**
 * The tags every client we know renders in a message (Element X drops the rest, see
 * shared/CLIENTS.md): a narrower set than the spec's recommendation. Anything else a
 * renderer produced by mistake is escaped, so it shows as text instead of vanishing.
 */
export const ALLOWED_TAGS = CLIENT_TAGS;

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
