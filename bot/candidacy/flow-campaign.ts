// The campaign as the conversation needs it: its closing date and time zone, and
// whether a candidate may make a submitted dossier final before closing.
import type { Campaign as FlowCampaign } from '../../flows/candidacy-machine.ts';
import { earlyFinalAllowed } from '../../flows/jury/phase.ts';
import type { Campaign } from '../../storage/campaigns.ts';

export function flowCampaign(campaign: Campaign): FlowCampaign {
  return {
    closesAt: campaign.closesAt,
    timeZone: campaign.timeZone,
    earlyFinal: earlyFinalAllowed(campaign.settings),
  };
}
