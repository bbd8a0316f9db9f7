// Page bootstrap: resolve the org, load sites and gateways, keep them refreshed,
// and wire the toolbar, cards, status line and modals together.
import { $, el, debounce } from './dom.js';
import { getJSON, apiUrl } from './api.js';
import { formatClock, formatDateTimeZone, formatInt, isolate } from './format.js';
import { parseQuery } from './search.js';
import { GatewayTable } from './table.js';
import { TrafficModal } from './traffic.js';
import { PeersModal } from './peers.js';
import { resolveOrganization, enableOrgSwitch } from './org.js';
import { toast } from './toast.js';
import { ProblemsView } from './problems.js';
import { ViewState } from './viewstate.js';

const body = document.body;
const REFRESH_SECONDS = Math.max(5, Number(body.dataset.refreshSeconds) || 60);
const STALE_RETRY_SECONDS = 5;   // the server refreshes stale data in the background; look again soon
const SEARCH_DEBOUNCE_MS = 150;

const state = {
  loadedOnce: false,
  loading: false,
  timer: null,
  asOf: null,
  failing: false,   // the last load failed: the next failure is not news, the next success is
};

/**
 * Say something to screen readers once. One polite live region for load outcomes: the first
 * load, a failure, a recovery. An automatic refresh that merely succeeds again says nothing, so a
 * screen-reader user is not interrupted every minute.
 */
function announce(message) {
  const region = $('#announcer');
  region.textContent = '';
  // A fresh text node after the clear makes screen readers speak it even when the text repeats.
  setTimeout(() => { region.textContent = message; }, 50);
}

let table;
let problemsView;
let viewState;

function setCards(summary) {
  const set = (id, value) => { $(id).textContent = value === null || value === undefined ? '—' : formatInt(value); };
  set('#card-gateways', summary.gateways);
  set('#card-connected', summary.connected);
  set('#card-wan-ports', summary.wan_ports);
  set('#card-active-ports', summary.wan_ports_up);
  const less = (whole, part) => (Number.isFinite(whole) && Number.isFinite(part) ? whole - part : null);
  set('#card-disconnected', less(summary.gateways, summary.connected));
  set('#card-ports-down', less(summary.wan_ports, summary.wan_ports_up));
  const pct = (part, whole) => (whole ? `${Math.round((part / whole) * 100)} % of ${formatInt(whole)}` : '');
  $('#card-connected-sub').textContent = pct(summary.connected, summary.gateways);
  $('#card-active-sub').textContent = pct(summary.wan_ports_up, summary.wan_ports);
}

/** "data as of 2026-11-23 10:15:00 UTC+01:00", with a machine-readable <time>. */
function setFreshness(asOf, stale) {
  state.asOf = asOf;
  const node = $('#as-of');
  if (asOf) {
    node.replaceChildren('data as of ', el('time', {
      datetime: new Date(asOf * 1000).toISOString(), text: formatDateTimeZone(asOf),
    }));
  } else {
    node.replaceChildren();
  }
  $('#stale-note').hidden = !stale;
}

/** The override column is filled by a slow background job; say how far it got. */
function setEnrichment(enrichment) {
  const note = $('#enrichment-note');
  const total = enrichment && enrichment.sites_total;
  const done = enrichment && enrichment.sites_done;
  if (total && done < total) {
    note.textContent = `Override column: ${formatInt(done)} of ${formatInt(total)} sites checked`;
    note.hidden = false;
  } else {
    note.hidden = true;
  }
}

// What each `incomplete` entry of /api/gateways means to a reader.
const INCOMPLETE_LABELS = {
  sites: 'sites',
  templates: 'gateway templates',
  profiles: 'device profiles',
  inventory: 'inventory',
  listOrgDevicesStats: 'gateway statistics',
  device_events: 'port event history',
};

