// Tiny DOM helpers and the UI's inline SVG icons (no external assets).

/**
 * Creates an element. `props`: `class`, `text`, `html` (trusted markup only:
 * the icons below), `on{Event}` listeners, `dataset`, `style`, `aria*`
 * (as `aria-*`), booleans (`hidden`, `disabled`, …) and any other attribute.
 * Children may be nodes, strings or arrays; null/false are skipped.
 * @param {string} tag
 * @param {object} [props]
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'html') el.innerHTML = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') {
      for (const [prop, val] of Object.entries(v)) {
        if (prop.startsWith('--')) el.style.setProperty(prop, val);
        else el.style[prop] = val;
      }
    }
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces every child of `el`. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** Initials of a display name: "Alice Smith" → "AS", "bob" → "B". */
export function initials(name) {
  const parts = String(name || '?').trim().split(/[\s._@-]+/).filter(Boolean);
  if (parts.length === 0) return '?';
  const first = [...parts[0]][0] || '?';
  const second = parts.length > 1 ? [...parts[parts.length - 1]][0] : '';
  return (first + second).toUpperCase();
}

/** Distinct avatar hues. */
const HUES = [214, 262, 330, 18, 42, 152, 188, 292, 352, 122, 236, 66];

/** A stable hue for a user id: avatars get distinct, repeatable colours (FNV-1a). */
export function hueOf(id) {
  let x = 0x811c9dc5;
  for (const ch of String(id)) x = Math.imul(x ^ ch.codePointAt(0), 0x01000193) >>> 0;
  return HUES[x % HUES.length];
}

/** An avatar disc with initials. */
export function avatar(user, size = 'md') {
  const name = user?.name || user?.id || '?';
  return h('div', {
    class: `avatar avatar-${size}`,
    'aria-hidden': 'true',
    style: { '--hue': String(hueOf(user?.id || name)) },
    text: initials(name),
  });
}

/** mm:ss or h:mm:ss. */
export function formatDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const two = (n) => String(n).padStart(2, '0');
  return hh ? `${hh}:${two(mm)}:${two(ss)}` : `${two(mm)}:${two(ss)}`;
}

const svg = (body) => `<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${body}</svg>`;

/** Inline icons (stroke style, 24×24). */
export const icons = {
  mic: svg('<rect x="9" y="2" width="6" height="12" rx="3"/><path d="M5 10v1a7 7 0 0 0 14 0v-1M12 18v4M8 22h8"/>'),
  micOff: svg('<path d="M2 2l20 20"/><path d="M9 9v2a3 3 0 0 0 5.1 2.1M15 9.3V5a3 3 0 0 0-5.7-1.3"/><path d="M19 10v1a7 7 0 0 1-1.2 3.9M5 10v1a7 7 0 0 0 11.2 5.6M12 18v4M8 22h8"/>'),
  cam: svg('<rect x="2" y="6" width="14" height="12" rx="2"/><path d="M16 10l6-4v12l-6-4"/>'),
  camOff: svg('<path d="M2 2l20 20"/><path d="M16 16v0a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h2M10 6h4a2 2 0 0 1 2 2v3.3l6-4.3v10"/>'),
  phone: svg('<path d="M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1.9.4 1.8.7 2.7a2 2 0 0 1-.5 2.1L8 9.8a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.7.7a2 2 0 0 1 1.7 2z"/>'),
  hangup: '<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" fill="currentColor"><path d="M2 15.2c0-1.1.4-2.1 1.2-2.8C5.6 10.3 8.7 9.2 12 9.2s6.4 1.1 8.8 3.2c.8.7 1.2 1.7 1.2 2.8v1.1c0 .8-.7 1.3-1.4 1.2l-3.3-.6c-.6-.1-1-.6-1-1.2v-2.2c-1.3-.5-2.8-.8-4.3-.8s-3 .3-4.3.8v2.2c0 .6-.4 1.1-1 1.2l-3.3.6c-.7.1-1.4-.4-1.4-1.2z"/></svg>',
  video: svg('<rect x="2" y="6" width="14" height="12" rx="2"/><path d="M16 10l6-4v12l-6-4"/>'),
  screen: svg('<rect x="2" y="3" width="20" height="14" rx="2"/><path d="M8 21h8M12 17v4M12 7v6M9 10l3-3 3 3"/>'),
  screenStop: svg('<rect x="2" y="3" width="20" height="14" rx="2"/><path d="M8 21h8M12 17v4M9 7l6 6M15 7l-6 6"/>'),
  speaker: svg('<path d="M11 5L6 9H2v6h4l5 4V5z"/><path d="M15.5 8.5a5 5 0 0 1 0 7M19 5a10 10 0 0 1 0 14"/>'),
  users: svg('<path d="M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2"/><circle cx="9" cy="7" r="4"/><path d="M23 21v-2a4 4 0 0 0-3-3.9M16 3.1a4 4 0 0 1 0 7.8"/>'),
  userPlus: svg('<path d="M16 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2"/><circle cx="8.5" cy="7" r="4"/><path d="M20 8v6M23 11h-6"/>'),
  minimize: svg('<path d="M4 14h6v6M20 10h-6V4M14 10l7-7M3 21l7-7"/>'),
  maximize: svg('<path d="M15 3h6v6M9 21H3v-6M21 3l-7 7M3 21l7-7"/>'),
  close: svg('<path d="M18 6L6 18M6 6l12 12"/>'),
  expand: svg('<path d="M8 3H5a2 2 0 0 0-2 2v3M21 8V5a2 2 0 0 0-2-2h-3M3 16v3a2 2 0 0 0 2 2h3M16 21h3a2 2 0 0 0 2-2v-3"/>'),
  kick: svg('<path d="M16 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2"/><circle cx="8.5" cy="7" r="4"/><path d="M18 8l5 5M23 8l-5 5"/>'),
  more: svg('<circle cx="12" cy="12" r="1"/><circle cx="19" cy="12" r="1"/><circle cx="5" cy="12" r="1"/>'),
  check: svg('<path d="M20 6L9 17l-5-5"/>'),
  signal: svg('<path d="M2 20h.01M7 20v-4M12 20v-8M17 20V8M22 4v16"/>'),
};
