// The languages a request asks for, from its Accept-Language header as browsers and HTTP clients send it: the
// primary subtags (de-CH → de) by quality, best first. Readable sentences (explanations, reasons) come in the
// first of them nextbest speaks; catalog texts in the first the catalog has a translation for.
import type { FastifyRequest } from 'fastify';

export function requestLanguages(request: FastifyRequest): string[] {
  return acceptedLanguages(request.headers['accept-language']);
}

export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return [];
  const asked = header
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
      return { lang: tag.trim().toLowerCase().split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), i };
    })
    .filter((x) => /^[a-z]{2,3}$/.test(x.lang) && x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return [...new Set(asked.map((a) => a.lang))];
}
