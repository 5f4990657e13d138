// Turns the flows' reply intents into messages, from the dossier as stored after the
// change. Levels travel as positions on the scale and dates as ISO strings: here they
// become labels and dates in the reader's language and the campaign's time zone.
import type { JuryMessage } from '../../flows/jury/replies.ts';
import { statusOf } from '../../flows/jury/snapshot.ts';
import type { JuryPolicy, Roster } from '../../flows/jury/rules.ts';
import { levelIndex, levelLabel } from '../../flows/jury/scale.ts';
import { formatDateTime } from '../render/dossier.ts';
import * as render from '../render/jury.ts';
import { tallyMessage } from '../render/jury-tally.ts';
import type { LoadedDossier } from './dossiers.ts';

export interface ReplyContext {
  readonly roster: Roster;
  readonly policy: JuryPolicy;
  readonly timeZone: string;
}

const LEVEL_PARAMS = new Set(['level', 'proposed', 'before']);

export function dossierRef(dossier: LoadedDossier): render.DossierRef {
  return { number: dossier.record.number, name: dossier.name };
}

export function timeZoneOf(dossier: LoadedDossier, fallback: string): string {
  return dossier.campaign.timeZone || fallback;
}

export function renderReply(
  message: JuryMessage,
  dossier: LoadedDossier,
  context: ReplyContext,
  lang: string,
): render.Rendered {
  const { record, scale } = dossier;
  const ref = dossierRef(dossier);
  const timeZone = timeZoneOf(dossier, context.timeZone);
  switch (message.kind) {
    case 'say': {
      const params: render.Params = {};
      for (const [name, value] of Object.entries(message.params)) {
        if (LEVEL_PARAMS.has(name) && typeof value === 'number')
          params[name] = levelLabel(scale, value, lang);
        else if (name === 'date' && typeof value === 'string')
          params[name] = formatDateTime(new Date(value), lang, timeZone);
        else params[name] = value;
      }
      return render.simple(lang, message.key as render.JuryKey, params);
    }
    case 'voteRecorded':
      return render.voteRecorded(ref, scale, message.level, message.before, lang);
    case 'tally': {
      const status = statusOf(record, scale, context.roster, context.policy);
      const ballots = message.ballots
        ? new Map(
            record.ballots
              .filter((b) => b.status === 'voted' && b.level !== null && status.voted.includes(b.juror))
              .map((b) => [b.juror, levelIndex(scale, b.level ?? '') ?? -1] as const),
          )
        : undefined;
      const decided = record.decision ? levelIndex(scale, record.decision.level) : null;
      return tallyMessage(
        {
          ref,
          status,
          scale,
          decidedLevel: decided,
          complete: message.complete,
          ...(ballots ? { ballots } : {}),
        },
        lang,
      );
    }
    case 'notes':
      return render.notesMessage(
        ref,
        record.notes.filter((n) => n.kind === 'note'),
        lang,
        timeZone,
      );
    case 'decision':
      return decisionMessage(dossier, context, lang, message.proposed);
    case 'help':
      return render.helpMessage(scale, lang);
  }
}

/** The decision as it stands (its latest correction, if any). */
export function decisionMessage(
  dossier: LoadedDossier,
  context: ReplyContext,
  lang: string,
  /** Whether the readers may see the level the jury proposed (someone outside the jury may read the room). */
  showProposed: boolean,
): render.Rendered {
  const { record, scale } = dossier;
  const decision = record.decision;
  if (!decision) return render.simple(lang, 'decision.refusal.notDecided', { number: record.number });
  const status = statusOf(record, scale, context.roster, context.policy);
  const view = {
    ref: dossierRef(dossier),
    scale,
    level: levelIndex(scale, decision.level) ?? 0,
    proposed: showProposed ? status.result.majorityGrade : null,
    reason: decision.reason,
    mentions: decision.mentions,
    message: decision.message || null,
    by: decision.decidedBy,
  };
  const last = decision.corrections[decision.corrections.length - 1];
  return decision.version > 1 && last
    ? render.correctionMessage(
        {
          ...view,
          before: levelIndex(scale, last.previous.level) ?? 0,
          correctionReason: last.reason,
          published: decision.publishedAt !== null,
        },
        lang,
      )
    : render.decisionMessage(view, lang);
}
