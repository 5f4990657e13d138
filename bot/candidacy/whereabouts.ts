// Where a person's candidacies are: each one's room, by the name their client shows, and
// whether they are in it. A person who left (or declined) is invited again, since the bot
// administers every candidacy room and the rooms are invite-only.
import { type Membership, type Place, placeOf, roomNameFor } from '../../flows/reach.ts';
import { translator } from '../../locales/i18n.ts';
import type { Candidacy } from '../../storage/candidacies.ts';
import type { BotContext } from '../context.ts';
import { escapeHtml } from '../html-guard.ts';
import type { OutgoingMessage } from '../types.ts';
import type { CandidacyCatalog } from './catalog.ts';

export interface Whereabout {
  candidacy: Candidacy;
  room: string;
  /** Where the person stands after the bot did what it could (`failed`: the invitation failed). */
  place: Place | 'failed';
}

/** The part of a user id a person would recognise, when they set no display name. */
export function localpart(userId: string): string {
  return userId.replace(/^@/, '').split(':')[0] ?? userId;
}

export class Whereabouts {
  private readonly ctx: BotContext;
  private readonly catalog: CandidacyCatalog;

  constructor(ctx: BotContext, catalog: CandidacyCatalog) {
    this.ctx = ctx;
    this.catalog = catalog;
  }

  async nameOf(userId: string): Promise<string> {
    return (await this.ctx.messenger.displayName(userId)) ?? localpart(userId);
  }

  /**
   * The room's name as clients show it. Once the collectivité is known the bot has named the
   * room after it (no need to ask); before, the name is read from the room.
   */
  async roomName(candidacy: Candidacy, lang: string): Promise<string> {
    const campaign = await this.catalog.campaign(candidacy.campaignId);
    const t = translator(lang, 'bot');
    const known = candidacy.collectivite?.name;
    if (known) return t('roomNameKnown', { collectivite: known, campaign: campaign.name });
    const named = candidacy.roomId ? await this.ctx.messenger.roomName(candidacy.roomId) : null;
    if (named) return named;
    const name = roomNameFor({
      collectivite: candidacy.collectivite?.name ?? null,
      campaign: campaign.name,
      lead: await this.nameOf(candidacy.people.lead.userId),
      ordinal: 1,
    });
    return t(name.key, name.params);
  }

  /** Finds where `person` stands in each candidacy's room, inviting them again where they are not. */
  async reach(person: string, candidacies: readonly Candidacy[], lang: string): Promise<Whereabout[]> {
    const out: Whereabout[] = [];
    for (const candidacy of candidacies) {
      if (!candidacy.roomId) continue;
      const membership = (await this.ctx.messenger.membership(candidacy.roomId, person)) as Membership;
      let place: Whereabout['place'] = placeOf(membership);
      if (place === 'reinvite') {
        try {
          await this.ctx.messenger.invite(candidacy.roomId, person);
          this.ctx.logger.info(
            { roomId: candidacy.roomId, person, membership },
            'invited back to a candidacy',
          );
        } catch (error) {
          this.ctx.logger.warn({ err: error, roomId: candidacy.roomId, person }, 'invitation back failed');
          place = 'failed';
        }
      }
      out.push({ candidacy, room: await this.roomName(candidacy, lang), place });
    }
    return out;
  }

  /** The direct chat's account of the person's candidacies, and what to do next. */
  async describe(
    found: readonly Whereabout[],
    lang: string,
    options: { hello: boolean },
  ): Promise<OutgoingMessage> {
    const t = translator(lang, 'bot');
    const status = translator(lang, 'candidacy');
    const lines: string[] = [];
    for (const { candidacy, room, place } of found) {
      const { questionnaire } = await this.catalog.settings(candidacy);
      lines.push(
        t('whereLine', {
          room,
          status: status(`status.${candidacy.status}`),
          answered: Object.keys(candidacy.answers).length,
          total: questionnaire.questions.length,
          place: t(`place.${place}`),
        }),
      );
    }
    const head = [...(options.hello ? [t('hello')] : []), t('where', { count: found.length })].join(' ');
    const tail = [t('whereKept'), t('lobbyHelp')];
    return {
      plain: [head, ...lines.map((line) => `• ${line}`), ...tail].join('\n'),
      html:
        `<p>${escapeHtml(head)}</p><ul>${lines.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>` +
        tail.map((text) => `<p>${escapeHtml(text)}</p>`).join(''),
    };
  }
}
