// The audit trail of a campaign as CSV, oldest first: every answer and status change of
// every candidacy, every change to the campaign, every broadcast, every decision and
// its corrections, each with who did it and when. Jury votes are left out: ballots are
// secret unless the campaign says otherwise, and the decisions carry the outcome.
import type {
  AuditEntry,
  Broadcast,
  Campaign as StoredCampaign,
  Candidacy,
  Decision,
} from '../../storage/index.ts';
import { type Cell, guardFormula, toCsv } from './csv.ts';

export const AUDIT_COLUMNS = [
  'at',
  'campaign_id',
  'candidacy_id',
  'collectivity_name',
  'actor',
  'kind',
  'subject',
  'action',
  'value',
  'previous_value',
  'event_id',
] as const;

export interface AuditInputs {
  campaign: StoredCampaign;
  candidacies: readonly Candidacy[];
  entries: readonly AuditEntry[];
  broadcasts: readonly Broadcast[];
  decisions: readonly Decision[];
}

interface Row {
  at: Date;
  cells: Cell[];
}

const json = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

export function auditRows(input: AuditInputs): Cell[][] {
  const names = new Map(input.candidacies.map((c) => [c.id, c.collectivite?.name ?? null]));
  const campaignId = input.campaign.id;
  const rows: Row[] = [];
  const push = (at: Date, cells: Omit<Record<(typeof AUDIT_COLUMNS)[number], Cell>, 'at' | 'campaign_id'>) =>
    rows.push({
      at,
      cells: [
        at.toISOString(),
        campaignId,
        cells.candidacy_id,
        cells.collectivity_name,
        cells.actor,
        cells.kind,
        cells.subject,
        cells.action,
        cells.value,
        cells.previous_value,
        cells.event_id,
      ],
    });

  for (const h of input.campaign.history) {
    push(h.at, {
      candidacy_id: null,
      collectivity_name: null,
      actor: h.by,
      kind: 'campaign',
      subject: campaignId,
      action: h.changed.join(' '),
      value: null,
      previous_value: null,
      event_id: null,
    });
  }
  for (const e of input.entries) {
    const name = names.get(e.candidacyId) ?? null;
    if (e.kind === 'answer') {
      push(e.at, {
        candidacy_id: e.candidacyId,
        collectivity_name: name ? guardFormula(name) : null,
        actor: e.by,
        kind: 'answer',
        subject: e.questionId,
        action: e.action,
        value: e.value === undefined ? null : guardFormula(json(e.value)),
        previous_value: e.previous ? guardFormula(json(e.previous.value)) : null,
        event_id: e.eventId,
      });
      // A list built by several people: each new entry, credited to whoever typed it.
      const before = new Set(Array.isArray(e.previous?.value) ? e.previous.value.map(String) : []);
      if (e.itemsBy && Array.isArray(e.value) && new Set(e.itemsBy).size > 1) {
        e.value.forEach((entry, i) => {
          if (before.has(String(entry))) return;
          push(e.at, {
            candidacy_id: e.candidacyId,
            collectivity_name: name ? guardFormula(name) : null,
            actor: e.itemsBy?.[i] ?? e.by,
            kind: 'answer_entry',
            subject: e.questionId,
            action: 'added',
            value: guardFormula(String(entry)),
            previous_value: null,
            event_id: e.eventId,
          });
        });
      }
    } else {
      push(e.at, {
        candidacy_id: e.candidacyId,
        collectivity_name: name ? guardFormula(name) : null,
        actor: e.by,
        kind: 'status',
        subject: 'status',
        action: 'set',
        value: e.to,
        previous_value: e.from,
        event_id: e.eventId,
      });
    }
  }
  for (const b of input.broadcasts) {
    push(b.createdAt, {
      candidacy_id: null,
      collectivity_name: null,
      actor: b.createdBy,
      kind: 'broadcast',
      subject: b.id,
      action: b.kind,
      value: json(b.target),
      previous_value: null,
      event_id: null,
    });
  }
  for (const d of input.decisions) {
    const name = names.get(d.candidacyId) ?? null;
    const first = d.corrections[0]?.previous ?? d;
    push(first.decidedAt, {
      candidacy_id: d.candidacyId,
      collectivity_name: name ? guardFormula(name) : null,
      actor: first.decidedBy,
      kind: 'decision',
      subject: 'level',
      action: 'decided',
      value: first.level,
      previous_value: null,
      event_id: d.eventId,
    });
    d.corrections.forEach((c, i) => {
      const after = d.corrections[i + 1]?.previous ?? d;
      push(c.at, {
        candidacy_id: d.candidacyId,
        collectivity_name: name ? guardFormula(name) : null,
        actor: c.by,
        kind: 'decision_correction',
        subject: 'level',
        action: guardFormula(c.reason),
        value: after.level,
        previous_value: c.previous.level,
        event_id: null,
      });
    });
    if (d.publishedAt) {
      push(d.publishedAt, {
        candidacy_id: d.candidacyId,
        collectivity_name: name ? guardFormula(name) : null,
        actor: 'system',
        kind: 'decision',
        subject: 'level',
        action: 'published',
        value: d.level,
        previous_value: null,
        event_id: null,
      });
    }
  }
  return rows.sort((a, b) => a.at.getTime() - b.at.getTime()).map((r) => r.cells);
}

export function auditCsv(input: AuditInputs): Buffer {
  return toCsv(AUDIT_COLUMNS, auditRows(input));
}
