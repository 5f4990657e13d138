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
