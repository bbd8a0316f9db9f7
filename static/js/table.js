// The gateway table: holds every loaded GatewayRow, filters them client-side and
// builds DOM only for the visible page. A 10,000-gateway org is 10,000 plain
// objects (cheap) but only PAGE_SIZE rows of DOM (what keeps the page smooth).
import { el, $, $$, clear } from './dom.js';
import {
  valueNode, naNode, clippedNode, isUnknown, formatDuration, formatBytes, formatSpeedMbps, formatInt, yesNo,
} from './format.js';
import { gatewayAggregates, formatAvailability, PORT_SORT_KEYS } from './problems.js';
import { normalise, searchKey, matchesKey } from './search.js';

export const PAGE_SIZE = 100;
const GATEWAY_COLUMNS = 11;
const WRAPPING_HEADERS = new Set(['Peers up/total', 'Flaps 24h', 'Flaps 7d', 'Avail. 7d']);

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

export class GatewayTable {
  /**
   * @param {object} hooks  loadPorts(gateway) -> Promise<PortRow[]>,
   *                        openTraffic(gateway, port, direction, opener), openPeers(gateway, port, opener)
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.body = $('#gw-body');
    this.rows = [];             // all gateways, each with a precomputed search key (search.js)
    this.byId = new Map();
    this.filtered = [];
    this.page = 0;
    this.query = '';
    this.siteId = '';
    this.sort = { key: null, dir: 1 };
    this.status = { key: 'all', test: null };  // status / problem filter (viewstate.js, problems.js)
    this.expanded = new Set();  // gateway ids whose ports are shown; survives refresh and paging
    this.ports = new Map();     // gateway id -> {state: 'loading'|'ok'|'error', rows, error}

    this.body.addEventListener('click', (event) => this.onClick(event));
    $$('#gw-table thead button.sort').forEach((button) => {
      button.addEventListener('click', () => this.sortBy(button.dataset.sort));
    });
    $('#pager').addEventListener('click', (event) => {
      const button = event.target.closest('button[data-page]');
      if (button) this.goTo(button.dataset.page);
    });
  }

  /** Replace the data (first load or refresh), keeping filters, sort, page and expanded rows. */
  setRows(gateways) {
    this.rows = gateways.map((g) => ({
      ...g,
      // ports may be a count or (in some backends) the list itself; the table only needs the count.
      port_count: Array.isArray(g.ports) ? g.ports.length : g.ports,
      ...gatewayAggregates(g),    // flaps_24h, flaps_7d, availability_7d: sortable per gateway
      searchKey: searchKey(g),
    }));
    this.byId = new Map(this.rows.map((g) => [g.id, g]));
    for (const id of this.expanded) if (!this.byId.has(id)) this.expanded.delete(id);
    // Port rows of expanded gateways stay on screen but are marked stale, so the next
    // render re-fetches them in the background instead of flashing "Loading…".
    for (const [id, entry] of this.ports) {
      if (this.expanded.has(id) && entry.state === 'ok') entry.stale = true;
      else this.ports.delete(id);
    }
    this.applyFilter(false);
  }

  setFilter({ query = this.query, siteId = this.siteId } = {}) {
    const changed = query !== this.query || siteId !== this.siteId;
    this.query = query;
    this.siteId = siteId;
    if (changed) this.applyFilter(true);
  }

  /** Status filter: `key` names it (URL, select), `test(gateway)` decides; same key + force re-applies. */
  setStatus(key, test, { force = false } = {}) {
    const changed = key !== this.status.key;
    this.status = { key, test };
    if (changed || force) this.applyFilter(changed);
  }

  applyFilter(resetPage) {
    const started = performance.now();
    // this.query was already checked by search.parseQuery (main.js); the rule is the server's.
    const q = this.query ? normalise(this.query) : '';
    const site = this.siteId;
    let out = this.rows;
    const test = this.status.test;
    if (site || q || test) {
      out = out.filter((g) => (!site || g.site_id === site) && (!q || matchesKey(g.searchKey, q)) && (!test || test(g)));
    }
    if (this.sort.key) out = this.sorted(out);
    this.filtered = out;
    if (resetPage) this.page = 0;
    this.page = Math.min(this.page, Math.max(0, this.pageCount() - 1));
    this.render();
    // Visible in the browser's performance timeline (and read by the scale check): filter + DOM of one page.
    performance.measure('mcs:filter-render', { start: started, end: performance.now() });
  }

