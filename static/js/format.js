// Display formatting. Unknown values (null/undefined) are rendered as an
// em dash with a "not available" tooltip — never as 0, because a 0 would claim
// a measurement the Mist API did not give us.
import { el } from './dom.js';

export const DASH = '—';

export const isUnknown = (v) => v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v));

/** A cell content for a value that is not available. */
export function naNode() {
  return el('span', { class: 'na', title: 'not available', text: DASH });
}

// Every string that came from the network is shown inside <bdi>: bidirectional isolation, so a
// right-to-left override in one name cannot reverse the text of the cells after it.

const UNRESOLVED_TITLE = 'template variable not resolved yet: filled once the gateway\'s own configuration has been read';
const PENDING_TITLE = 'template variable not resolved yet: the site\'s variables are still being read';

/**
 * A network string, isolated and clipped: one line with an ellipsis, the whole value in the
 * tooltip and in the text itself (CSS clips only the drawing, so assistive technology reads all
 * of it). `template` says the row marked this value as an unresolved template variable
 * (PortRow.template_vars_unresolved); only then is it styled as one, never for a name that merely
 * looks like "{{7*7}}". `pending`: the gateway row says its site's variables are not read yet.
 */
export function clippedNode(value, { template = false, pending = false } = {}) {
  if (isUnknown(value) || value === '') return naNode();
  const text = String(value);
  if (template) {
    return el('bdi', { class: 'clip unresolved', title: `${text}: ${pending ? PENDING_TITLE : UNRESOLVED_TITLE}`, text });
  }
  return el('bdi', { class: 'clip', title: text, text });
}

/**
 * A cell's content: unknown -> dash; strings from the network -> clippedNode; numbers and flags
 * through `formatter` as plain text (we wrote those, they need no isolation).
 */
export function valueNode(value, formatter = String, options = {}) {
  if (isUnknown(value) || value === '') return naNode();
  if (typeof value === 'string' && formatter === String) return clippedNode(value, options);
  return document.createTextNode(formatter(value));
}

/**
 * A line mixing our words with network strings ("Traffic — ", port name, " (", WAN name, ")"):
 * strings are isolated in <bdi> and the whole line is one clipped element whose title and text hold
 * everything, for modal titles and subtitles.
 */
export function isolatedLine(node, parts) {
  node.replaceChildren(...parts.map((part) => (part.network ? el('bdi', { text: part.network }) : part)));
  node.title = node.textContent;
  node.classList.add('clip-line');
}

/** Plain text wrapped in first-strong isolates, for places that take no markup (option, title). */
export const isolate = (text) => `\u2068${text}\u2069`;

function scaled(value, units, base) {
  let i = 0;
  let v = Math.abs(value);
  while (v >= base && i < units.length - 1) {
    v /= base;
    i += 1;
  }
  const digits = v >= 100 || i === 0 ? 0 : v >= 10 ? 1 : 2;
  return `${value < 0 ? '-' : ''}${v.toFixed(digits)} ${units[i]}`;
}

/** Byte counters: decimal units so "KB/MB/GB/TB" mean exactly what they say. */
export const formatBytes = (n) => scaled(n, ['B', 'KB', 'MB', 'GB', 'TB', 'PB'], 1000);

/** Bit rates, scaled to bps/Kbps/Mbps/Gbps. */
export const formatBps = (n) => scaled(n, ['bps', 'Kbps', 'Mbps', 'Gbps', 'Tbps'], 1000);

/** Pick one unit for a whole axis so every tick uses the same scale. */
export function bpsUnitFor(maxValue) {
  const units = [['bps', 1], ['Kbps', 1e3], ['Mbps', 1e6], ['Gbps', 1e9], ['Tbps', 1e12]];
  let chosen = units[0];
  for (const unit of units) if (Math.abs(maxValue) >= unit[1]) chosen = unit;
  return { label: chosen[0], divisor: chosen[1] };
}

/** PortRow.speed is in Mbps (as the Mist port stats report it). */
export function formatSpeedMbps(mbps) {
  if (mbps >= 1000) return `${+(mbps / 1000).toFixed(1)} Gbps`;
  return `${+Number(mbps).toFixed(1)} Mbps`;
}

/** Seconds -> "12d 4h", "3h 12m", "5m 10s". */
export function formatDuration(seconds) {
  let s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

const pad = (n) => String(n).padStart(2, '0');

/** Local wall-clock time from epoch seconds. */
export function formatClock(epochSeconds, withSeconds = true) {
  const d = new Date(epochSeconds * 1000);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withSeconds ? `${hm}:${pad(d.getSeconds())}` : hm;
}

/**
 * "2026-11-23 10:15:00 UTC+01:00": local date, time and the zone's offset, so a reader in another
 * zone (or a screenshot in a ticket) still knows the moment.
 */
export function formatDateTimeZone(epochSeconds) {
  const d = new Date(epochSeconds * 1000);
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const zone = `UTC${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatClock(epochSeconds)} ${zone}`;
}

/** Local date and time from epoch milliseconds, for chart tooltips. */
export function formatDateTime(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Axis tick label: time of day, with the date on multi-day windows. */
export function formatTick(ms, multiDay) {
  const d = new Date(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return multiDay ? `${d.getDate()} ${MONTHS[d.getMonth()]} ${hm}` : hm;
}

export const formatInt = (n) => Number(n).toLocaleString('en-US');

export function formatNumber(n, digits = 1) {
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits });
}

export const yesNo = (b) => (b ? 'yes' : 'no');
