// What the demo's simulated customers are like, in one visible place. The demo is a fixture and a show case, not
// a benchmark of learning quality (the real data sets in ../shared/bench do that): these numbers are invented,
// chosen so that who-gets-what matters, as it does with real customers.
//
// A customer's hidden probability of accepting an action is
//   sigmoid(BASE_LOGIT + persona affinity (issue, group, action) + effects of profile, events and context).
// Nothing of this reaches the engine: it sees only profiles, events, decisions and the answers.
import type { Attributes } from '../core/types.ts';

export const BASE_LOGIT = -3.2;

export type Channel = 'web' | 'app' | 'call-centre' | 'chat';
export type Intent = 'browse' | 'support' | 'billing' | 'upgrade' | 'cancel';

export interface Persona {
  id: string;
  /** Share of the population. */
  share: number;
  /** How the persona reaches us. */
  channels: Partial<Record<Channel, number>>;
  intents: Partial<Record<Intent, number>>;
  /** Logit added per issue, group (`Issue/Group`) or action id. */
  affinity: Record<string, number>;
  /** Profile ranges the persona draws from. */
  profile: {
    age: [number, number];
    business?: boolean;
    fibre: number;
    mobile: number;
    dataUsageGb: [number, number];
    churnRisk: [number, number];
    usesApp: number;
  };
  /** Router faults per day (customers with fibre), moves per day. */
  faultsPerDay: number;
  movesPerDay: number;
}

export const PERSONAS: Persona[] = [
  {
    id: 'digital-native',
    share: 0.3,
    channels: { app: 0.5, web: 0.3, chat: 0.15, 'call-centre': 0.05 },
    intents: { browse: 0.5, upgrade: 0.3, support: 0.1, billing: 0.1 },
    affinity: {
      Sales: 0.4,
      'Sales/Entertainment': 1.6,
      UnlimitedData: 1.2,
      Smartwatch: 1.0,
      Information: -1.0,
    },
    profile: {
      age: [18, 34],
      fibre: 0.4,
      mobile: 0.95,
      dataUsageGb: [8, 40],
      churnRisk: [0.1, 0.5],
      usesApp: 0.9,
    },
    faultsPerDay: 0.02,
    movesPerDay: 0.004,
  },
  {
    id: 'family',
    share: 0.25,
    channels: { web: 0.45, app: 0.3, 'call-centre': 0.15, chat: 0.1 },
    intents: { browse: 0.4, upgrade: 0.2, support: 0.2, billing: 0.2 },
    affinity: { FamilyPlan: 2.2, TvBundle: 1.6, 'Sales/Fibre': 0.9, 'Service/Network': 0.6, Smartwatch: -1 },
    profile: {
      age: [30, 55],
      fibre: 0.8,
      mobile: 0.9,
      dataUsageGb: [3, 20],
      churnRisk: [0.05, 0.4],
      usesApp: 0.6,
    },
    faultsPerDay: 0.03,
    movesPerDay: 0.003,
  },
  {
    id: 'bargain-hunter',
    share: 0.2,
    channels: { web: 0.5, 'call-centre': 0.3, chat: 0.2 },
    intents: { billing: 0.35, cancel: 0.3, browse: 0.25, support: 0.1 },
    affinity: { Retention: 1.6, PriceLock: 1.0, LoyaltyDiscount: 1.2, Sales: -1.2, 'Service/Billing': 0.8 },
    profile: {
      age: [25, 65],
      fibre: 0.5,
      mobile: 0.85,
      dataUsageGb: [1, 15],
      churnRisk: [0.4, 0.95],
      usesApp: 0.4,
    },
    faultsPerDay: 0.02,
    movesPerDay: 0.002,
  },
  {
    id: 'business',
    share: 0.1,
    channels: { 'call-centre': 0.5, web: 0.4, chat: 0.1 },
    intents: { support: 0.4, upgrade: 0.3, billing: 0.3 },
    affinity: { BusinessBundle: 2.5, 'Sales/Fibre': 0.6, 'Service/Devices': 0.8, 'Sales/Entertainment': -2 },
    profile: {
      age: [30, 65],
      business: true,
      fibre: 0.9,
      mobile: 0.9,
      dataUsageGb: [5, 30],
      churnRisk: [0.1, 0.5],
      usesApp: 0.5,
    },
    faultsPerDay: 0.04,
    movesPerDay: 0.001,
  },
  {
    id: 'senior',
    share: 0.15,
    channels: { 'call-centre': 0.6, web: 0.3, app: 0.1 },
    intents: { support: 0.5, billing: 0.3, browse: 0.2 },
    affinity: { Service: 1.1, 'Information/Security': 1.8, Sales: -1.4, 'Sales/Entertainment': -1.5 },
    profile: {
      age: [62, 85],
      fibre: 0.6,
      mobile: 0.7,
      dataUsageGb: [0, 4],
      churnRisk: [0.05, 0.3],
      usesApp: 0.15,
    },
    faultsPerDay: 0.03,
    movesPerDay: 0.002,
  },
];

/** Context effects: what the customer came for makes matching actions likelier. */
export const INTENT_AFFINITY: Record<Intent, Record<string, number>> = {
  browse: { Sales: 0.4 },
  support: { Service: 1.2, 'Service/Devices': 0.4 },
  billing: { 'Service/Billing': 1.5, Retention: 0.3 },
  upgrade: { Sales: 1.2, 'Retention/Fibre': 0.5 },
  cancel: { Retention: 1.8, Sales: -1.5 },
};

/** The hidden effects of profile and event features on particular actions (logits). */
export function featureEffect(actionId: string, issue: string, c: Attributes, f: Attributes): number {
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  let x = 0;
  if (issue === 'Retention') x += 3 * (n(c.churnRisk) - 0.45);
  switch (actionId) {
    case 'UnlimitedData':
    case 'FreeDataBoost':
      x += 0.07 * (n(c.dataUsageGb) - 10);
      break;
    case 'NewPhone':
    case 'PhoneRecycling':
      x += 0.05 * (n(c.deviceAgeMonths) - 24);
      break;
    case 'RepairAppointment':
      x += 0.9 * n(f.deviceFaults7d) + 0.6 * n(c.openTickets);
      break;
    case 'ComplaintApology':
    case 'OutageInfo':
      x += 0.7 * n(c.openTickets);
      break;
    case 'RelocationService':
      x += f.lastLifeEvent === 'moving' ? 3.5 : 0;
      break;
    case 'PaymentPlan':
      x += 1.5 * n(c.paymentsOverdue);
      break;
    case 'ContractRenewalBonus':
    case 'PriceLock':
      x += n(c.contractEndsInDays) < 60 ? 1.2 : 0;
      break;
  }
  return x;
}

/** How the simulated customers answer: who looks at which slot, and how often a "no" is said out loud. */
export const BEHAVIOUR = {
  /** Chance that the customer considers the action in slot 1, 2, 3. */
  slotAttention: [1, 0.6, 0.35],
  /** Chance that a declined action gets an explicit reject (else silence, which expires into a negative). */
  explicitReject: 0.6,
  /** Chance that a customer answers a survey after a session. */
  surveyAfterSession: 0.03,
  /** Sessions per second at --speed 1. */
  sessionsPerSecond: 40,
};

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
