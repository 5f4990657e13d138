// The demo's cast: three collectivités and their answers to the badge questionnaire,
// the organiser and the jury. Fictional people and places.
import type { Profile } from './applicant.ts';

export const VILLENEUVE: Profile = {
  key: 'villeneuve',
  personName: 'Camille Martin',
  collectivite: 'Commune de Villeneuve-les-Prés',
  answers: {
    collectivity_name: 'Commune de Villeneuve-les-Prés',
    collectivity_kind: '1',
    lead_name: 'Camille Martin',
    lead_email: 'camille.martin@villeneuve-les-pres.example',
    motivation:
      'Nos postes vieillissent et nos licences coûtent cher. Le conseil municipal veut garder la maîtrise de nos données.',
    free_software_used: ['LibreOffice', 'Firefox', 'Thunderbird'],
    uses_linux_workstations: 'oui',
    linux_share: '15',
    open_data_policy: 'oui',
    open_data_url: 'https://data.villeneuve-les-pres.example',
    next_step: "Passer l'accueil de la mairie sous GNU/Linux d'ici juin.",
  },
};

export const VAL_DE_SEVRE: Profile = {
  key: 'val-de-sevre',
  personName: 'Karim Benali',
  collectivite: 'Communauté de communes du Val de Sèvre',
  answers: {
    collectivity_name: 'Communauté de communes du Val de Sèvre',
    collectivity_kind: '2',
    lead_name: 'Karim Benali',
    lead_email: 'k.benali@valdesevre.example',
    motivation: 'Mutualiser les outils entre nos douze communes.',
    free_software_used: ['LibreOffice', 'QGIS', 'Nextcloud'],
    uses_linux_workstations: 'non',
    open_data_policy: 'oui',
    open_data_url: 'https://opendata.valdesevre.example',
    next_step: 'Un serveur Nextcloud commun aux douze mairies en septembre.',
  },
};

/** Karim's edit of his first motivation answer, once the dossier is submitted. */
export const VAL_DE_SEVRE_EDIT =
  'Mutualiser les outils entre nos douze communes et former les secrétaires de mairie au libre.';

export const PORT_LOUIS: Profile = {
  key: 'port-louis',
  personName: 'Léa Dubois',
  collectivite: 'Commune de Port-Louis-sur-Mer',
  answers: {
    collectivity_name: 'Commune de Port-Louis-sur-Mer',
    collectivity_kind: '1',
    lead_name: 'Léa Dubois',
    lead_email: 'lea.dubois@portlouis.example',
    motivation: 'Un premier pas : nos écoles utilisent déjà des logiciels libres.',
    free_software_used: ['VLC', 'Firefox'],
    uses_linux_workstations: 'non',
    open_data_policy: 'non',
    next_step: 'Installer LibreOffice dans les services administratifs.',
  },
};

export const STAFF = {
  organiser: 'Olga Leroy (organisatrice)',
  president: 'Anne Morel (jury, présidente)',
  juror2: 'Bruno Petit (jury)',
  juror3: 'Chloé Garnier (jury)',
  bot: 'Territoire Numérique Libre (bot)',
};
