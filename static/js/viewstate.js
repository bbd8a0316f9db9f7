// The view in the URL (issue #15): search, site, status filter, sort, expanded gateways and the
// open traffic chart with its window. Every change a user makes writes the address bar
// (pushState; typing in the search box replaces its own entry instead of adding one per key), so
// a copied link reproduces the view and the back button steps back through it (popstate).
//
//   ?q=paris&site=<site id>&filter=kind:flapping&sort=-flaps_24h&gw=<gateway id>
//    &chart=<gateway id>&port=ge-0/0/1&dir=rx&win=7d
import { $, $$, debounce } from './dom.js';
import { parseQuery } from './search.js';
import { isStatusKey } from './problems.js';
import { DURATIONS } from './traffic.js';

const SEARCH_URL_DEBOUNCE_MS = 400;
const DIRECTIONS = new Set(['rx', 'tx']);
const SORT_KEY = /^[a-z_0-9]{1,40}$/;

/** The view a URL query string describes (anything unusable is ignored: a link is user input). */
export function readUrl(search) {
  const params = new URLSearchParams(search);
  const filter = params.get('filter') || 'all';
  const sortParam = params.get('sort') || '';
  const sortKey = sortParam.replace(/^-/, '');
  const chartGateway = params.get('chart');
  const port = params.get('port');
  const win = params.get('win');
  return {
    q: params.get('q') || '',
    site: params.get('site') || '',
    filter: isStatusKey(filter) ? filter : 'all',
    sort: SORT_KEY.test(sortKey) ? { key: sortKey, dir: sortParam.startsWith('-') ? -1 : 1 } : { key: null, dir: 1 },
    gw: params.getAll('gw').filter(Boolean),
    chart: chartGateway && port ? {
      gw: chartGateway,
      port,
      dir: DIRECTIONS.has(params.get('dir')) ? params.get('dir') : 'rx',
      win: DURATIONS.includes(win) ? win : '24h',
    } : null,
  };
}

