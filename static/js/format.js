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

// A template value such as "{{WAN_GE_0_0_0_IP}}" that no site or device variable has filled yet.
const UNRESOLVED_VARIABLE = /^\{\{\s*[^{}]+?\s*\}\}$/;

/** Text node for a value, or the "not available" dash; unresolved template variables look muted. */
export function valueNode(value, formatter = String) {
  if (isUnknown(value) || value === '') return naNode();
  return unresolvedNode(value) || document.createTextNode(formatter(value));
}

function unresolvedNode(value) {
  if (typeof value !== 'string' || !UNRESOLVED_VARIABLE.test(value)) return null;
  return el('span', {
    class: 'unresolved',
    title: 'template variable not resolved yet: filled once the gateway\'s own configuration has been read',
    text: value,
  });
}

/**
 * Free text from Mist (names, descriptions) can be arbitrarily long: show it clipped with an
 * ellipsis, the whole value in the tooltip, so one hostile name cannot stretch the table.
 */
export function clippedNode(value) {
  if (isUnknown(value) || value === '') return naNode();
  const unresolved = unresolvedNode(value);
  if (unresolved) return unresolved;
  const text = String(value);
  return el('span', { class: 'clip', title: text, text });
}

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
