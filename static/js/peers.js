// The peer-path modal: every VPN path of one WAN port, sortable by column.
import { el, $, $$, clear } from './dom.js';
import { getJSON, gatewayPath } from './api.js';
import { valueNode, naNode, clippedNode, isUnknown, formatDuration, formatNumber, isolatedLine } from './format.js';
import { openModal, setupModal } from './modal.js';
import { toast } from './toast.js';

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

export class PeersModal {
  constructor() {
    this.dialog = $('#peers-modal');
    this.body = $('#peers-body');
    this.rows = [];
    this.sort = { key: null, dir: 1 };
    this.request = 0;
    setupModal(this.dialog, () => {
      this.request += 1;
      this.rows = [];
      clear(this.body);
    });
    $$('thead button.sort', this.dialog).forEach((button) => {
      button.addEventListener('click', () => this.sortBy(button.dataset.sort));
    });
  }

  async open(gateway, port, opener) {
    isolatedLine($('#peers-title'), ['Peer paths — ', { network: port.name ?? 'port' }]);
    const sub = [gateway.name, gateway.site_name, port.wan_name].filter((s) => s);
    isolatedLine($('#peers-sub'), sub.flatMap((text, i) => (i ? [' · ', { network: text }] : [{ network: text }])));
    this.rows = [];
    this.renderRows();
    this.showMessage('Loading…');
    openModal(this.dialog, opener);
    const seq = ++this.request;
    try {
      const { data } = await getJSON(gatewayPath(gateway.id, 'vpn_peers'), {
        site_id: gateway.site_id, mac: gateway.mac, port_id: port.name,
      });
      if (seq !== this.request) return;
      this.rows = Array.isArray(data) ? data : [];
      this.showMessage(this.rows.length ? '' : 'No peer paths on this port.');
      this.renderRows();
    } catch (err) {
      if (seq !== this.request) return;
      this.showMessage(`Peer paths not available: ${err.message}`);
      toast(err.message);
    }
  }

  showMessage(text) {
    const msg = $('#peers-msg');
    msg.hidden = !text;
    msg.textContent = text || '';
  }

  sortBy(key) {
    this.sort = { key, dir: this.sort.key === key ? -this.sort.dir : 1 };
    $$('thead th', this.dialog).forEach((th) => {
      const active = th.querySelector('button.sort').dataset.sort === key;
      th.setAttribute('aria-sort', active ? (this.sort.dir === 1 ? 'ascending' : 'descending') : 'none');
    });
    this.renderRows();
  }

  sortedRows() {
    const { key, dir } = this.sort;
    if (!key) return this.rows;
    return [...this.rows].sort((a, b) => {
      const va = a[key];
      const vb = b[key];
      if (isUnknown(va)) return isUnknown(vb) ? 0 : 1;  // unknowns last either way
      if (isUnknown(vb)) return -1;
      if (typeof va === 'boolean' || typeof va === 'number') return (Number(va) - Number(vb)) * dir;
      return collator.compare(String(va), String(vb)) * dir;
    });
  }

  renderRows() {
    clear(this.body);
    const num = (digits) => (v) => formatNumber(v, digits);
    for (const p of this.sortedRows()) {
      let status;
      if (isUnknown(p.up)) status = naNode();
      else status = el('span', { class: `pill ${p.up ? 'pill-ok' : 'pill-bad'}`, text: p.up ? 'up' : 'down' });
      const statusCell = el('td', {}, status);
      if (p.is_active === false) statusCell.append(' ', el('span', { class: 'muted small', text: 'standby' }));
      this.body.append(el('tr', { class: 'peer-row' },
        statusCell,
        el('td', {}, clippedNode(p.vpn_name)),
        el('td', {}, clippedNode(p.peer_router_name)),
        el('td', { class: 'mono' }, clippedNode(p.peer_port_id)),
        el('td', {}, clippedNode(p.type)),
        el('td', { class: 'num' }, valueNode(p.latency, num(1))),
        el('td', { class: 'num' }, valueNode(p.loss, num(2))),
        el('td', { class: 'num' }, valueNode(p.jitter, num(1))),
        el('td', { class: 'num' }, valueNode(p.mos, num(2))),
        el('td', { class: 'num' }, valueNode(p.uptime, formatDuration)),
        el('td', { class: 'num' }, valueNode(p.mtu)),
        el('td', { class: 'num' }, valueNode(p.hop_count))));
    }
  }
}
