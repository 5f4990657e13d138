// Translations: one i18next instance loaded once with every language found under
// locales/<lang>/<namespace>.json. Callers never switch its language; they ask for
// a translator fixed to one person's language (see `translator`).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import i18next, { type Resource, type TFunction, type i18n } from 'i18next';

// The French files are the reference: their keys type every `t(...)` call.
export interface Resources {
  common: typeof import('./fr/common.json');
  organisers: typeof import('./fr/organisers.json');
  candidacy: typeof import('./fr/candidacy.json');
  jury: typeof import('./fr/jury.json');
  bot: typeof import('./fr/bot.json');
}
export type Namespace = keyof Resources;

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'common';
    resources: Resources;
  }
}

export const DEFAULT_LANGUAGE = 'fr';
export const FALLBACK_LANGUAGE = 'en';
export const LOCALES_DIR = import.meta.dirname;

/** Reads every locales/<lang>/<ns>.json into { lang: { ns: tree } }. */
export function readLocaleFiles(dir: string = LOCALES_DIR): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const lang of readdirSync(dir)) {
    const langDir = join(dir, lang);
    if (!statSync(langDir).isDirectory()) continue;
    const namespaces: Record<string, unknown> = {};
    for (const file of readdirSync(langDir)) {
      if (!file.endsWith('.json')) continue;
      namespaces[file.slice(0, -'.json'.length)] = JSON.parse(readFileSync(join(langDir, file), 'utf8'));
    }
    out[lang] = namespaces;
  }
  return out;
}

let shared: i18n | undefined;

function instance(): i18n {
  if (shared) return shared;
  const resources = readLocaleFiles() as Resource;
  const created = i18next.createInstance();
  void created.init({
    initAsync: false,
    resources,
    lng: DEFAULT_LANGUAGE,
    fallbackLng: [FALLBACK_LANGUAGE, DEFAULT_LANGUAGE],
    supportedLngs: Object.keys(resources),
    ns: Object.keys(resources[DEFAULT_LANGUAGE] ?? {}),
    defaultNS: 'common',
    interpolation: { escapeValue: false }, // renderers escape for HTML themselves
    returnNull: false,
  });
  shared = created;
  return created;
}

/** Languages that have a folder under locales/. */
export function supportedLanguages(): string[] {
  return Object.keys(instance().options.resources ?? {}).sort();
}

export function isSupportedLanguage(lang: string): boolean {
  return supportedLanguages().includes(lang);
}

/** A translator fixed to one language: safe to use concurrently with others. */
export function translator<N extends Namespace = 'common'>(lang: string, ns?: N): TFunction<N> {
  const language = isSupportedLanguage(lang) ? lang : DEFAULT_LANGUAGE;
  return instance().getFixedT(language, (ns ?? 'common') as N) as TFunction<N>;
}