  sorted(list) {
    const { key, dir } = this.sort;
    // Unknown values sort last in both directions so they never hide the real extremes.
    return [...list].sort((a, b) => {
      const va = a[key];
      const vb = b[key];
      if (isUnknown(va) || va === '') return isUnknown(vb) || vb === '' ? 0 : 1;
      if (isUnknown(vb) || vb === '') return -1;
      if (typeof va === 'number' && typeof vb === 'number') return (va - vb) * dir;
      return collator.compare(String(va), String(vb)) * dir;
    });
  }

  sortBy(key) {
    this.setSort(key, this.sort.key === key ? -this.sort.dir : 1);
    if (this.hooks.onViewChange) this.hooks.onViewChange('sort');
  }

  /** Sort by `key` (null: server order) in direction `dir` (1 ascending, -1 descending). */
  setSort(key, dir = 1) {
    this.sort = { key: key || null, dir: dir < 0 ? -1 : 1 };
    $$('#gw-table thead th').forEach((th) => {
      const button = th.querySelector('button.sort');
      if (!button) return;
      const active = button.dataset.sort === this.sort.key;
      th.setAttribute('aria-sort', active ? (this.sort.dir === 1 ? 'ascending' : 'descending') : 'none');
    });
    this.applyFilter(false);
  }

  pageCount() {
    return Math.max(1, Math.ceil(this.filtered.length / PAGE_SIZE));
  }

  goTo(where) {
    const last = this.pageCount() - 1;
    const target = { first: 0, prev: this.page - 1, next: this.page + 1, last }[where];
    const page = Math.min(Math.max(0, target), last);
    if (page !== this.page) {
      this.page = page;
      this.render();
      // The pager sits below the table: bring the first row of the new page into view.
      const wrap = $('#table-wrap');
      if (wrap.getBoundingClientRect().top < 0) wrap.scrollIntoView({ block: 'start' });
    }
  }

  /**
   * Where the keyboard focus is, as something that survives rebuilding the rows: the focused
   * control's data attributes (gateway, action, port index, direction), plus the scroll positions
   * of the page and of each expanded gateway's port table. Auto-refresh rebuilds the rows; without
   * this a keyboard or screen-reader user would be thrown back to the top every minute.
   */
  saveView() {
    const active = document.activeElement;
    const focus = active && this.body.contains(active) && active.dataset
      ? { ...active.dataset, tag: active.tagName } : null;
    const scrolls = new Map();
    this.body.querySelectorAll('tr.ports-row').forEach((tr) => {
      const box = tr.querySelector('.ports-scroll');
      if (box) scrolls.set(tr.dataset.portsOf, box.scrollLeft);
    });
    return { focus, scrolls, x: window.scrollX, y: window.scrollY };
  }

  restoreView(view) {
    this.body.querySelectorAll('tr.ports-row').forEach((tr) => {
      const box = tr.querySelector('.ports-scroll');
      if (box && view.scrolls.has(tr.dataset.portsOf)) box.scrollLeft = view.scrolls.get(tr.dataset.portsOf);
    });
    if (view.focus && !this.body.contains(document.activeElement)) {
      const { tag, ...data } = view.focus;
      const match = Array.from(this.body.querySelectorAll(tag)).find((node) => (
        Object.keys(data).length && Object.entries(data).every(([key, value]) => node.dataset[key] === value)));
      if (match) match.focus({ preventScroll: true });
    }
    if (window.scrollX !== view.x || window.scrollY !== view.y) window.scrollTo(view.x, view.y);
  }

