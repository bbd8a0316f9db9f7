// Tiny DOM helpers. Every value that came from the network goes through
// textContent / text nodes here; nothing in this app assigns innerHTML, so a
// gateway called "<script>…" is shown as those characters and never parsed.

/**
 * Create an element. attrs: "class", "text" (textContent), "dataset" (object),
 * "on<event>" (listener), anything else becomes an attribute (false/null skipped).
 * Children may be nodes or strings (strings become text nodes).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** Remove every child (cheaper than innerHTML = '' and keeps the no-innerHTML rule simple to audit). */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** Trailing-edge debounce: typing fast in the search box filters once, after a pause. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
