// Reading catalog text (YAML or JSON) safely: nesting bounded before the parser, errors with line and column,
// aliases bounded.

import { LineCounter, parseDocument } from 'yaml';
import { CatalogError } from './catalogSchema.ts';

/** Nesting a catalog may use: far beyond real catalogs, far below what exhausts the YAML parser's stack. */
const MAX_FLOW_DEPTH = 64;
const MAX_INDENT = 200;
const MAX_LINE_INDICATORS = 64;

/**
 * Where a source nests deeper than the limits, checked before the YAML parser sees it: a parser that runs out
 * of stack reports it as an error, but V8 can then abort the process on the next parse.
 */
function nestingIssue(text: string): string | undefined {
  let flow = 0;
  let line = 1;
  let indent = 0;
  let atLineStart = true;
  let indicators = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') {
      line++;
      indent = 0;
      indicators = 0;
      atLineStart = true;
      quote = undefined;
      continue;
    }
    if (atLineStart && ch === ' ') {
      if (++indent > MAX_INDENT) return `line ${line}: indented more than ${MAX_INDENT} columns`;
      continue;
    }
    atLineStart = false;
    if (quote) {
      if (ch === quote && text[i - 1] !== '\\') quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '{') {
      if (++flow > MAX_FLOW_DEPTH)
        return `line ${line}: brackets nested deeper than ${MAX_FLOW_DEPTH} levels`;
    } else if (ch === ']' || ch === '}') flow = Math.max(0, flow - 1);
    else if ((ch === '-' || ch === '?' || ch === ':') && (text[i + 1] === ' ' || text[i + 1] === '\n')) {
      if (++indicators > MAX_LINE_INDICATORS)
        return `line ${line}: more than ${MAX_LINE_INDICATORS} nested entries on one line`;
    }
  }
  return undefined;
}

/** Parses catalog text; YAML is a superset of JSON, so one parser reads both. Errors give line and column. */
export function parseCatalogSource(text: string): unknown {
  const tooDeep = nestingIssue(text);
  if (tooDeep) throw new CatalogError([{ path: '', message: `nested too deeply: ${tooDeep}` }]);
  const lineCounter = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  } catch (error) {
    // e.g. nesting deep enough to exhaust the parser's stack
    throw new CatalogError([
      { path: '', message: `not readable as YAML or JSON: ${(error as Error).message}` },
    ]);
  }
  if (doc.errors.length > 0) {
    throw new CatalogError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          path: '',
          message: pos ? `line ${pos.line}, column ${pos.col}: ${e.message.split('\n')[0]}` : e.message,
        };
      }),
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // An alias to no anchor, or aliases that would expand beyond the limit (a "billion laughs" document).
    throw new CatalogError([{ path: '', message: (error as Error).message }]);
  }
}
