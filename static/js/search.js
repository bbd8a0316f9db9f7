// The gateway search, the browser's copy of circuitstats/search.py: same fields, same
// normalisation, same maximum length. The page filters in the browser while the URL and the CSV
// export filter on the server; if the two rules differed, the exported file would hold other
// gateways than the screen. tests/browser/test_hostile_text.py runs both on the same hostile
// strings and requires identical answers.

export const FIELDS = ['name', 'site_name', 'ext_ip', 'mac'];
export const MAX_LENGTH = 200;
export const TOO_LONG_MESSAGE = `the search is limited to ${MAX_LENGTH} characters`;

// Spelled out (not \s) because Python's and JavaScript's \s differ; search.py uses this class.
const SPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE = new RegExp(`[${SPACE}]+`, 'gu');
const OUTER_WHITESPACE = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, 'gu');
const MAC_SEPARATORS = new RegExp(`[${SPACE}:.\\-]`, 'gu');
const FORMAT_CHARACTERS = /\p{Cf}/gu;  // bidi overrides and isolates, zero-width spaces

/** Search form of a text: NFKC, invisible format characters removed, lower case, one space. */
export function normalise(text) {
  const visible = String(text).normalize('NFKC').replace(FORMAT_CHARACTERS, '');
  const lowered = visible.toLowerCase().replace(/\u03c2/gu, '\u03c3');  // final sigma is contextual: fold it
  return lowered.replace(WHITESPACE, ' ').replace(/^ +| +$/gu, '');
}

/** Characters as a user counts them (code points, as Python's len), not UTF-16 units. */
const length = (text) => Array.from(text).length;

/**
 * The query as typed: {query: string|null, error: string|null}. query is null when there is
 * nothing to search for; error says why a query is refused (too long).
 */
export function parseQuery(raw) {
  const text = String(raw ?? '').replace(OUTER_WHITESPACE, '');
  if (length(text) > MAX_LENGTH) return { query: null, error: TOO_LONG_MESSAGE };
  return { query: normalise(text) ? text : null, error: null };
}

const compactMac = (text) => text.replace(MAC_SEPARATORS, '');

/** Precomputed search form of a row's fields (the table keeps it per row). */
export function searchKey(row) {
  const values = FIELDS.map((field) => (typeof row[field] === 'string' ? normalise(row[field]) : null));
  const mac = typeof row.mac === 'string' ? compactMac(normalise(row.mac)) : null;
  return { values, mac };
}

/** Whether a normalised, non-empty needle matches a row's searchKey. */
export function matchesKey(key, needle) {
  if (key.values.some((value) => value !== null && value.includes(needle))) return true;
  const compact = compactMac(needle);
  return Boolean(compact) && key.mac !== null && key.mac.includes(compact);
}
