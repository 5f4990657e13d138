// The organisers' guide: the welcome posted in a new organisers room and `!aide`, both
// organised by task (what to type for each thing organisers come to do), and `!aide tout`,
// every command with its options.
import { translator } from '../../locales/i18n.ts';
import { type Rich, blocks, code, heading, join, list, paragraph, strong, text } from './html.ts';

const t = (lang: string) => translator(lang, 'organisers');

const TASKS = ['follow', 'open', 'remind', 'announce', 'export', 'publish'] as const;

/** The essentials by task: what to type for each thing organisers come here to do. */
function guide(lang: string, title: Rich, intro: string | null): Rich {
  const tr = t(lang);
  return blocks([
    title,
    intro ? paragraph(intro) : text(''),
    list(
      TASKS.map((task) =>
        join([
          strong(tr(`guide.tasks.${task}.title`)),
          text(' — '),
          code(tr(`guide.tasks.${task}.command`)),
          text(` — ${tr(`guide.tasks.${task}.then`)}`),
        ]),
      ),
    ),
    paragraph(tr('guide.confirmNote')),
    paragraph(tr('guide.more')),
  ]);
}

/** Posted once when the organisers' room is created. */
export function renderWelcome(lang: string): Rich {
  const tr = t(lang);
  return guide(lang, heading(tr('guide.welcomeTitle')), tr('guide.welcomeIntro'));
}

/** `!aide`: the essentials by task; `!aide tout`: every command with its options. */
export function renderHelp(lang: string, all = false): Rich {
  const tr = t(lang);
  if (!all) return guide(lang, heading(tr('guide.helpTitle')), null);
  const keys = [
    'campaignCreate',
    'campaignOpen',
    'campaignExtend',
    'campaignClose',
    'campaignShow',
    'status',
    'remind',
    'announce',
    'export',
    'publish',
    'broadcasts',
    'confirm',
    'language',
    'help',
  ] as const;
  return blocks([
    heading(tr('help.title')),
    list(
      keys.map((key) => {
        const line = tr(`help.${key}`);
        const cut = line.indexOf(' — ');
        return cut < 0 ? text(line) : join([code(line.slice(0, cut)), text(line.slice(cut))]);
      }),
    ),
    paragraph(tr('help.dates')),
  ]);
}