  render() {
    const view = this.saveView();
    const start = this.page * PAGE_SIZE;
    const visible = this.filtered.slice(start, start + PAGE_SIZE);
    const fragment = document.createDocumentFragment();
    for (const gateway of visible) {
      fragment.append(this.gatewayRow(gateway));
      if (this.expanded.has(gateway.id)) fragment.append(this.portsRow(gateway));
    }
    clear(this.body);
    this.body.append(fragment);
    this.restoreView(view);
    // What the rows on screen were filtered by (lets tests and tools wait for a debounced search).
    this.body.dataset.query = this.query ? normalise(this.query) : '';
    this.body.dataset.siteId = this.siteId;
    this.body.dataset.status = this.status.key;
    this.body.dataset.sort = this.sort.key ? `${this.sort.dir < 0 ? '-' : ''}${this.sort.key}` : '';

    const total = this.rows.length;
    const shown = this.filtered.length;
    const range = shown ? `${formatInt(start + 1)}–${formatInt(start + visible.length)} of ${formatInt(shown)}` : '0';
    $('#table-count').textContent = shown === total
      ? `Showing ${range} gateways`
      : `Showing ${range} gateways (filtered from ${formatInt(total)})`;
    $('#page-info').textContent = `Page ${formatInt(this.page + 1)} of ${formatInt(this.pageCount())}`;
    const pager = $('#pager');
    pager.querySelector('[data-page="first"]').disabled = this.page === 0;
    pager.querySelector('[data-page="prev"]').disabled = this.page === 0;
    pager.querySelector('[data-page="next"]').disabled = this.page >= this.pageCount() - 1;
    pager.querySelector('[data-page="last"]').disabled = this.page >= this.pageCount() - 1;

    const empty = $('#empty');
    empty.hidden = shown !== 0;
    if (!shown) empty.textContent = total ? 'No gateway matches the search, site or status filter.' : 'This organisation has no gateways.';
  }

  gatewayRow(g) {
    const expanded = this.expanded.has(g.id);
    const missing = Array.isArray(g.missing) ? g.missing : [];
    const nameCell = el('td', { class: 'gw-name' }, clippedNode(g.name));
    if (g.name) nameCell.firstChild.classList.add('gw-name-text');
    if (missing.length) {
      nameCell.append(' ', el('span', {
        class: 'badge badge-warn',
        title: `Could not be fetched from Mist: ${missing.join(', ')}`,
        text: 'partial',
      }));
    }
    const status = String(g.status ?? '');
    const statusCell = el('td', {},
      status
        ? el('bdi', { class: `pill ${status === 'connected' ? 'pill-ok' : 'pill-bad'}`, text: status })
        : naNode());
    return el('tr', { class: `gw-row${expanded ? ' is-expanded' : ''}`, dataset: { gatewayId: g.id } },
      el('td', { class: 'col-expand' },
        el('button', {
          type: 'button',
          class: 'expand-btn',
          'aria-expanded': expanded ? 'true' : 'false',
          'aria-label': `Show WAN ports of ${g.name ?? 'gateway'}`,
          dataset: { action: 'expand', gatewayId: g.id },
        }, el('span', { class: 'chevron', 'aria-hidden': 'true', text: '▸' }))),
      el('td', { class: 'gw-site' }, clippedNode(g.site_name)),
      nameCell,
      el('td', {}, clippedNode(g.model)),
      statusCell,
      el('td', { class: 'mono' }, clippedNode(g.ext_ip)),
      el('td', { class: 'num' }, valueNode(g.port_count)),
      el('td', { class: 'num' }, valueNode(g.uptime, formatDuration)),
      el('td', { class: 'num' }, valueNode(g.flaps_24h)),
      el('td', { class: 'num' }, valueNode(g.flaps_7d)),
      el('td', { class: 'num' }, valueNode(g.availability_7d, formatAvailability)),
    );
  }

  portsRow(g) {
    const cell = el('td', { colspan: GATEWAY_COLUMNS, class: 'ports-cell' });
    const entry = this.ports.get(g.id);
    if (entry && entry.stale && !entry.refetching) {
      entry.refetching = true;
      this.fetchPorts(g);
    }
    if (!entry) {
      this.fetchPorts(g);
      cell.append(el('div', { class: 'muted small ports-loading', text: 'Loading WAN ports…' }));
    } else if (entry.state === 'loading') {
      cell.append(el('div', { class: 'muted small ports-loading', text: 'Loading WAN ports…' }));
    } else if (entry.state === 'error') {
      cell.append(el('div', { class: 'ports-error', text: `WAN ports not available: ${entry.error}` }));
    } else {
      cell.append(this.portsTable(g, entry.rows));
    }
    return el('tr', { class: 'ports-row', dataset: { portsOf: g.id } }, cell);
  }

