// Chart.js configuration for the traffic modal. Chart.js is vendored
// (static/vendor/chart.umd.min.js, loaded as a classic deferred script) and used
// with a linear x axis of epoch milliseconds, so no date adapter is needed: tick
// and tooltip labels are formatted here, in the browser's local time.
import { bpsUnitFor, formatBps, formatDateTime, formatTick, formatNumber } from './format.js';

const COLORS = {
  rx: '#E20074',      // magenta accent: receive
  tx: '#3BA7FF',      // blue: transmit
  latency: '#F5A524',
  jitter: '#8F7CFF',
  loss: '#FF5C7A',
  grid: 'rgba(255,255,255,0.07)',
  down: 'rgba(255, 92, 122, 0.22)',     // port down intervals: shaded boxes over the chart area
  downEdge: 'rgba(255, 92, 122, 0.85)',
  text: '#AEB6C4',
};

/** Convert the series' timestamps (epoch seconds per Mist, ms tolerated) to ms. */
export function toMillis(timestamps) {
  return timestamps.map((t) => (t < 1e12 ? t * 1000 : t));
}

const points = (xs, ys) => xs.map((x, i) => ({ x, y: ys && ys[i] !== undefined ? ys[i] : null }));

function maxOf(...arrays) {
  let max = 0;
  for (const values of arrays) for (const v of values || []) if (typeof v === 'number' && v > max) max = v;
  return max;
}

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;

/** Tick spacing on round clock values (a linear axis would otherwise pick 17:53). */
function tickStep(spanMs) {
  if (spanMs <= 2 * HOUR) return 10 * MINUTE;
  if (spanMs <= 8 * HOUR) return HOUR;
  if (spanMs <= 30 * HOUR) return 3 * HOUR;
  return 24 * HOUR;
}

function xAxis(xs, spanMs) {
  const multiDay = spanMs > 36 * HOUR;
  const step = tickStep(spanMs);
  // Milliseconds to add to UTC for local wall-clock time, so ticks sit on local round hours/midnight.
  const localShift = -new Date().getTimezoneOffset() * MINUTE;
  return {
    type: 'linear',
    min: xs.length ? xs[0] : undefined,
    max: xs.length ? xs[xs.length - 1] : undefined,
    grid: { color: COLORS.grid },
    ticks: {
      color: COLORS.text,
      maxRotation: 0,
      autoSkipPadding: 24,
      callback: (value) => formatTick(value, multiDay),
    },
    // A linear axis picks "nice" numbers of milliseconds (ticks at 13:56, 16:52);
    // replace them with multiples of a clock step instead.
    afterBuildTicks: (axis) => {
      if (!Number.isFinite(axis.min) || !Number.isFinite(axis.max)) return;
      const ticks = [];
      for (let t = Math.ceil((axis.min + localShift) / step) * step - localShift; t <= axis.max; t += step) {
        ticks.push({ value: t });
      }
      axis.ticks = ticks;
    },
  };
}

function baseOptions() {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,            // redraws on window switches should be instant
    parsing: false,              // data is already {x, y}
    normalized: true,
    spanGaps: false,             // a missing sample is a gap, never a line across it
    interaction: { mode: 'index', intersect: false },
    plugins: {
      legend: { labels: { color: COLORS.text, boxWidth: 14, usePointStyle: false } },
      tooltip: {
        callbacks: {
          title: (items) => (items.length ? formatDateTime(items[0].parsed.x) : ''),
        },
      },
    },
  };
}

/** Dataset for a horizontal dashed reference line (95th percentile) across the window. */
function percentileLine(label, value, xs, color) {
  const data = typeof value === 'number' && xs.length ? [{ x: xs[0], y: value }, { x: xs[xs.length - 1], y: value }] : [];
  return {
    label,
    data,
    borderColor: color,
    backgroundColor: 'transparent', // the legend box then shows the dash, not a filled square
    borderDash: [6, 4],
    borderWidth: 1.5,
    pointRadius: 0,
    pointHoverRadius: 0,
    fill: false,
    isReferenceLine: true,
  };
}

/**
 * Inline Chart.js plugin: the port's down intervals (TrafficSeries.down_intervals, epoch seconds,
 * [down, up|null] with null = still down) as shaded boxes over the chart area, with a solid band
 * on the time axis. Drawn on the canvas (the CSP forbids inline styles). The number of boxes drawn
 * is left on the canvas as data-down-boxes, for tests and tools.
 */
