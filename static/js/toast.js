// Error/info toasts. Messages come from the server's envelope, so they are set as text.
import { el, $ } from './dom.js';

const recent = new Map(); // message -> time shown; auto refresh must not stack the same error

/**
 * Show a message for timeoutMs. It announces itself to screen readers (role alert/status) unless
 * `silent`: the caller already announced the same news through the page's live region.
 */
export function toast(message, kind = 'error', timeoutMs = 8000, { silent = false } = {}) {
  const now = Date.now();
  if (recent.has(message) && now - recent.get(message) < 10000) return;
  recent.set(message, now);
  const container = $('#toasts');
  const close = el('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Dismiss', text: '✕' });
  const role = silent ? null : (kind === 'error' ? 'alert' : 'status');
  const node = el('div', { class: `toast toast-${kind}`, role },
    el('bdi', { class: 'toast-text', text: message }), close);
  const remove = () => {
    node.remove();
    recent.delete(message);
  };
  close.addEventListener('click', remove);
  container.append(node);
  if (timeoutMs) setTimeout(remove, timeoutMs);
}
