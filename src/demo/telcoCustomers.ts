// Seeded example customers for the bundled telco catalog, so a fresh `nextbest serve` can decide at once.
import { mulberry32 } from '../core/random.ts';
import type { Attributes } from '../core/types.ts';

const REGIONS = ['north', 'south', 'east', 'west', 'city'];
const MOBILE_PLANS = ['mobile-basic', 'mobile-plus', 'mobile-unlimited'];
const FIBRE_PLANS = ['fibre-100', 'fibre-500', 'fibre-1000'];

export interface ExampleCustomer {
  id: string;
  attributes: Attributes;
}

export function telcoCustomers(count: number, seed = 42): ExampleCustomer[] {
  const rnd = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
  const out: ExampleCustomer[] = [];
  for (let i = 1; i <= count; i++) {
    const business = rnd() < 0.1;
    const hasMobile = rnd() < 0.85;
    const hasFibre = !hasMobile || rnd() < 0.45;
    const products: string[] = [];
    if (hasMobile) products.push('mobile');
    if (hasFibre) products.push('fibre');
    if (hasFibre && rnd() < 0.3) products.push('tv');
    if (rnd() < 0.2) products.push('insurance');
    if (rnd() < 0.25) products.push('streaming');
    const plan = hasMobile && (!hasFibre || rnd() < 0.5) ? pick(MOBILE_PLANS) : pick(FIBRE_PLANS);
    const tenureMonths = Math.floor(rnd() * 120);
    out.push({
      id: `C${String(i).padStart(5, '0')}`,
      attributes: {
        segment: business ? 'business' : 'consumer',
        plan,
        products,
        tenureMonths,
        monthlySpend: round(15 + rnd() * 70 + (hasFibre ? 25 : 0), 2),
        dataUsageGb: round(rnd() ** 2 * 40, 1),
        churnRisk: round(Math.min(0.95, rnd() * 0.6 + (tenureMonths < 12 ? 0.3 : 0)), 2),
        age: 18 + Math.floor(rnd() * 65),
        region: pick(REGIONS),
        hasRouter: hasFibre,
        openTickets: rnd() < 0.15 ? 1 + Math.floor(rnd() * 3) : 0,
        paymentsOverdue: rnd() < 0.08 ? 1 + Math.floor(rnd() * 2) : 0,
        contractEndsInDays: Math.floor(rnd() * 730),
        deviceAgeMonths: Math.floor(rnd() * 60),
        marketingConsent: rnd() < 0.7,
        usesApp: rnd() < 0.55,
      },
    });
  }
  return out;
}