  async fetchPorts(g) {
    if (!this.ports.has(g.id)) this.ports.set(g.id, { state: 'loading' });
    let next;
    try {
      next = { state: 'ok', rows: await this.hooks.loadPorts(g) };
    } catch (err) {
      next = { state: 'error', error: err.message };
    }
    // Collapsed meanwhile: forget the answer rather than caching it.
    if (!this.expanded.has(g.id)) {
      this.ports.delete(g.id);
      return;
    }
    this.ports.set(g.id, next);
    this.rerenderPorts(g.id);
  }

  /** Swap just one gateway's port row instead of redrawing the page. */
  rerenderPorts(gatewayId) {
    const g = this.byId.get(gatewayId);
    const current = this.body.querySelector(`tr.ports-row[data-ports-of="${CSS.escape(gatewayId)}"]`);
    if (!g || !current) return;
    const view = this.saveView();
    current.replaceWith(this.portsRow(g));
    this.restoreView(view);
  }

  portsTable(g, ports) {
    if (!ports.length) return el('div', { class: 'muted small', text: 'No WAN ports on this gateway.' });
    const headers = ['Port', 'WAN name', 'Description', 'Enabled', 'Up', 'Gateway', 'IP', 'Netmask', 'VLAN',
      'Type', 'Override', 'Peers up/total', 'RX', 'TX', 'Speed', 'Flaps 24h', 'Flaps 7d', 'Avail. 7d'];
    const numeric = new Set(['VLAN', 'Peers up/total', 'RX', 'TX', 'Speed', 'Flaps 24h', 'Flaps 7d', 'Avail. 7d']);
    const titles = {
      'Flaps 24h': 'Up/down changes in the last 24 hours',
      'Flaps 7d': 'Up/down changes in the last 7 days',
      'Avail. 7d': 'Availability over the last 7 days: time up ÷ time observed',
    };
    const tbody = el('tbody');
    // Port rows follow the gateway sort when it is one of theirs (worst flapping port first);
    // the index stays the one in `ports`, which the traffic and peer buttons refer to.
    const order = ports.map((p, index) => ({ p, index }));
    const { key, dir } = this.sort;
    if (PORT_SORT_KEYS.has(key)) {
      order.sort((a, b) => {
        const va = a.p[key];
        const vb = b.p[key];
        if (isUnknown(va)) return isUnknown(vb) ? 0 : 1;
        if (isUnknown(vb)) return -1;
        return (va - vb) * dir;
      });
    }
    order.forEach(({ p, index }) => tbody.append(this.portRow(g, p, index)));
    const table = el('table', { class: 'grid ports-table', 'aria-label': `WAN ports of ${g.name ?? 'gateway'}` },
      el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {
        scope: 'col',
        // The history headers may wrap ("Flaps / 24h") so 18 columns stay within one column of the view.
        class: [numeric.has(h) ? 'num' : '', WRAPPING_HEADERS.has(h) ? 'col-wrap' : ''].join(' ').trim() || null,
        title: titles[h] || null,
        text: h,
      })))),
      tbody);
    // The wrapper scrolls sideways on its own so 15 port columns never widen the gateway table.
    return el('div', { class: 'ports-scroll' }, table);
  }

  portRow(g, p, index) {
    const ds = { gatewayId: g.id, portIndex: String(index) };
    // Only fields the server marked as unfilled template variables look like one.
    const unresolved = new Set(Array.isArray(p.template_vars_unresolved) ? p.template_vars_unresolved : []);
    const text = (field) => clippedNode(p[field], { template: unresolved.has(field), pending: Boolean(g.vars_pending) });
    const upCell = isUnknown(p.up) ? naNode()
      : el('span', { class: `pill ${p.up ? 'pill-ok' : 'pill-bad'}`, text: p.up ? 'up' : 'down' });

    let peers;
    if (isUnknown(p.peers_total) || isUnknown(p.peers_up)) {
      peers = naNode();
    } else {
      const someDown = p.peers_up < p.peers_total;
      peers = el('button', {
        type: 'button',
        class: `link-btn${someDown ? ' is-bad' : ''}`,
        // The accessible name starts with the visible text (WCAG 2.5.3: speech users say what they see).
        'aria-label': `${p.peers_up}/${p.peers_total} peer paths up on ${p.name}`,
        dataset: { ...ds, action: 'peers' },
        text: `${p.peers_up}/${p.peers_total}`,
      });
    }

    // RX/TX open the traffic chart even when the counter is unknown: the
    // time series comes from a different Mist API and may still exist.
    const trafficButton = (direction, bytes) => {
      const shown = isUnknown(bytes) ? '—' : formatBytes(bytes);
      return el('button', {
        type: 'button',
        class: 'link-btn traffic-btn',
        // Visible text first in the accessible name (WCAG 2.5.3), then what the button does.
        'aria-label': `${isUnknown(bytes) ? 'not available' : shown}, ${direction.toUpperCase()} traffic chart of ${p.name}`,
        title: isUnknown(bytes) ? 'not available — click for the traffic chart' : 'Click for the traffic chart',
        dataset: { ...ds, action: 'traffic', direction },
      }, shown);
    };

    return el('tr', { class: 'port-row' },
      el('td', { class: 'mono port-name' }, clippedNode(p.name)),
      el('td', {}, text('wan_name')),
      el('td', { class: 'desc' }, text('description')),
      el('td', {}, valueNode(p.enabled, yesNo)),
      el('td', {}, upCell),
      el('td', { class: 'mono' }, text('gateway')),
      el('td', { class: 'mono' }, text('ip')),
      el('td', { class: 'mono' }, text('netmask')),
      el('td', { class: 'num' }, typeof p.vlan_id === 'string' ? text('vlan_id') : valueNode(p.vlan_id)),
      el('td', {}, clippedNode(p.type)),
      el('td', {}, valueNode(p.override, yesNo)),
      el('td', { class: 'num peers-cell' }, peers),
      el('td', { class: 'num' }, trafficButton('rx', p.rx_bytes)),
      el('td', { class: 'num' }, trafficButton('tx', p.tx_bytes)),
      el('td', { class: 'num' }, valueNode(p.speed, formatSpeedMbps)),
      el('td', { class: 'num flaps-24h' }, valueNode(p.flaps_24h)),
      el('td', { class: 'num flaps-7d' }, valueNode(p.flaps_7d)),
      el('td', { class: 'num availability-7d' }, valueNode(p.availability_7d, formatAvailability)),
    );
  }

  onClick(event) {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const row = button.closest('[data-gateway-id]');
    const gatewayId = button.dataset.gatewayId || (row && row.dataset.gatewayId);
    const g = this.byId.get(gatewayId);
    if (!g) return;
    const action = button.dataset.action;
    if (action === 'expand') {
      this.toggle(g, button);
      return;
    }
    const entry = this.ports.get(g.id);
    const port = entry && entry.rows ? entry.rows[Number(button.dataset.portIndex)] : null;
    if (!port) return;
    if (action === 'traffic') this.hooks.openTraffic(g, port, button.dataset.direction, button);
    if (action === 'peers') this.hooks.openPeers(g, port, button);
  }

  toggle(g, button) {
    const tr = button.closest('tr');
    if (this.expanded.has(g.id)) {
      this.expanded.delete(g.id);
      this.ports.delete(g.id);
      const next = tr.nextElementSibling;
      if (next && next.classList.contains('ports-row')) next.remove();
    } else {
      this.expanded.add(g.id);
      tr.after(this.portsRow(g));
    }
    const open = this.expanded.has(g.id);
    tr.classList.toggle('is-expanded', open);
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (this.hooks.onViewChange) this.hooks.onViewChange('expand');
  }

  /** Expanded gateways from a saved view (URL): exactly these, then redraw. */
  setExpanded(ids) {
    const wanted = new Set(ids);
    for (const id of this.expanded) if (!wanted.has(id)) { this.expanded.delete(id); this.ports.delete(id); }
    for (const id of wanted) this.expanded.add(id);
    this.render();
  }

  /** Show the page holding gateway `id` (in the current filter); false when it is filtered out. */
  reveal(id) {
    const index = this.filtered.findIndex((g) => g.id === id);
    if (index < 0) return false;
    const page = Math.floor(index / PAGE_SIZE);
    if (page !== this.page) {
      this.page = page;
      this.render();
    }
    return true;
  }
}
