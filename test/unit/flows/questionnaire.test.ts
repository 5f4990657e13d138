import { describe, expect, it } from 'vitest';
import {
  loadQuestionnaireById,
  parseQuestionnaire,
  QUESTION_TYPES,
  QuestionnaireError,
  validateQuestionnaire,
} from '../../../flows/questionnaire.ts';
import { FIXTURE_YAML, fixture } from './fixture.ts';
import { parse } from 'yaml';

function problemsOf(data: unknown): string[] {
  try {
    validateQuestionnaire(data, 'test');
  } catch (error) {
    expect(error).toBeInstanceOf(QuestionnaireError);
    return [...(error as QuestionnaireError).problems];
  }
  throw new Error('expected the questionnaire to be refused');
}

// Tests reach into arbitrary paths of the YAML document to break one thing at a time.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

/** The fixture as plain data. */
function base(): Doc {
  return parse(FIXTURE_YAML) as Doc;
}

describe('shipped questionnaires', () => {
  const tnl = loadQuestionnaireById('tnl-2026');
  const badge = loadQuestionnaireById('badge-2026');

  it('the 2026 questionnaire has 40 to 60 questions, the five domains after identification', () => {
    expect(tnl.questions.length).toBeGreaterThanOrEqual(40);
    expect(tnl.questions.length).toBeLessThanOrEqual(60);
    expect(tnl.sections.map((s) => s.id)).toEqual([
      'identification',
      'strategy',
      'practices',
      'software',
      'ecosystem',
      'data',
    ]);
  });

  it('uses every question type and several conditional follow-ups', () => {
    expect(new Set(tnl.questions.map((q) => q.type))).toEqual(new Set(QUESTION_TYPES));
    expect(tnl.questions.filter((q) => q.when).length).toBeGreaterThanOrEqual(5);
    expect(tnl.byId.get('linux_share')?.when).toEqual({ question: 'uses_linux_workstations', equals: true });
  });

  it('the badge has about ten questions', () => {
    expect(badge.questions.length).toBeGreaterThanOrEqual(8);
    expect(badge.questions.length).toBeLessThanOrEqual(14);
  });

  it('both are in French and English, and number their questions in order', () => {
    for (const q of [tnl, badge]) {
      expect(q.languages).toEqual(['en', 'fr']);
      expect(q.questions.map((x) => x.number)).toEqual(q.questions.map((_, i) => i + 1));
    }
  });

  it('shares question ids between the badge and the full form where the meaning is the same', () => {
    for (const id of ['collectivity_name', 'uses_linux_workstations', 'linux_share', 'open_data_policy'])
      expect(badge.byId.get(id)?.type).toBe(tnl.byId.get(id)?.type);
  });
});

describe('validation names the question and the field', () => {
  it('accepts the fixture', () => {
    expect(fixture.questions).toHaveLength(12);
    expect(fixture.sections[0]?.id).toBe('identification');
  });

  it('a wrong field type', () => {
    const data = base();
    data.sections[0].questions[3].max = 'many';
    expect(problemsOf(data).join('\n')).toMatch(/question "staff" \(section "tech"\), field max/);
  });

  it('an unknown key (a typo)', () => {
    const data = base();
    data.sections[0].questions[0].requierd = false;
    expect(problemsOf(data).join('\n')).toMatch(/question "uses_linux" \(section "tech"\).*requierd/);
  });

  it('an unknown type', () => {
    const data = base();
    data.identification.questions[0].type = 'essay';
    expect(problemsOf(data).join('\n')).toMatch(/question "name" \(identification\), field type/);
  });

  it('a missing translation', () => {
    const data = base();
    delete data.sections[1].questions[1].text.en;
    expect(problemsOf(data)).toContain(
      'question "email" (section "contact"), field text: missing text in en',
    );
  });

  it('a missing choice label translation', () => {
    const data = base();
    delete data.sections[0].questions[4].choices[1].label.en;
    expect(problemsOf(data).join('\n')).toContain(
      'question "formats" (section "tech"), field choices.1.label',
    );
  });

  it('French is required', () => {
    const data = base();
    delete data.title.fr;
    expect(problemsOf(data).join('\n')).toMatch(/French/);
  });

  it('duplicate ids', () => {
    const data = base();
    data.sections[1].questions[0].id = 'email';
    expect(problemsOf(data).join('\n')).toMatch(/question "email".*duplicate question id/);
  });

  it('a condition on a later or unknown question', () => {
    const data = base();
    data.sections[0].questions[0].when = { question: 'email', equals: 'x' };
    data.sections[0].questions[3].when = { question: 'nope', answered: true };
    const problems = problemsOf(data).join('\n');
    expect(problems).toMatch(/question "uses_linux".*field when: "email" is not an earlier question/);
    expect(problems).toMatch(/question "staff".*field when: "nope" is not an earlier question/);
  });

  it('a condition value that cannot be an answer', () => {
    const data = base();
    data.sections[0].questions[1].when = { question: 'uses_linux', equals: 'yes' };
    data.identification.questions[2].when = { question: 'kind', in: ['other', 'ministry'] };
    data.sections[1].questions[0].when = { question: 'formats', includes: 'xml' };
    const problems = problemsOf(data).join('\n');
    expect(problems).toMatch(/question "linux_share".*"yes" cannot be an answer to "uses_linux"/);
    expect(problems).toMatch(/question "kind_other".*"ministry" cannot be an answer to "kind"/);
    expect(problems).toMatch(/question "site".*"xml" is not a choice of "formats"/);
  });

  it('bounds and choice counts', () => {
    const data = base();
    data.sections[0].questions[3].min = 10;
    data.sections[0].questions[3].max = 5;
    data.sections[0].questions[4].maxChoices = 9;
    const problems = problemsOf(data).join('\n');
    expect(problems).toMatch(/question "staff".*field max: smaller than min/);
    expect(problems).toMatch(/question "formats".*field maxChoices/);
  });

  it('the identification roles the bot needs', () => {
    const data = base();
    delete data.identification.questions[0].role;
    expect(problemsOf(data).join('\n')).toMatch(/role "collectivity_name" is required/);
  });

  it('YAML syntax errors', () => {
    expect(() => parseQuestionnaire('id: [oops', 'broken.yaml')).toThrow(/broken.yaml[\s\S]*not valid YAML/);
  });

  it('adding a language is only data', () => {
    const data = base();
    const addGerman = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(addGerman);
      if (node && typeof node === 'object') {
        const record = node as Record<string, unknown>;
        if (typeof record.fr === 'string') record.de = `${record.fr} (de)`;
        else Object.values(record).forEach(addGerman);
      }
    };
    addGerman(data);
    const q = validateQuestionnaire(data, 'with German');
    expect(q.languages).toEqual(['de', 'en', 'fr']);
    expect(q.byId.get('name')?.text.de).toBe('Nom ? (de)');
  });
});
