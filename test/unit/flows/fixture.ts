// A small questionnaire with one question of every type, conditions, and a driver that
// talks to the conversation through its pure facade the way the bot does (snapshot in,
// snapshot out, JSON round trip in between as storage would do).
import { expect } from 'vitest';
import type { AnswerValue } from '../../../flows/answers.ts';
import {
  inspect,
  start,
  step,
  type Campaign,
  type ConversationEvent,
  type PersistedConversation,
  type StepResult,
} from '../../../flows/conversation.ts';
import type { Effect, ReplyIntent } from '../../../flows/intents.ts';
import { parseQuestionnaire, type Questionnaire } from '../../../flows/questionnaire.ts';

export const FIXTURE_YAML = `
id: fixture
version: 1
title: { fr: Questionnaire d'essai, en: Test questionnaire }
identification:
  title: { fr: Identification, en: Identification }
  questions:
    - id: name
      role: collectivity_name
      type: short_text
      text: { fr: Nom ?, en: Name? }
    - id: kind
      role: collectivity_kind
      type: single_choice
      text: { fr: Type ?, en: Kind? }
      choices:
        - { id: commune, label: { fr: Commune, en: Municipality } }
        - { id: epci, label: { fr: Intercommunalité, en: Inter-municipal body } }
        - { id: other, label: { fr: Autre, en: Other } }
    - id: kind_other
      type: short_text
      when: { question: kind, equals: other }
      text: { fr: Précisez ?, en: Which? }
sections:
  - id: tech
    title: { fr: Technique, en: Technical }
    questions:
      - id: uses_linux
        type: yes_no
        text: { fr: GNU/Linux ?, en: GNU/Linux? }
      - id: linux_share
        type: percentage
        when: { question: uses_linux, equals: true }
        text: { fr: Part ?, en: Share? }
      - id: distros
        type: list
        maxItems: 3
        when: { question: uses_linux, equals: true }
        text: { fr: Distributions ?, en: Distributions? }
      - id: staff
        type: integer
        required: false
        min: 0
        max: 1000
        text: { fr: Agents ?, en: Staff? }
      - id: formats
        type: multiple_choice
        text: { fr: Formats ?, en: Formats? }
        choices:
          - { id: csv, label: { fr: CSV, en: CSV } }
          - { id: json, label: { fr: JSON, en: JSON } }
          - { id: none, label: { fr: Aucun, en: None }, exclusive: true }
  - id: contact
    title: { fr: Contact, en: Contact }
    questions:
      - id: site
        type: url
        required: false
        text: { fr: Site ?, en: Website? }
      - id: email
        type: email
        text: { fr: Courriel ?, en: Email? }
      - id: adopted
        type: date
        required: false
        text: { fr: Date ?, en: Date? }
      - id: notes
        type: long_text
        required: false
        maxLength: 50
        text: { fr: Remarques ?, en: Remarks? }
`;

export const fixture: Questionnaire = parseQuestionnaire(FIXTURE_YAML, 'fixture');

export const CLOSES_AT = new Date('2026-10-15T21:59:00Z');
export const campaign: Campaign = { closesAt: CLOSES_AT, timeZone: 'Europe/Paris' };
export const BEFORE = new Date('2026-09-01T08:00:00Z');
export const AFTER = new Date('2026-10-16T08:00:00Z');
export const LEA = '@lea:example.org';
export const MAX = '@max:example.org';

/** Storage keeps plain JSON: every snapshot goes through a round trip. */
export function roundTrip(snapshot: PersistedConversation): PersistedConversation {
  return JSON.parse(JSON.stringify(snapshot)) as PersistedConversation;
}

export class Driver {
  questionnaire: Questionnaire;
  snapshot: PersistedConversation;
  last: StepResult;
  effects: Effect[] = [];
  now: Date;

  constructor(
    options: {
      questionnaire?: Questionnaire;
      now?: Date;
      lastYear?: Record<string, AnswerValue>;
      by?: string;
      snapshot?: PersistedConversation;
    } = {},
  ) {
    this.questionnaire = options.questionnaire ?? fixture;
    this.now = options.now ?? BEFORE;
    if (options.snapshot) {
      this.snapshot = roundTrip(options.snapshot);
      const view = inspect({ questionnaire: this.questionnaire, campaign, snapshot: this.snapshot });
      this.last = { snapshot: this.snapshot, replies: [], effects: [], accepted: false, view };
      return;
    }
    this.last = start({
      questionnaire: this.questionnaire,
      campaign,
      startedBy: options.by ?? LEA,
      now: this.now,
      ...(options.lastYear ? { lastYear: options.lastYear } : {}),
    });
    this.snapshot = roundTrip(this.last.snapshot);
    this.effects.push(...this.last.effects);
  }

  send(event: ConversationEvent): StepResult {
    this.last = step({
      questionnaire: this.questionnaire,
      campaign,
      snapshot: this.snapshot,
      event,
      now: this.now,
    });
    this.snapshot = roundTrip(this.last.snapshot);
    this.effects.push(...this.last.effects);
    return this.last;
  }

  say(text: string, sender = LEA, at?: Date): StepResult {
    return this.send({ type: 'text', text, sender, ...(at ? { at } : {}) });
  }

  /** Sends several messages, each of which must be accepted. */
  answer(...texts: string[]): StepResult {
    for (const text of texts) {
      const r = this.say(text);
      expect(r.accepted, `"${text}" accepted; replies: ${JSON.stringify(r.replies)}`).toBe(true);
    }
    return this.last;
  }

  get replies(): ReplyIntent[] {
    return this.last.replies;
  }

  kinds(): string[] {
    return this.last.replies.map((r) => r.kind);
  }

  reply<K extends ReplyIntent['kind']>(kind: K): Extract<ReplyIntent, { kind: K }> {
    const found = this.last.replies.find((r) => r.kind === kind);
    expect(found, `a ${kind} reply among ${JSON.stringify(this.last.replies)}`).toBeDefined();
    return found as Extract<ReplyIntent, { kind: K }>;
  }

  /** The question asked by the last step, if any. */
  asked(): string | undefined {
    const asks = this.last.replies.filter(
      (r): r is Extract<ReplyIntent, { kind: 'ask' }> => r.kind === 'ask',
    );
    return asks[asks.length - 1]?.questionId;
  }

  get state(): string {
    return this.last.view.state;
  }

  get context(): {
    answers: Record<string, { value: AnswerValue; by: string; at: string }>;
    status: string;
    cursor: string | null;
    drafts: Record<string, string[]>;
  } {
    return (this.snapshot.state as { context: never }).context;
  }
}