/** Reference data the server could not fetch: the table is shown, but say that some of it is unknown. */
function setIncomplete(incomplete) {
  const note = $('#incomplete-banner');
  const parts = Array.isArray(incomplete) ? incomplete : [];
  if (!parts.length) {
    note.hidden = true;
    return;
  }
  // Entries are {source, got, total, why} (older servers: the source name alone).
  const names = parts.map((part) => {
    const source = typeof part === 'string' ? part : part && part.source;
    const label = INCOMPLETE_LABELS[source] || String(source);
    const counted = part && Number.isFinite(part.got) && Number.isFinite(part.total);
    const details = [
      counted ? `${formatInt(part.got)} of ${formatInt(part.total)}` : null,
      part && typeof part.why === 'string' ? part.why : null,
    ].filter(Boolean);
    return details.length ? `${label} (${details.join(': ')})` : `${label} (not fetched from Mist)`;
  }).join(', ');
  note.textContent = `Some data is incomplete: ${names}. `
    + 'Values that depend on it show — until a later refresh succeeds.';
  note.hidden = false;
}

// ---- first-load progress -------------------------------------------------------
let loadingTicker = null;

function showLoading(on) {
  $('#loading').hidden = !on;
  clearInterval(loadingTicker);
  if (!on) return;
  const started = performance.now();
  const tick = () => {
    $('#loading-elapsed').textContent = `${Math.floor((performance.now() - started) / 1000)} s`;
  };
  tick();
  loadingTicker = setInterval(tick, 250);
}

// ---- loading and refreshing ----------------------------------------------------
async function loadGateways() {
  if (state.loading) return;
  state.loading = true;
  clearTimeout(state.timer);
  $('#refresh-btn').classList.add('is-busy');
  $('#refresh-btn').disabled = true;
  if (!state.loadedOnce) showLoading(true);
  let nextIn = REFRESH_SECONDS;
  try {
    // The whole org is loaded once and filtered in the browser: the cards always
    // describe the org, and typing in the search box costs no request.
    const [{ data, asOf, stale }] = await Promise.all([getJSON('/api/gateways'), loadProblems()]);
    table.setRows(Array.isArray(data.gateways) ? data.gateways : []);
    setCards(data.summary || {});
    setFreshness(asOf, stale);
    setEnrichment(data.enrichment);
    setIncomplete(data.incomplete);
    if (stale) nextIn = STALE_RETRY_SECONDS;
    if (!state.loadedOnce || state.failing) {
      const count = table.rows.length;
      announce(`${state.failing ? 'Gateways loaded again' : 'Gateways loaded'}: ${formatInt(count)} `
        + `gateway${count === 1 ? '' : 's'}, data as of ${formatDateTimeZone(asOf)}.`);
    }
    state.failing = false;
    if (!state.loadedOnce) {
      state.loadedOnce = true;
      $('#table-wrap').hidden = false;
      $('#pager').hidden = false;
    }
    body.dataset.loaded = 'true';
  } catch (err) {
    // Only the first failure of a run is news (toast and announcement); the same failure on
    // every automatic retry would interrupt a screen-reader user each time.
    if (!state.failing) {
      toast(err.message, 'error', 8000, { silent: true });
      announce(`Gateways could not be loaded: ${err.message}`);
    }
    state.failing = true;
    if (!state.loadedOnce) {
      const empty = $('#empty');
      empty.hidden = false;
      empty.textContent = `Gateways could not be loaded: ${err.message}. Retrying automatically; use Refresh to try now.`;
      nextIn = Math.min(REFRESH_SECONDS, 15);
    }
  } finally {
    showLoading(false);
    state.loading = false;
    $('#refresh-btn').classList.remove('is-busy');
    $('#refresh-btn').disabled = false;
    schedule(nextIn);
  }
  loadStatus();
}

/**
 * The Problems view and the problem counts; read alongside the table on every load. A failure
 * says so inside the view only: the table's own load reports (and announces) outages.
 */
async function loadProblems() {
  try {
    const data = await problemsView.load();
    $('#card-problems').textContent = formatInt(Number(data.total) || 0);
  } catch (err) {
    const none = $('#problems-none');
    none.textContent = `Problems could not be loaded: ${err.message}`;
    none.hidden = false;
  }
}

function schedule(seconds) {
  clearTimeout(state.timer);
  state.timer = setTimeout(() => {
    // A hidden tab does not need fresh numbers; it refreshes when shown again.
    if (document.hidden) state.dueWhileHidden = true;
    else loadGateways();
  }, seconds * 1000);
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && state.dueWhileHidden) {
    state.dueWhileHidden = false;
    loadGateways();
  }
});