export const downIntervalsPlugin = {
  id: 'mcsDownIntervals',
  beforeDatasetsDraw(chart) {
    const raw = chart.data && chart.data.downIntervals;
    const intervals = Array.isArray(raw) ? raw.filter((pair) => Array.isArray(pair)) : [];
    const x = chart.scales.x;
    const area = chart.chartArea;
    let drawn = 0;
    if (x && area && Number.isFinite(x.min) && Number.isFinite(x.max)) {
      const { ctx } = chart;
      ctx.save();
      for (const [down, up] of intervals) {
        if (!Number.isFinite(down)) continue;
        const start = Math.max(down < 1e12 ? down * 1000 : down, x.min);
        const stop = Math.min(up === null || up === undefined ? x.max : (up < 1e12 ? up * 1000 : up), x.max);
        if (!(stop >= start)) continue;
        const left = x.getPixelForValue(start);
        const width = Math.max(2, x.getPixelForValue(stop) - left);  // a short outage stays visible
        ctx.fillStyle = COLORS.down;
        ctx.fillRect(left, area.top, width, area.bottom - area.top);
        ctx.fillStyle = COLORS.downEdge;
        ctx.fillRect(left, area.bottom - 4, width, 4);
        drawn += 1;
      }
      ctx.restore();
    }
    chart.canvas.dataset.downBoxes = String(drawn);
  },
};

export function trafficChartConfig(series) {
  const xs = toMillis(series.timestamps || []);
  const rxP95 = series.stats && series.stats.rx ? series.stats.rx.p95 : null;
  const txP95 = series.stats && series.stats.tx ? series.stats.tx.p95 : null;
  const unit = bpsUnitFor(maxOf(series.rx_bps, series.tx_bps, [rxP95, txP95]));
  const downIntervals = Array.isArray(series.down_intervals)
    ? series.down_intervals.filter((pair) => Array.isArray(pair) && Number.isFinite(pair[0])) : [];
  const line = (label, ys, color) => ({
    label,
    data: points(xs, ys),
    borderColor: color,
    backgroundColor: `${color}33`,
    borderWidth: 2,
    pointRadius: xs.length <= 48 ? 2 : 0,
    pointHoverRadius: 4,
    fill: false,
    tension: 0.2,
  });
  const options = baseOptions();
  options.scales = {
    x: xAxis(xs, xs.length ? xs[xs.length - 1] - xs[0] : 0),
    y: {
      beginAtZero: true,
      grid: { color: COLORS.grid },
      title: { display: true, text: unit.label, color: COLORS.text },
      ticks: { color: COLORS.text, callback: (v) => formatNumber(v / unit.divisor, 2) },
    },
  };
  options.plugins.tooltip.callbacks.label = (item) => {
    const v = item.parsed.y;
    return `${item.dataset.label}: ${v === null || Number.isNaN(v) ? 'no data' : formatBps(v)}`;
  };
  // Reference lines only need their legend entry and value, not a tooltip row per point.
  options.plugins.tooltip.filter = (item) => !item.dataset.isReferenceLine;
  return {
    type: 'line',
    data: {
      datasets: [
        line('RX', series.rx_bps, COLORS.rx),
        line('TX', series.tx_bps, COLORS.tx),
        percentileLine('RX 95th percentile', rxP95, xs, COLORS.rx),
        percentileLine('TX 95th percentile', txP95, xs, COLORS.tx),
        ...(downIntervals.length ? [{
          // Legend entry only: the boxes themselves are drawn by downIntervalsPlugin.
          label: 'Port down',
          data: [],
          borderColor: COLORS.downEdge,
          backgroundColor: COLORS.down,
          borderWidth: 1,
          isReferenceLine: true,
        }] : []),
      ],
      downIntervals,
    },
    options,
    plugins: [downIntervalsPlugin],
  };
}

export function qualityChartConfig(series) {
  const xs = toMillis(series.timestamps || []);
  const line = (label, ys, color, axis) => ({
    label,
    data: points(xs, ys),
    yAxisID: axis,
    borderColor: color,
    backgroundColor: color,
    borderWidth: 1.5,
    pointRadius: 0,
    pointHoverRadius: 3,
    fill: false,
  });
  const units = { y: 'ms', y1: '%' };
  const options = baseOptions();
  options.scales = {
    x: xAxis(xs, xs.length ? xs[xs.length - 1] - xs[0] : 0),
    y: {
      beginAtZero: true,
      position: 'left',
      grid: { color: COLORS.grid },
      title: { display: true, text: 'ms', color: COLORS.text },
      ticks: { color: COLORS.text },
    },
    y1: {
      beginAtZero: true,
      suggestedMax: 5,
      position: 'right',
      grid: { drawOnChartArea: false },
      title: { display: true, text: 'loss %', color: COLORS.text },
      ticks: { color: COLORS.text },
    },
  };
  options.plugins.tooltip.callbacks.label = (item) => {
    const v = item.parsed.y;
    const unit = units[item.dataset.yAxisID];
    return `${item.dataset.label}: ${v === null || Number.isNaN(v) ? 'no data' : `${formatNumber(v, 2)} ${unit}`}`;
  };
  return {
    type: 'line',
    data: {
      datasets: [
        line('Latency (ms)', series.latency, COLORS.latency, 'y'),
        line('Jitter (ms)', series.jitter, COLORS.jitter, 'y'),
        line('Loss (%)', series.loss, COLORS.loss, 'y1'),
      ],
      downIntervals: Array.isArray(series.down_intervals) ? series.down_intervals : [],
    },
    options,
    plugins: [downIntervalsPlugin],
  };
}
