// Gathers what the status dashboard shows from storage: candidacies with their progress,
// the jury's participation per dossier (with the jury's own quorum rules) and failed
// deliveries; flows/campaign/dashboard.ts decides what is late.
import type { DashboardData } from '../../flows/campaign/dashboard.ts';
import { computeDashboard } from '../../flows/campaign/dashboard.ts';
import type { Campaign } from '../../flows/campaign/model.ts';
import { answersView, requiredProgress } from '../../flows/campaign/progress.ts';
import { statusOf } from '../../flows/jury/snapshot.ts';
import type { OrganiserService } from './service.ts';
import { candidacyName, stageOf } from './store.ts';

export async function gatherDashboard(service: OrganiserService, campaign: Campaign): Promise<DashboardData> {
  const { ctx, store } = service;
  const now = ctx.clock.now();
  const candidacies = await store.candidacies(campaign.id);
  const questionnaire = service.questionnaireOrNull(campaign.questionnaireId);
  const roster = {
    jurors: ctx.config.people.jurors,
    organisers: ctx.config.people.organisers,
    president: ctx.config.people.juryPresident,
  };
  const policy = { quorum: ctx.config.jury.quorum, spreadAlert: ctx.config.jury.spreadAlert };
  const views = [];
  const jury = [];
  // Participation only (ballots cast, quorum): never a level, so no vote is revealed here.
  const records = new Map(
    (await ctx.storage.jury.listByCampaign(campaign.id)).map((r) => [r.candidacyId, r]),
  );
  const scale = { levels: campaign.levels };
  for (const c of candidacies) {
    const stage = stageOf(c, campaign);
    const progress = questionnaire
      ? requiredProgress(questionnaire, answersView(c.answers))
      : { answered: Object.keys(c.answers).length, required: Object.keys(c.answers).length };
    views.push({
      id: c.id,
      name: candidacyName(c),
      stage,
      answered: progress.answered,
      required: progress.required,
      lastActivityAt: c.updatedAt,
    });
    if (stage === 'submitted' || stage === 'review' || stage === 'decided') {
      const record = records.get(c.id);
      if (!record) continue;
      const status = statusOf(record, scale, roster, policy);
      const decision = record.decision;
      jury.push({
        candidacyId: c.id,
        votes: status.quorum.participating,
        eligible: status.eligible.length,
        quorumReached: status.quorum.reached,
        decided: decision !== null,
      });
    }
  }
  const failedDeliveries = [];
  for (const b of await ctx.storage.broadcasts.list({ campaignId: campaign.id })) {
    const failed = await ctx.storage.broadcasts.listDeliveries(b.id, { states: ['failed'] });
    if (failed.length > 0) failedDeliveries.push({ broadcastId: b.id, count: failed.length });
  }
  return computeDashboard({ campaign, now, candidacies: views, jury, failedDeliveries });
}
