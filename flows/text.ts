// Small text helpers shared by the command parser and the answer parser.

/** Lower case, accents removed, spaces collapsed: how people's words are compared. */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\s\u00a0\u202f]+/g, ' ')
    .trim();
}

/** fold() and without the punctuation people add around a one-word answer ("Oui !", "non."). */
export function foldWord(text: string): string {
  return fold(text)
    .replace(/^[\s"'«»“”(]+/, '')
    .replace(/[\s"'«»“”).!?…]+$/, '');
}

// Characters that show nothing on their own: format characters (zero-width spaces and
// joiners, bidi controls, soft hyphen, BOM), combining marks with nothing to combine
// with, spaces of every kind (NBSP included), and the blank letters some fonts draw empty.
const INVISIBLE = /[\p{Cf}\p{M}\s\u115f\u1160\u2800\u3164\uffa0]/gu;
const EDGES = /^[\p{Cf}\s\u115f\u1160\u2800\u3164\uffa0]+|[\p{Cf}\s\u115f\u1160\u2800\u3164\uffa0]+$/gu;

/** True when nothing visible is left once invisible characters are removed. */
export function isBlank(text: string): boolean {
  return text.replace(INVISIBLE, '') === '';
}

/**
 * A person's text as the bot keeps it: NFC (one code point per accented letter, whatever
 * the keyboard sent), invisible characters and spaces trimmed at both ends (inside they may
 * be meaningful, such as the joiner in an emoji sequence), and '' when nothing visible is left.
 */
export function cleanText(text: string): string {
  const nfc = text.normalize('NFC');
  return isBlank(nfc) ? '' : nfc.replace(EDGES, '');
}
