// The small questionnaire the jury and organisers unit tests share: an identification
// (name, kind, population) and one section where "distros" applies only after a "yes".

/**
 * Its YAML under this id. `moreTech` (YAML list items, unindented) is appended to the
 * section's questions, after "strategy", so the numbers of the shared questions stay put.
 */
export function questionnaireYaml(id: string, moreTech = ''): string {
  const extra = moreTech
    .trim()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => `      ${line}\n`)
    .join('');
  return `
id: ${id}
version: 1
title: { fr: Questionnaire, en: Questionnaire }
identification:
  title: { fr: Identification, en: Identification }
  questions:
    - id: name
      role: collectivity_name
      type: short_text
      text: { fr: Nom de la collectivité ?, en: Name of the local authority? }
    - id: kind
      role: collectivity_kind
      type: single_choice
      text: { fr: Type ?, en: Kind? }
      choices:
        - { id: commune, label: { fr: Commune, en: Municipality } }
        - { id: epci, label: { fr: Intercommunalité, en: Inter-municipal body } }
    - id: population
      role: population
      type: integer
      text: { fr: Population ?, en: Population? }
sections:
  - id: tech
    title: { fr: Logiciels libres, en: Free software }
    questions:
      - id: uses_linux
        type: yes_no
        text: { fr: Postes sous GNU/Linux ?, en: Workstations on GNU/Linux? }
      - id: distros
        type: list
        when: { question: uses_linux, equals: true }
        text: { fr: Distributions ?, en: Distributions? }
      - id: strategy
        type: long_text
        text: { fr: Votre stratégie ?, en: Your strategy? }
${extra}`;
}
