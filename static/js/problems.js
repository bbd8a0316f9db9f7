// The Problems view (issue #15): what is wrong now, since when. Counts per kind as cards (each
// with the threshold that defines it), then the list of problems, most severe first, one page of
// PROBLEMS_PAGE_SIZE rows in the DOM whatever the number of problems (10,000 gateways give
// thousands). Also the status filters of the gateway table, since most of them read the problems.
import { el, $, clear } from './dom.js';
import { getJSON } from './api.js';
import { clippedNode, naNode, isUnknown, formatInt, formatNumber, formatDateTimeZone } from './format.js';

export const PROBLEMS_PAGE_SIZE = 12;

/** Problem kinds in the order of their cards, with what each means (thresholds from the server). */
export const KINDS = [
  { kind: 'gateway_disconnected', label: 'Gateway disconnected', rule: () => 'not connected to the Mist cloud' },
  { kind: 'port_down', label: 'WAN port down', rule: () => 'enabled WAN port down' },
  { kind: 'peer_paths_down', label: 'Peer paths down', rule: () => 'some or all VPN paths of a port down' },
  { kind: 'flapping', label: 'Flapping', rule: (t) => `≥ ${fmt(t.flaps_24h)} up/down changes in 24 h` },
  { kind: 'congested', label: 'Congested', rule: (t) => `rx or tx ≥ ${fmt(t.utilisation_percent)} % of port speed` },
  {
    kind: 'path_degraded',
    label: 'Path degraded',
    rule: (t) => `loss ≥ ${fmt(t.loss_percent)} %, latency ≥ ${fmt(t.latency_ms)} ms or jitter ≥ ${fmt(t.jitter_ms)} ms`,
  },
];
const KIND_LABELS = Object.fromEntries(KINDS.map((k) => [k.kind, k.label]));

function fmt(value) {
  return isUnknown(value) ? '?' : formatNumber(value, 2);
}

// ---- gateway-level values and status filters ----------------------------------------------

/** Port fields the gateway table can sort by (the expanded port rows then follow that order). */
export const PORT_SORT_KEYS = new Set(['flaps_24h', 'flaps_7d', 'availability_7d']);

/**
 * What a gateway row sorts by for the port columns: flaps summed over its WAN ports, the worst
 * (lowest) availability; null when no port knows the value (unknown is never 0).
 */
export function gatewayAggregates(g) {
  const ports = Array.isArray(g.ports) ? g.ports : [];
  const known = (field) => ports.map((p) => p && p[field]).filter((v) => typeof v === 'number' && Number.isFinite(v));
  const flaps24 = known('flaps_24h');
  const flaps7 = known('flaps_7d');
  const availability = known('availability_7d');
  return {
    flaps_24h: flaps24.length ? flaps24.reduce((a, b) => a + b, 0) : null,
    flaps_7d: flaps7.length ? flaps7.reduce((a, b) => a + b, 0) : null,
    availability_7d: availability.length ? Math.min(...availability) : null,
    ports_down: ports.filter((p) => p && p.up === false).length,
    ports_all_up: ports.length > 0 && ports.every((p) => p && p.up === true),
  };
}

export const formatAvailability = (v) => `${formatNumber(v, 2)} %`;

/** The status filters of the table (select, summary cards, URL `filter=`). */
export const STATUS_FILTERS = [
  { key: 'all', label: 'All gateways' },
  { key: 'problems', label: 'Problems only' },
  { key: 'connected', label: 'Connected' },
  { key: 'disconnected', label: 'Disconnected' },
  { key: 'ports_up', label: 'All WAN ports up' },
  { key: 'ports_down', label: 'WAN ports down' },
];

export function isStatusKey(key) {
  if (STATUS_FILTERS.some((f) => f.key === key)) return true;
  return typeof key === 'string' && key.startsWith('kind:') && Boolean(KIND_LABELS[key.slice(5)]);
}

// ---- relative time --------------------------------------------------------------------------

