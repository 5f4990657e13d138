// Every language must have the same keys and placeholders as French, and the plural
// forms its own grammar needs (Intl.PluralRules decides which).
import { describe, expect, it } from 'vitest';
import { DEFAULT_LANGUAGE, readLocaleFiles, translator } from '../../../locales/i18n.ts';

const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

function flatten(tree: unknown, prefix = ''): Record<string, string> {
  if (typeof tree === 'string') return { [prefix]: tree };
  if (tree === null || typeof tree !== 'object') return {};
  return Object.assign(
    {},
    ...Object.entries(tree).map(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k)),
  ) as Record<string, string>;
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((m) => m[1] ?? '').sort();
}

const locales = readLocaleFiles();
const reference = locales[DEFAULT_LANGUAGE] ?? {};

describe('locales', () => {
  it('has French and English', () => {
    expect(Object.keys(locales)).toEqual(expect.arrayContaining(['fr', 'en']));
  });

  for (const [lang, namespaces] of Object.entries(locales)) {
    describe(lang, () => {
      it('has the same namespaces as French', () => {
        expect(Object.keys(namespaces).sort()).toEqual(Object.keys(reference).sort());
      });

      for (const ns of Object.keys(reference)) {
        const base = flatten(reference[ns]);
        const mine = flatten(namespaces[ns]);
        const stem = (key: string) => key.replace(PLURAL_SUFFIX, '');

        it(`${ns}: same keys as French (plural forms aside)`, () => {
          expect([...new Set(Object.keys(mine).map(stem))].sort()).toEqual(
            [...new Set(Object.keys(base).map(stem))].sort(),
          );
        });

        it(`${ns}: same placeholders as French`, () => {
          const byStem = (entries: Record<string, string>) => {
            const out: Record<string, string[]> = {};
            for (const [key, text] of Object.entries(entries)) {
              out[stem(key)] = [...new Set([...(out[stem(key)] ?? []), ...placeholders(text)])].sort();
            }
            return out;
          };
          expect(byStem(mine)).toEqual(byStem(base));
        });

        it(`${ns}: every plural has the forms ${lang} needs`, () => {
          const needed = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
          const plurals = new Set(
            Object.keys(mine)
              .filter((k) => PLURAL_SUFFIX.test(k))
              .map(stem),
          );
          for (const key of plurals) {
            for (const category of needed)
              expect(mine, `${ns}:${key}_${category}`).toHaveProperty([`${key}_${category}`]);
          }
        });

        it(`${ns}: no empty text`, () => {
          expect(Object.entries(mine).filter(([, text]) => text.trim() === '')).toEqual([]);
        });
      }
    });
  }

  it('plural forms follow each language', () => {
    expect(translator('fr')('minutes', { count: 0 })).toBe('0 minute');
    expect(translator('en')('minutes', { count: 0 })).toBe('0 minutes');
  });

  it('fixed translators do not affect each other', () => {
    const fr = translator('fr');
    const en = translator('en');
    expect([fr('ready'), en('ready'), fr('ready')]).toEqual([
      'Le bot est prêt.',
      'The bot is ready.',
      'Le bot est prêt.',
    ]);
  });
});