/** The query string of a view ('' for the default view); defaults are left out to keep links short. */
export function writeUrl(view) {
  const params = new URLSearchParams();
  if (view.q) params.set('q', view.q);
  if (view.site) params.set('site', view.site);
  if (view.filter && view.filter !== 'all') params.set('filter', view.filter);
  if (view.sort && view.sort.key) params.set('sort', `${view.sort.dir < 0 ? '-' : ''}${view.sort.key}`);
  for (const id of view.gw || []) params.append('gw', id);
  if (view.chart) {
    params.set('chart', view.chart.gw);
    params.set('port', view.chart.port);
    params.set('dir', view.chart.dir);
    params.set('win', view.chart.win);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export class ViewState {
  /**
   * @param {object} parts  table (GatewayTable), traffic (TrafficModal), problems (ProblemsView),
   *                        onSearchOrSite(): the toolbar's own follow-up (export link) after a restore.
   */
  constructor({ table, traffic, problems, onSearchOrSite }) {
    this.table = table;
    this.traffic = traffic;
    this.problems = problems;
    this.onSearchOrSite = onSearchOrSite;
    this.filter = 'all';
    this.restoring = false;
    this.started = false;
    this.lastReason = null;

    table.hooks.onViewChange = (reason) => this.changed(reason);
    traffic.onViewChange = () => this.changed('chart');
    problems.hooks.onKind = (kind) => this.setFilter(kind ? `kind:${kind}` : 'all');
    problems.hooks.onItem = (problem) => this.showProblem(problem);

    $('#status-filter').addEventListener('change', (event) => this.setFilter(event.target.value));
    $$('.card-btn[data-filter]').forEach((button) => {
      button.addEventListener('click', () => {
        const key = button.dataset.filter;
        this.setFilter(key === this.filter ? 'all' : key);
      });
    });
    $('#site-filter').addEventListener('change', () => this.changed('site'));
    const searchTyped = debounce(() => this.changed('search'), SEARCH_URL_DEBOUNCE_MS);
    $('#search').addEventListener('input', searchTyped);
    window.addEventListener('popstate', () => this.apply(readUrl(window.location.search)));
  }

  /** After the first load: take the view from the address bar. */
  start() {
    this.started = true;
    this.apply(readUrl(window.location.search));
  }

  /** The view on screen now. */
  capture() {
    const { query, error } = parseQuery($('#search').value);
    const traffic = this.traffic;
    const context = traffic.dialog.open ? traffic.context : null;
    return {
      q: error ? (readUrl(window.location.search).q) : (query ?? ''),
      site: $('#site-filter').value,
      filter: this.filter,
      sort: { ...this.table.sort },
      gw: [...this.table.expanded],
      chart: context ? {
        gw: context.gateway.id,
        port: context.port.name,
        dir: traffic.canvas.dataset.direction || 'rx',
        win: traffic.duration,
      } : null,
    };
  }

  /** Something changed on screen: record it in the address bar (no-op while restoring). */
  changed(reason) {
    if (this.restoring || !this.started) return;
    const url = writeUrl(this.capture());
    if (url === window.location.search) return;
    // Consecutive keystrokes of one search share an entry; any other change adds one.
    const replace = reason === 'search' && this.lastReason === 'search';
    const target = `${window.location.pathname}${url}${window.location.hash}`;
    if (replace) window.history.replaceState(null, '', target);
    else window.history.pushState(null, '', target);
    this.lastReason = reason;
  }

  /** Apply a status filter key (select, summary card, kind card). */
  setFilter(key, { record = true } = {}) {
    const next = isStatusKey(key) ? key : 'all';
    this.filter = next;
    $('#status-filter').value = next;
    $$('.card-btn[data-filter]').forEach((button) => {
      button.setAttribute('aria-pressed', button.dataset.filter === next && next !== 'all' ? 'true' : 'false');
    });
    this.problems.setKind(next.startsWith('kind:') ? next.slice(5) : null);
    this.table.setStatus(next, this.problems.statusTest(next));
    if (record) this.changed('filter');
  }

  /** The problems were reloaded: filters that read them are evaluated again. */
  problemsChanged() {
    if (this.filter !== 'all') this.table.setStatus(this.filter, this.problems.statusTest(this.filter), { force: true });
  }

  /** A problem of the list was chosen: filter the table to its kind, expand and show its gateway. */
  showProblem(problem) {
    this.restoring = true;  // one history entry for the whole step, written below
    try {
      this.setFilter(`kind:${problem.kind}`, { record: false });
      if (!this.table.expanded.has(problem.gateway_id)) {
        this.table.setExpanded([...this.table.expanded, problem.gateway_id]);
      }
    } finally {
      this.restoring = false;
    }
    this.changed('problem');
    this.bringIntoView(problem.gateway_id, true);
  }

  /** Put the page holding a gateway on screen, scroll to its row and (optionally) focus it. */
  bringIntoView(gatewayId, focus) {
    if (!this.table.reveal(gatewayId)) return;
    const row = $(`#gw-body > tr.gw-row[data-gateway-id="${CSS.escape(gatewayId)}"]`);
    if (!row) return;
    $$('#gw-body > tr.gw-row.is-target').forEach((tr) => tr.classList.remove('is-target'));
    row.classList.add('is-target');
    row.scrollIntoView({ block: 'center' });
    if (focus) row.querySelector('button.expand-btn').focus({ preventScroll: true });
  }

  /** Make the screen show `view` (a link opened, the back or forward button). */
  apply(view) {
    this.restoring = true;
    try {
      const search = $('#search');
      if (search.value !== view.q) search.value = view.q;
      const site = $('#site-filter');
      site.value = view.site;
      if (site.value !== view.site) site.value = '';  // a site that no longer exists
      const { query, error } = parseQuery(search.value);
      this.table.setFilter({ query: error ? this.table.query : (query ?? ''), siteId: site.value });
      if (this.onSearchOrSite) this.onSearchOrSite();
      this.setFilter(view.filter, { record: false });
      if (view.sort.key !== this.table.sort.key || view.sort.dir !== this.table.sort.dir) {
        this.table.setSort(view.sort.key, view.sort.dir);
      }
      this.table.setExpanded(view.gw.filter((id) => this.table.byId.has(id)));
      if (view.gw.length) this.bringIntoView(view.gw[0], false);
      this.applyChart(view.chart);
    } finally {
      this.restoring = false;
      this.lastReason = null;
    }
  }

  applyChart(chart) {
    const traffic = this.traffic;
    const open = traffic.dialog.open && traffic.context;
    if (!chart) {
      if (open) traffic.dialog.close();
      return;
    }
    const gateway = this.table.byId.get(chart.gw);
    const ports = gateway && Array.isArray(gateway.ports) ? gateway.ports : [];
    const port = ports.find((p) => p && p.name === chart.port);
    if (!gateway || !port) {
      if (open) traffic.dialog.close();
      return;
    }
    const same = open && traffic.context.gateway.id === gateway.id && traffic.context.port.name === port.name
      && traffic.canvas.dataset.direction === chart.dir;
    if (same) {
      if (traffic.duration !== chart.win) traffic.load(chart.win);
    } else {
      traffic.open(gateway, port, chart.dir, undefined, chart.win);
    }
  }
}
