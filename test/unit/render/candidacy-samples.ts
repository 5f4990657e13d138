// Samples of every reply intent of the candidacy conversation (the Record type makes tsc
// list any kind missing), shared by the candidacy renderer's tests and the client-tags test.
import type { ReplyIntent } from '../../../flows/intents.ts';

export const deadline = { closesAt: '2026-10-15T21:59:00.000Z', timeZone: 'Europe/Paris' };
export const now = '2026-09-01T08:00:00.000Z';
export const EVIL = '<script>alert("x")</script> & <b>bold</b>';

// One or more samples of every intent kind (the Record type makes tsc list any missing kind).
export const SAMPLES: { [K in ReplyIntent['kind']]: Array<Extract<ReplyIntent, { kind: K }>> } = {
  welcome: [{ kind: 'welcome', total: 12, sections: 3, now, ...deadline }],
  renewalOffer: [
    { kind: 'renewalOffer', reusable: 1 },
    { kind: 'renewalOffer', reusable: 7 },
  ],
  renewalAccepted: [{ kind: 'renewalAccepted', reusable: 7 }],
  renewalDeclined: [{ kind: 'renewalDeclined' }],
  ask: [
    { kind: 'ask', questionId: 'name', number: 1, total: 12, newSection: true },
    { kind: 'ask', questionId: 'kind', number: 2, total: 12, newSection: false, current: 'epci' },
    { kind: 'ask', questionId: 'uses_linux', number: 4, total: 12, newSection: true, lastYear: true },
    { kind: 'ask', questionId: 'linux_share', number: 5, total: 12, newSection: false, current: 12.5 },
    { kind: 'ask', questionId: 'distros', number: 6, total: 12, newSection: false, items: ['Debian', EVIL] },
    { kind: 'ask', questionId: 'staff', number: 7, total: 12, newSection: false, lastYear: 1200 },
    { kind: 'ask', questionId: 'formats', number: 8, total: 12, newSection: false, current: ['csv', 'json'] },
    {
      kind: 'ask',
      questionId: 'site',
      number: 9,
      total: 12,
      newSection: true,
      current: 'https://x.fr/?a=1&b=2',
    },
    { kind: 'ask', questionId: 'email', number: 10, total: 12, newSection: false },
    { kind: 'ask', questionId: 'adopted', number: 11, total: 12, newSection: false, current: '2024-03-01' },
    { kind: 'ask', questionId: 'notes', number: 12, total: 12, newSection: false, current: EVIL },
  ],
  invalid: [
    {
      kind: 'invalid',
      questionId: 'kind',
      number: 2,
      problem: { code: 'unknownChoice', params: { input: EVIL, count: 3 } },
    },
    { kind: 'invalid', questionId: 'staff', number: 7, problem: { code: 'tooLarge', params: { max: 1000 } } },
    {
      kind: 'invalid',
      questionId: 'formats',
      number: 8,
      problem: { code: 'exclusiveChoice', params: { count: 3 } },
    },
    {
      kind: 'invalid',
      questionId: 'distros',
      number: 6,
      problem: { code: 'tooFewItems', params: { min: 1 } },
    },
    {
      kind: 'invalid',
      questionId: 'distros',
      number: 6,
      problem: { code: 'duplicateItem', params: { item: EVIL } },
    },
    { kind: 'invalid', questionId: 'email', number: 10, problem: { code: 'notEmail', params: {} } },
  ],
  listItemsAdded: [
    { kind: 'listItemsAdded', questionId: 'distros', number: 6, added: ['Debian', EVIL], count: 2 },
  ],
  listItemRemoved: [{ kind: 'listItemRemoved', questionId: 'distros', number: 6, item: EVIL, count: 1 }],
  listCleared: [{ kind: 'listCleared', questionId: 'distros', number: 6 }],
  kept: [{ kind: 'kept', questionId: 'name', number: 1 }],
  skipped: [{ kind: 'skipped', questionId: 'staff', number: 7 }],
  cannotSkip: [{ kind: 'cannotSkip', questionId: 'name', number: 1 }],
  cannotGoBack: [{ kind: 'cannotGoBack' }],
  confirmClear: [{ kind: 'confirmClear', questionId: 'name', number: 1, value: EVIL }],
  cleared: [{ kind: 'cleared', questionId: 'name', number: 1 }],
  clearCancelled: [{ kind: 'clearCancelled' }],
  dropped: [
    { kind: 'dropped', questions: [{ questionId: 'linux_share', number: 5 }] },
    {
      kind: 'dropped',
      questions: [
        { questionId: 'linux_share', number: 5 },
        { questionId: 'distros', number: 6 },
      ],
    },
  ],
  replaced: [{ kind: 'replaced', questionId: 'name', number: 1, value: EVIL }],
  help: [
    { kind: 'help', questionId: 'distros', number: 6, commands: ['done', 'clear', 'back', 'help'] },
    {
      kind: 'help',
      commands: [
        'help',
        'back',
        'skip',
        'edit',
        'summary',
        'progress',
        'language',
        'pause',
        'resume',
        'submit',
        'withdraw',
        'yes',
        'no',
        'done',
        'clear',
        'cancel',
      ],
    },
  ],
  summary: [
    {
      kind: 'summary',
      sections: [
        {
          sectionId: 'identification',
          items: [
            { questionId: 'name', number: 1, value: EVIL, by: '@lea:x', required: true, skipped: false },
            { questionId: 'kind', number: 2, value: 'epci', by: '@max:x', required: true, skipped: false },
          ],
        },
        {
          sectionId: 'tech',
          items: [
            { questionId: 'uses_linux', number: 4, required: true, skipped: false },
            { questionId: 'staff', number: 7, required: false, skipped: true },
          ],
        },
      ],
      missing: [{ questionId: 'uses_linux', number: 4 }],
    },
  ],
  progress: [
    {
      kind: 'progress',
      answered: 5,
      total: 10,
      missing: 3,
      sections: [
        { sectionId: 'identification', answered: 2, total: 2 },
        { sectionId: 'tech', answered: 3, total: 4 },
        { sectionId: 'contact', answered: 0, total: 4 },
      ],
      currentSectionId: 'tech',
      status: 'draft',
      now,
      ...deadline,
    },
    {
      kind: 'progress',
      answered: 10,
      total: 10,
      missing: 0,
      sections: [],
      status: 'under_review',
      now: '2026-10-20T10:00:00Z',
      ...deadline,
    },
  ],
  review: [{ kind: 'review' }],
  submittedState: [{ kind: 'submittedState', ...deadline }],
  submitBlocked: [{ kind: 'submitBlocked', missing: [{ questionId: 'email', number: 10 }] }],
  confirmSubmit: [{ kind: 'confirmSubmit', ...deadline }],
  submitted: [{ kind: 'submitted', ...deadline }],
  submitCancelled: [{ kind: 'submitCancelled' }],
  alreadySubmitted: [{ kind: 'alreadySubmitted', ...deadline }],
  confirmWithdraw: [{ kind: 'confirmWithdraw', status: 'draft' }],
  withdrawn: [{ kind: 'withdrawn' }],
  withdrawCancelled: [{ kind: 'withdrawCancelled' }],
  confirmationPending: [
    { kind: 'confirmationPending', about: 'submit' },
    { kind: 'confirmationPending', about: 'withdraw' },
    { kind: 'confirmationPending', about: 'clear' },
    { kind: 'confirmationPending', about: 'renewal' },
  ],
  paused: [{ kind: 'paused' }],
  resumed: [{ kind: 'resumed' }],
  isPaused: [{ kind: 'isPaused' }],
  notPaused: [{ kind: 'notPaused' }],
  languageChanged: [
    { kind: 'languageChanged', lang: 'en' },
    { kind: 'languageChanged', lang: 'fr' },
  ],
  languageUnknown: [{ kind: 'languageUnknown', requested: EVIL, available: ['en', 'fr'] }],
  closed: [
    { kind: 'closed', submitted: false, ...deadline },
    { kind: 'closed', submitted: true, ...deadline },
  ],
  frozen: [
    { kind: 'frozen', status: 'withdrawn' },
    { kind: 'frozen', status: 'decided' },
  ],
  decided: [{ kind: 'decided', level: EVIL }],
  unknownQuestion: [{ kind: 'unknownQuestion', target: EVIL, total: 12 }],
  notApplicable: [{ kind: 'notApplicable', questionId: 'kind_other', number: 3 }],
  notAvailable: [{ kind: 'notAvailable', command: 'done' }],
  unknownCommand: [{ kind: 'unknownCommand', command: EVIL }],
  missingArgument: [{ kind: 'missingArgument', command: 'edit' }],
  notAQuestionNow: [
    { kind: 'notAQuestionNow', status: 'draft' },
    { kind: 'notAQuestionNow', status: 'submitted' },
    { kind: 'notAQuestionNow', status: 'withdrawn' },
  ],
};
