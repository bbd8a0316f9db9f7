// The traffic modal of one WAN port: RX/TX chart with 95th-percentile lines,
// the statistics table, a latency/jitter/loss chart and the CSV link.
import { el, $, $$, clear } from './dom.js';
import { getJSON, apiUrl, portPath } from './api.js';
import { valueNode, formatBps, formatNumber, isolatedLine } from './format.js';
import { trafficChartConfig, qualityChartConfig } from './charts.js';
import { openModal, setupModal } from './modal.js';
import { toast } from './toast.js';

export const DURATIONS = ['1h', '6h', '24h', '7d'];
const DEFAULT_DURATION = '24h';

export class TrafficModal {
  constructor() {
    this.dialog = $('#traffic-modal');
    this.canvas = $('#traffic-chart');
    this.qualityCanvas = $('#quality-chart');
    this.message = $('#traffic-msg');
    this.context = null;      // {gateway, port}
    this.duration = DEFAULT_DURATION;
    this.request = 0;         // sequence number: only the newest answer may draw
    this.abort = null;
    this.charts = { traffic: null, quality: null };
    this.onViewChange = null; // viewstate.js: the open chart and its window are part of the URL
    setupModal(this.dialog, () => this.onClose());
    $$('button[data-duration]', this.dialog).forEach((button) => {
      button.addEventListener('click', () => this.load(button.dataset.duration));
    });
  }

  open(gateway, port, direction, opener, duration = DEFAULT_DURATION) {
    this.context = { gateway, port };
    isolatedLine($('#traffic-title'), ['Traffic — ', { network: port.name ?? 'port' },
      ...(port.wan_name ? [' (', { network: port.wan_name }, ')'] : [])]);
    const sub = [gateway.name, gateway.site_name, port.description].filter((s) => s);
    isolatedLine($('#traffic-sub'), sub.flatMap((text, i) => (i ? [' · ', { network: text }] : [{ network: text }])));
    this.canvas.dataset.direction = direction;
    openModal(this.dialog, opener);
    this.load(DURATIONS.includes(duration) ? duration : DEFAULT_DURATION);
  }

  params(duration) {
    return { site_id: this.context.gateway.site_id, duration };
  }

  async load(duration) {
    if (!this.context) return;
    this.duration = duration;
    if (this.onViewChange) this.onViewChange();
    $$('button[data-duration]', this.dialog).forEach((b) => {
      b.setAttribute('aria-pressed', b.dataset.duration === duration ? 'true' : 'false');
    });
    const { gateway, port } = this.context;
    $('#traffic-csv').href = apiUrl(portPath(gateway.id, port.name, 'traffic.csv'), this.params(duration));
    this.showMessage('Loading…');
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    const seq = ++this.request;
    try {
      const { data } = await getJSON(portPath(gateway.id, port.name, 'traffic'), this.params(duration),
        { signal: this.abort.signal });
      if (seq !== this.request || !this.dialog.open) return;
      this.draw(data);
    } catch (err) {
      if (err.name === 'AbortError' || seq !== this.request) return;
      this.showMessage(`No traffic data: ${err.message}`);
      this.destroyCharts();
      clear($('#traffic-stats'));
      toast(err.message);
    }
  }

  showMessage(text) {
    this.message.hidden = !text;
    this.message.textContent = text || '';
  }

  draw(series) {
    const hasData = (series.rx_bps || []).some((v) => v !== null) || (series.tx_bps || []).some((v) => v !== null);
    this.showMessage(hasData ? '' : 'No samples in this window');
    this.render('traffic', this.canvas, trafficChartConfig(series));
    this.render('quality', this.qualityCanvas, qualityChartConfig(series));
    // For tests and screen readers: how many samples the chart holds, and the window.
    this.canvas.dataset.points = String((series.timestamps || []).length);
    this.canvas.dataset.duration = series.duration || this.duration;
    // Port down intervals in this window (the chart's downIntervals plugin draws them).
    this.canvas.dataset.downIntervals = String((series.down_intervals || []).length);
    this.renderStats(series.stats || {});
  }

  render(name, canvas, config) {
    const existing = this.charts[name];
    if (existing) {
      // Reuse the chart: swapping data/options is cheaper than recreating the canvas context.
      existing.data = config.data;
      existing.options = config.options;
      existing.update('none');
    } else {
      this.charts[name] = new window.Chart(canvas, config);
    }
  }

  renderStats(stats) {
    const body = $('#traffic-stats');
    clear(body);
    const bps = (v) => formatBps(v);
    const pct = (v) => `${formatNumber(v, 2)} %`;
    for (const [key, label] of [['rx', 'RX (receive)'], ['tx', 'TX (transmit)']]) {
      const s = stats[key] || {};
      body.append(el('tr', {},
        el('th', { scope: 'row', text: label }),
        el('td', { class: 'num' }, valueNode(s.avg, bps)),
        el('td', { class: 'num' }, valueNode(s.peak, bps)),
        el('td', { class: 'num' }, valueNode(s.p95, bps)),
        el('td', { class: 'num' }, valueNode(s.utilisation_pct, pct))));
    }
  }

  destroyCharts() {
    for (const key of Object.keys(this.charts)) {
      if (this.charts[key]) this.charts[key].destroy();
      this.charts[key] = null;
    }
    delete this.canvas.dataset.points;
  }

  onClose() {
    if (this.abort) this.abort.abort();
    this.request += 1;
    this.destroyCharts();
    this.context = null;
    if (this.onViewChange) this.onViewChange();
  }
}
