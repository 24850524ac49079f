// Recents: the signed-in user's call history on the home screen
// (PROTOCOL.md §9.3), with missed calls highlighted, an unseen-missed badge
// and one-click call back. The controller part keeps the list fresh from
// the server; recentsView renders it.

import { h, avatar, icons } from './dom.js';

/** How many entries the home screen shows. */
const RECENTS_LIMIT = 20;

const OUTCOME_TEXT = {
  answered: 'Answered', missed: 'Missed', declined: 'Declined', canceled: 'Canceled',
  busy: 'Busy', noAnswer: 'No answer', ongoing: 'Ongoing',
};

/**
 * Keeps `kit.recents` = {entries, missed, loaded, error} and marks the
 * `recents` part changed. History is written just after a call changes,
 * so each refresh is repeated once a moment later.
 */
export class Recents {
  /** @param {import('./callkit.js').CallKit} kit */
  constructor(kit) {
    this.kit = kit;
    this.entries = [];
    this.missed = 0;
    this.loaded = false;
    this.error = '';
    this._timer = null;
    this._seq = 0;
    kit.on('signedIn', () => this.refreshSoon());
    kit.on('callEnd', () => this.refreshSoon());
    kit.on('signedOut', () => this.clear());
    kit.on('change', (parts) => { if (parts.has('incoming') || parts.has('outgoing')) this.refreshSoon(); });
  }

  clear() {
    clearTimeout(this._timer);
    this.entries = [];
    this.missed = 0;
    this.loaded = false;
    this.kit.changed('recents');
  }

  /** Refreshes now and once more a moment later. */
  refreshSoon() {
    this.refresh();
    clearTimeout(this._timer);
    this._timer = setTimeout(() => this.refresh(), 1500);
  }

  async refresh() {
    const c = this.kit.client;
    if (!c || this.kit.conn !== 'open') return;
    const seq = ++this._seq;
    try {
      const res = await c.callHistory({ limit: RECENTS_LIMIT });
      if (seq !== this._seq) return;
      this.entries = res.entries || [];
      this.missed = res.missedCalls || 0;
      this.loaded = true;
      this.error = '';
    } catch (err) {
      if (seq !== this._seq) return;
      this.error = err.code === 'unavailable' ? 'Call history is not available.' : '';
    }
    this.kit.changed('recents');
  }

  /** Marks missed calls seen (the badge goes away). */
  async markSeen() {
    const c = this.kit.client;
    if (!c || this.missed === 0) return;
    try {
      const res = await c.markMissedSeen();
      this.missed = res.missedCalls || 0;
      for (const e of this.entries) e.seen = true;
      this.kit.changed('recents');
    } catch (err) {
      console.warn('ringsfu ui: markMissedSeen', err);
    }
  }

  /** Calls back the people of entry e, with its call type. */
  async callBack(e) {
    this.markSeen();
    await this.kit.startCall(e.peers.map((p) => ({ id: p.id, name: p.name })), { type: e.type === 'voice' ? 'voice' : 'video' });
  }
}

/** When an entry started, short: a time today, else a date. */
function when(iso) {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleDateString();
}

/**
 * The Recents card of the home screen.
 * @param {import('./callkit.js').CallKit} k
 */
export function recentsView(k) {
  const r = k.recents;
  const badge = r.missed > 0
    ? h('span', { class: 'rf-missed-badge', 'aria-label': `${r.missed} missed`, text: String(r.missed) }) : null;
  const head = h('div', { class: 'rf-recents-head' },
    h('h2', { id: 'rf-recents-title' }, 'Recents', badge),
    r.missed > 0 ? h('button', { type: 'button', class: 'rf-btn rf-btn-ghost rf-btn-sm', text: 'Mark seen', onClick: () => r.markSeen() }) : null);
  let body;
  if (r.error) body = h('p', { class: 'rf-hint', text: r.error });
  else if (!r.loaded) body = h('p', { class: 'rf-hint', text: 'Loading…' });
  else if (r.entries.length === 0) body = h('p', { class: 'rf-hint', text: 'No calls yet.' });
  else {
    body = h('ul', { class: 'rf-recents-list' }, r.entries.map((e) => {
      const who = e.peers.length ? e.peers.map((p) => p.name || p.id).join(', ') : '—';
      const missed = e.outcome === 'missed';
      const first = e.peers[0] || { id: '?', name: '?' };
      return h('li', {
        class: `rf-recent${missed ? ' rf-recent-missed' : ''}${missed && !e.seen ? ' rf-recent-unseen' : ''}`,
        'data-call-id': e.callID, 'data-outcome': e.outcome,
      },
      avatar(first, 'sm'),
      h('div', { class: 'rf-recent-main' },
        h('span', { class: 'rf-recent-who', text: who }),
        h('span', { class: 'rf-recent-meta', text: `${e.direction === 'outgoing' ? '↗' : '↙'} ${OUTCOME_TEXT[e.outcome] || e.outcome} · ${e.type} · ${when(e.startedAt)}` })),
      h('button', {
        type: 'button', class: 'rf-btn rf-btn-secondary rf-btn-sm rf-callback', disabled: !k.canCall || e.peers.length === 0,
        'aria-label': `Call back ${who}`, onClick: () => r.callBack(e).catch(() => {}),
      }, h('span', { html: e.type === 'voice' ? icons.phone : icons.video })));
    }));
  }
  return h('section', { class: 'rf-card rf-recents', 'aria-labelledby': 'rf-recents-title' }, head, body);
}
