// What each delivery of a broadcast says, rendered when it is sent, in the room's language:
// an announcement, a reminder with what is missing, a closing notice, a result, the palmarès.
import { answersView, requiredProgress } from '../../flows/campaign/progress.ts';
import type { Campaign } from '../../flows/campaign/model.ts';
import { palmares } from '../../flows/campaign/results.ts';
import { textIn } from '../../flows/questionnaire.ts';
import type { Broadcast, Candidacy, Delivery } from '../../storage/index.ts';
import { decisionsForResults } from '../exports/results.ts';
import {
  counted,
  renderAnnouncement,
  renderClosingNotice,
  renderPalmares as renderPalmaresMessage,
  renderPublicAnnouncement,
  renderReminder,
  renderResult,
  sentence,
} from '../render/organisers.ts';
import type { OutgoingMessage } from '../types.ts';
import type { OrganiserService } from './service.ts';
import { candidacyName } from './store.ts';

export async function renderDelivery(
  service: OrganiserService,
  broadcast: Broadcast,
  delivery: Delivery,
): Promise<OutgoingMessage> {
  const content = (broadcast.content ?? {}) as Record<string, unknown>;
  const campaignId = (content.campaignId as string | undefined) ?? broadcast.campaignId;
  const campaign = campaignId ? await service.store.campaign(campaignId) : null;
  const candidacy = await service.ctx.storage.candidacies.findByRoom(delivery.roomId);
  const lang = delivery.language ?? candidacy?.language ?? service.defaultLanguage;
  const rich = await renderContent(service, broadcast, content, campaign, candidacy, lang, delivery);
  return { ...rich, mentions: [] };
}

async function renderContent(
  service: OrganiserService,
  broadcast: Broadcast,
  content: Record<string, unknown>,
  campaign: Campaign | null,
  candidacy: Candidacy | null,
  lang: string,
  delivery: Delivery,
): Promise<{ plain: string; html: string }> {
  switch (broadcast.kind) {
    case 'announcement': {
      const texts = (content.texts ?? {}) as Record<string, string>;
      if (delivery.language === null && !candidacy) {
        const versions = Object.entries(texts).map(([l, body]) => ({
          lang: l === '*' ? service.defaultLanguage : l,
          body,
        }));
        return renderPublicAnnouncement(versions);
      }
      return renderAnnouncement(texts[lang] ?? texts['*'] ?? texts.fr ?? Object.values(texts)[0] ?? '', lang);
    }
    case 'reminder': {
      if (!campaign || !candidacy) throw new Error('reminder: campaign or candidacy not found');
      const questionnaire = service.questionnaire(campaign.questionnaireId);
      const progress = requiredProgress(questionnaire, answersView(candidacy.answers));
      const missing = progress.missing.map((q) => `${q.number}. ${textIn(q.text, lang)}`);
      return renderReminder({ campaign, now: service.ctx.clock.now(), missing }, lang);
    }
    case 'closing': {
      if (!campaign) throw new Error('closing: campaign not found');
      if (!candidacy) {
        return sentence(lang, 'campaign.closedByClock', {
          id: campaign.id,
          frozen: counted(lang, 'frozenDrafts', Number(content.frozen ?? 0)),
          review: counted(lang, 'toJury', Number(content.review ?? 0)),
        });
      }
      return renderClosingNotice(campaign, candidacy.status === 'draft', lang);
    }
    case 'results': {
      if (!campaign) throw new Error('results: campaign not found');
      if (!candidacy) return renderPalmares(service, campaign, lang);
      const decision = await service.ctx.storage.jury.getDecision(candidacy.id);
      if (!decision) throw new Error('results: no decision for this candidacy');
      return renderResult(
        {
          campaign,
          name: candidacyName(candidacy),
          level: decision.level,
          mentions: decision.mentions,
          message: decision.message,
        },
        lang,
      );
    }
    default:
      throw new Error(`unknown broadcast kind ${broadcast.kind}`);
  }
}

async function renderPalmares(
  service: OrganiserService,
  campaign: Campaign,
  lang: string,
): Promise<{ plain: string; html: string }> {
  const candidacies = await service.store.candidacies(campaign.id);
  const decisions = await service.ctx.storage.jury.listDecisions(campaign.id);
  const questionnaire = service.questionnaireOrNull(campaign.questionnaireId);
  const kindQuestion = questionnaire?.questions.find((q) => q.role === 'collectivity_kind');
  const kindLabel = (kind: string | null) => {
    if (!kind || !kindQuestion || kindQuestion.type !== 'single_choice') return kind;
    const choice = kindQuestion.choices.find((c) => c.id === kind);
    return choice ? textIn(choice.label, lang) : kind;
  };
  const entries = decisionsForResults(candidacies, decisions, questionnaire).map((d) => ({
    ...d,
    kind: kindLabel(d.kind),
  }));
  return renderPalmaresMessage(campaign, palmares(campaign, entries), lang);
}