async function loadStatus() {
  const banner = $('#rate-banner');
  try {
    const { data } = await getJSON('/api/status');
    // The collector's status carries the token pool's cool-down (older servers: at the top level).
    const until = data && (data.rate_limited_until ?? (data.collector && data.collector.rate_limited_until));
    if (until && until * 1000 > Date.now()) {
      const asOf = state.asOf ? `data as of ${formatDateTimeZone(state.asOf)}` : 'no data yet';
      banner.textContent = `Mist API rate limited until ${formatClock(until, false)}, showing ${asOf}.`;
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
  } catch {
    // The status line is advisory; the gateway load already reports real failures.
  }
}

async function loadSites() {
  try {
    const { data } = await getJSON('/api/sites');
    const select = $('#site-filter');
    const fragment = document.createDocumentFragment();
    for (const site of data || []) {
      const option = document.createElement('option');
      option.value = site.id;
      // Isolated: an option takes no markup, and an unclosed right-to-left override must not
      // run on into the rest of the line.
      option.textContent = isolate(site.name ?? site.id);
      option.title = site.name ?? site.id;
      fragment.append(option);
    }
    select.append(fragment);
  } catch (err) {
    toast(`Sites: ${err.message}`);
  }
}

/**
 * The search as typed, checked by the one search rule (search.js = circuitstats/search.py). Too
 * long: say so next to the box, keep the table as it was and make Export unavailable (with the
 * reason) instead of letting it download an error.
 */
function currentSearch() {
  const input = $('#search');
  const { query, error } = parseQuery(input.value);
  const message = $('#search-error');
  message.textContent = error ? `Search not applied: ${error}.` : '';
  message.hidden = !error;
  input.setAttribute('aria-invalid', error ? 'true' : 'false');
  return { query, error };
}

function updateExportLink() {
  const link = $('#export-csv');
  const { query, error } = currentSearch();
  if (error) {
    link.removeAttribute('href');
    link.setAttribute('aria-disabled', 'true');
    link.title = `Export unavailable: ${error}`;
    return;
  }
  link.removeAttribute('aria-disabled');
  link.removeAttribute('title');
  link.href = apiUrl('/api/export.csv', { site_id: $('#site-filter').value, q: query ?? '' });
}

function wireToolbar() {
  const search = $('#search');
  const applySearch = debounce(() => {
    const { query, error } = currentSearch();
    if (!error) table.setFilter({ query: query ?? '' });
    updateExportLink();
  }, SEARCH_DEBOUNCE_MS);
  search.addEventListener('input', applySearch);
  $('#site-filter').addEventListener('change', (event) => {
    table.setFilter({ siteId: event.target.value });
    updateExportLink();
  });
  $('#refresh-btn').addEventListener('click', () => loadGateways());
  updateExportLink();
}

async function start() {
  if (body.dataset.configured !== 'true') return; // the template shows how to configure instead

  const traffic = new TrafficModal();
  const peers = new PeersModal();
  table = new GatewayTable({
    // Every gateway row of /api/gateways carries its PortRows (the snapshot holds them all).
    loadPorts: async (gateway) => (Array.isArray(gateway.ports) ? gateway.ports : []),
    openTraffic: (gateway, port, direction, opener) => traffic.open(gateway, port, direction, opener),
    openPeers: (gateway, port, opener) => peers.open(gateway, port, opener),
  });
  problemsView = new ProblemsView({});
  wireToolbar();
  viewState = new ViewState({ table, traffic, problems: problemsView, onSearchOrSite: updateExportLink });
  showLoading(true);

  let org;
  try {
    org = await resolveOrganization();
  } catch (err) {
    showLoading(false);
    toast(err.message);
    const empty = $('#empty');
    empty.hidden = false;
    empty.textContent = `Organisation could not be loaded: ${err.message}`;
    loadStatus(); // a rate limit also shows in the banner, with the time it ends
    // Try again later: the cloud may be down or rate limited.
    setTimeout(() => window.location.reload(), REFRESH_SECONDS * 1000);
    return;
  }
  const badge = $('#org-badge');
  const orgName = (org && org.name) || (org && org.org_id) || '';
  $('#org-name').textContent = orgName;
  $('#org-name').title = orgName;
  badge.hidden = false;
  enableOrgSwitch(badge);
  updateExportLink(); // now carries org_id
  await Promise.all([loadSites(), loadGateways()]);
  viewState.start(); // the view the address bar describes (a shared link, a reload)
}

start();