/** "5 min ago", "3 h ago", "2 d ago" from epoch seconds. */
export function formatAgo(epochSeconds, now = Date.now() / 1000) {
  const s = Math.max(0, now - epochSeconds);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h ago`;
}

// When the problem began: `since` from the stats or events; else `first_seen`, the first
// collection that saw it, shown as a lower bound ("≥"): congestion and path trouble carry no start.
function sinceNode(p, now) {
  if (!isUnknown(p.since)) {
    return el('time', {
      datetime: new Date(p.since * 1000).toISOString(),
      title: formatDateTimeZone(p.since),
      text: formatAgo(p.since, now),
    });
  }
  if (isUnknown(p.first_seen)) return naNode();
  const ago = formatAgo(p.first_seen, now);
  return el('time', {
    class: 'seen-since',
    datetime: new Date(p.first_seen * 1000).toISOString(),
    title: `First seen by this dashboard ${formatDateTimeZone(p.first_seen)}; it may have begun earlier`,
    text: ago === 'just now' ? 'seen just now' : `≥ ${ago}`,
  });
}

const SEVERITY_CLASS = { critical: 'pill-bad', major: 'pill-warn', minor: 'pill-minor' };

export class ProblemsView {
  /**
   * @param {object} hooks  onKind(kind|null): a kind card was pressed (null: released);
   *                        onItem(problem, button): a problem of the list was chosen.
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.section = $('#problems');
    this.cards = $('#problem-cards');
    this.body = $('#problems-body');
    this.data = null;          // {problems, counts, total, thresholds}
    this.kind = null;          // kind whose card is pressed (the list shows only that kind)
    this.page = 0;
    this.byKind = new Map();   // kind -> Set of gateway ids
    this.gateways = new Set(); // gateway ids with any problem
    this.cards.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-kind]');
      if (button) this.hooks.onKind(this.kind === button.dataset.kind ? null : button.dataset.kind);
    });
    this.body.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-problem]');
      const item = button && this.visible ? this.visible[Number(button.dataset.problem)] : null;
      if (item) this.hooks.onItem(item, button);
    });
    $('#problems-pager').addEventListener('click', (event) => {
      const button = event.target.closest('button[data-page]');
      if (!button) return;
      const last = this.pageCount() - 1;
      const target = { first: 0, prev: this.page - 1, next: this.page + 1, last }[button.dataset.page];
      this.page = Math.min(Math.max(0, target), last);
      this.render();
    });
  }

  /** Fetch /api/problems and draw; resolves the data (also kept for the status filters). */
  async load() {
    const started = performance.now();
    const { data } = await getJSON('/api/problems');
    const fetched = performance.now();
    this.setData(data || {});
    // Right after a start the table comes first and the problems a few seconds later: look again.
    clearTimeout(this.pendingRetry);
    if (data && data.pending) this.pendingRetry = setTimeout(() => this.load().catch(() => {}), 5000);
    // Read by the 10k browser test and visible in the performance timeline.
    performance.measure('mcs:problems-fetch', { start: started, end: fetched });
    performance.measure('mcs:problems-render', { start: fetched, end: performance.now() });
    return this.data;
  }

  setData(data) {
    const problems = Array.isArray(data.problems) ? data.problems : [];
    this.data = { ...data, problems, counts: data.counts || {}, thresholds: data.thresholds || {} };
    this.byKind = new Map(KINDS.map((k) => [k.kind, new Set()]));
    this.gateways = new Set();
    for (const p of problems) {
      if (!this.byKind.has(p.kind)) this.byKind.set(p.kind, new Set());
      this.byKind.get(p.kind).add(p.gateway_id);
      this.gateways.add(p.gateway_id);
    }
    this.render();
  }

  /** Press one kind card (null: none); the list then shows that kind only. */
  setKind(kind) {
    const next = kind && KIND_LABELS[kind] ? kind : null;
    if (next === this.kind) return;
    this.kind = next;
    this.page = 0;
    if (this.data) this.render();
  }

  /** The test of a status filter key, over the current problems; null for "all". */
  statusTest(key) {
    switch (key) {
      case 'problems': return (g) => this.gateways.has(g.id);
      case 'connected': return (g) => g.status === 'connected';
      case 'disconnected': return (g) => g.status !== 'connected';
      case 'ports_up': return (g) => g.ports_all_up;
      case 'ports_down': return (g) => g.ports_down > 0;
      default:
        if (typeof key === 'string' && key.startsWith('kind:')) {
          const kind = key.slice(5);
          return (g) => Boolean(this.byKind.get(kind) && this.byKind.get(kind).has(g.id));
        }
        return null;
    }
  }

  listed() {
    const all = this.data ? this.data.problems : [];
    return this.kind ? all.filter((p) => p.kind === this.kind) : all;
  }

  pageCount() {
    return Math.max(1, Math.ceil(this.listed().length / PROBLEMS_PAGE_SIZE));
  }

  /** Keyboard focus inside the view, as data attributes that survive a redraw. */
  saveFocus() {
    const active = document.activeElement;
    if (!active || !this.section.contains(active) || !active.dataset) return null;
    return { ...active.dataset };
  }

  restoreFocus(focus) {
    if (!focus || this.section.contains(document.activeElement)) return;
    const keys = Object.keys(focus);
    if (!keys.length) return;
    const match = Array.from(this.section.querySelectorAll('button')).find((node) => (
      keys.every((key) => node.dataset[key] === focus[key])));
    if (match) match.focus({ preventScroll: true });
  }

  render() {
    const focus = this.saveFocus();
    const { counts, thresholds, total } = this.data;
    this.renderCards(counts, thresholds);
    const listed = this.listed();
    this.page = Math.min(this.page, this.pageCount() - 1);
    const start = this.page * PROBLEMS_PAGE_SIZE;
    this.visible = listed.slice(start, start + PROBLEMS_PAGE_SIZE);
    const fragment = document.createDocumentFragment();
    const now = Date.now() / 1000;
    this.visible.forEach((p, index) => fragment.append(this.row(p, index, now)));
    clear(this.body);
    this.body.append(fragment);

    const count = formatInt(listed.length);
    const range = listed.length ? `${formatInt(start + 1)}–${formatInt(start + this.visible.length)} of ${count}` : '0';
    const what = this.kind ? `${KIND_LABELS[this.kind].toLowerCase()} problems` : 'problems';
    $('#problems-count').textContent = `Showing ${range} ${what}`;
    $('#problems-page-info').textContent = `Page ${formatInt(this.page + 1)} of ${formatInt(this.pageCount())}`;
    const pager = $('#problems-pager');
    const last = this.page >= this.pageCount() - 1;
    pager.querySelector('[data-page="first"]').disabled = this.page === 0;
    pager.querySelector('[data-page="prev"]').disabled = this.page === 0;
    pager.querySelector('[data-page="next"]').disabled = last;
    pager.querySelector('[data-page="last"]').disabled = last;
    $('#problems-list').hidden = !listed.length;
    pager.hidden = listed.length <= PROBLEMS_PAGE_SIZE;
    const none = $('#problems-none');
    none.hidden = listed.length > 0;
    none.textContent = this.data.pending
      ? 'Working out problems: the event history is being read…'
      : (this.kind ? `No ${KIND_LABELS[this.kind].toLowerCase()} problem right now.` : 'No problem right now.');
    this.section.dataset.total = String(Number(total) || 0);
    this.section.dataset.kind = this.kind || '';
    this.section.dataset.loaded = 'true';
    this.restoreFocus(focus);
  }

  renderCards(counts, thresholds) {
    const fragment = document.createDocumentFragment();
    for (const { kind, label, rule } of KINDS) {
      const n = Number(counts[kind]) || 0;
      const pressed = this.kind === kind;
      const ruleText = rule(thresholds);
      fragment.append(el('li', { class: `kind-card${n ? ' has-problems' : ''}${pressed ? ' is-pressed' : ''}` },
        el('button', {
          type: 'button',
          class: 'kind-btn',
          'aria-pressed': pressed ? 'true' : 'false',
          // Visible text first (WCAG 2.5.3): count, name, rule.
          dataset: { kind, testid: `kind-${kind}` },
        },
        el('span', { class: 'kind-count', text: formatInt(n) }),
        el('span', { class: 'kind-label', text: label }),
        el('span', { class: 'kind-rule', text: `${kind}: ${ruleText}` }))));
    }
    clear(this.cards);
    this.cards.append(fragment);
  }

  row(p, index, now) {
    const since = sinceNode(p, now);
    const severity = String(p.severity ?? '');
    return el('tr', { class: `problem-row severity-${SEVERITY_CLASS[severity] ? severity : 'unknown'}`, dataset: { gatewayId: p.gateway_id ?? '' } },
      el('td', {}, severity ? el('span', { class: `pill ${SEVERITY_CLASS[severity] || 'pill-minor'}`, text: severity }) : naNode()),
      el('td', { class: 'problem-kind' }, el('span', { text: KIND_LABELS[p.kind] || String(p.kind) })),
      el('td', { class: 'gw-site' }, clippedNode(p.site)),
      el('td', { class: 'gw-name' }, el('button', {
        type: 'button',
        class: 'link-btn problem-btn',
        title: 'Show this gateway in the table',
        dataset: { problem: String(index), gatewayId: p.gateway_id ?? '', kind: p.kind ?? '', port: p.port ?? '' },
      }, clippedNode(p.gateway ?? p.gateway_id))),
      el('td', { class: 'mono' }, clippedNode(p.port)),
      el('td', { class: 'num' }, since),
      el('td', { class: 'desc' }, clippedNode(p.detail)),
    );
  }
}
