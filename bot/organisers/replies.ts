// Pieces every organisers' reply is built from: a reply (a message and files), the
// campaign a command designates, a lifecycle refusal and field problems in words.
import type { FieldProblem } from '../../flows/campaign/create.ts';
import type { Refusal } from '../../flows/campaign/lifecycle.ts';
import { type Campaign, currentCampaign } from '../../flows/campaign/model.ts';
import { translator } from '../../locales/i18n.ts';
import { list, text } from '../render/html.ts';
import { type Rich, type RichMessage, date, sentence } from '../render/organisers.ts';
import type { OrganiserService } from './service.ts';

export interface Reply {
  message?: RichMessage;
  files?: Array<{ name: string; mimetype: string; data: Buffer }>;
}

export const say = (message: RichMessage): Reply[] => [{ message }];

/** The campaign named, else the current one; or the reply that says there is none. */
export async function campaignOrReply(
  service: OrganiserService,
  id: string | undefined,
  lang: string,
): Promise<Campaign | Reply[]> {
  const all = await service.store.campaigns();
  if (all.length === 0) return say(sentence(lang, 'noCampaign'));
  const found = id ? all.find((c) => c.id === id) : currentCampaign(all);
  return found ?? say(sentence(lang, 'unknownCampaign', { id }));
}

export function refusalReply(refusal: Refusal, lang: string, campaign?: Campaign): Reply[] {
  const params: Record<string, unknown> = { ...refusal };
  if ('status' in refusal)
    params.status = translator(lang, 'organisers')(`status.${refusal.status as 'open'}`);
  if ('closesAt' in refusal && campaign) params.closesAt = date(refusal.closesAt, campaign, lang);
  return say(sentence(lang, `refusal.${refusal.code}`, params));
}

export function fieldProblems(problems: readonly FieldProblem[], lang: string): Rich {
  const t = translator(lang, 'organisers');
  return list(
    problems.map((p) =>
      text(
        t(`field.${p.code}`, {
          ...p,
          ...('field' in p ? { field: t(`fieldName.${p.field}`) } : {}),
        }),
      ),
    ),
  );
}
