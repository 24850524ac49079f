// How a video fills its tile: `cover` (fills, crops the edges) unless that
// would cut away much of the picture, then `contain` (whole picture, bars).
// A screen share is always `contain`. The user can flip a tile either way
// with its fit button; that choice sticks to the tile.

import { h, icons } from './dom.js';

/**
 * Cropping beyond this aspect mismatch (video vs tile, larger over smaller)
 * would cut a face: e.g. a 4:3 camera in a 16:9 tile (1.33) loses a quarter
 * of its height with `cover`.
 */
export const CONTAIN_ABOVE = 1.2;

/** The fit a tile's video gets now: 'cover' or 'contain'. */
export function fitFor(t) {
  if (t.fitOverride) return t.fitOverride;
  if (t.kind === 'screen') return 'contain';
  const v = t.video;
  const vw = v?.videoWidth || 0;
  const vh = v?.videoHeight || 0;
  const tw = t.el.clientWidth;
  const th = t.el.clientHeight;
  if (!vw || !vh || !tw || !th) return 'cover';
  const a = vw / vh;
  const b = tw / th;
  return Math.max(a / b, b / a) > CONTAIN_ABOVE ? 'contain' : 'cover';
}

/** Applies fitFor to the tile's video and labels its fit button. */
export function applyFit(t) {
  if (!t.video) return;
  const fit = fitFor(t);
  t.video.classList.toggle('rf-contain', fit === 'contain');
  t.el.dataset.fit = fit;
  if (t.fitBtn) {
    const next = fit === 'contain' ? 'Fill the tile with' : 'Show all of';
    t.fitBtn.setAttribute('aria-label', `${next} ${t.fitName || 'the video'}`);
    t.fitBtn.title = fit === 'contain' ? 'Fill' : 'Fit';
    t.fitBtn.setAttribute('aria-pressed', String(fit === 'contain'));
  }
}

/**
 * Adds the fit button to a camera tile and re-applies the fit when the
 * video's size changes.
 */
export function setupFit(t) {
  if (!t.video) return;
  t.video.addEventListener('resize', () => applyFit(t));
  t.video.addEventListener('loadedmetadata', () => applyFit(t));
  if (t.kind === 'screen') return;
  t.fitBtn = h('button', {
    type: 'button', class: 'rf-icon-btn rf-tile-fit', html: icons.expand,
    onClick: () => {
      t.fitOverride = fitFor(t) === 'contain' ? 'cover' : 'contain';
      applyFit(t);
    },
  });
  t.el.append(t.fitBtn);
}
