// Active speaker detection from audio levels: getStats `audioLevel` of the
// received audio tracks (inbound-rtp) and of my own microphone
// (media-source), sampled a few times a second.

/** Level (0..1) above which a member counts as speaking. */
export const SPEAKING_LEVEL = 0.02;
/** How long a member stays "speaking" after its level drops (ms). */
const HOLD_MS = 700;
/** How long the active speaker stays active without speaking (ms). */
const ACTIVE_HOLD_MS = 1500;
const INTERVAL_MS = 350;

export class SpeakerDetector {
  /** @param {import('./callkit.js').CallKit} kit */
  constructor(kit) {
    this.kit = kit;
    this._timer = null;
    this._lastSpoke = new Map();
    this._activeSince = 0;
    this._busy = false;
  }

  start() {
    if (this._timer) return;
    this._timer = setInterval(() => this._sample(), INTERVAL_MS);
  }

  stop() {
    clearInterval(this._timer);
    this._timer = null;
    this._lastSpoke.clear();
  }

  async _sample() {
    const kit = this.kit;
    if (this._busy || !kit.call) return;
    this._busy = true;
    try {
      const st = await kit.mediaStats();
      if (!st || !kit.call) return;
      const now = Date.now();
      const levels = new Map();
      for (const i of st.inbound) {
        if (i.kind === 'audio' && i.userID && typeof i.audioLevel === 'number') {
          const m = kit.call.members.get(i.userID);
          levels.set(i.userID, m && m.microphone === false ? 0 : i.audioLevel);
        }
      }
      if (kit.user && st.localAudioLevel !== null) levels.set(kit.user.id, kit.local.micOn ? st.localAudioLevel : 0);
      for (const [id, lvl] of levels) if (lvl > SPEAKING_LEVEL) this._lastSpoke.set(id, now);
      const speaking = new Set([...this._lastSpoke].filter(([, t]) => now - t < HOLD_MS).map(([id]) => id));
      let loudest = null;
      let best = SPEAKING_LEVEL;
      for (const [id, lvl] of levels) if (lvl > best) { best = lvl; loudest = id; }
      let active = kit.speakers.active;
      if (loudest && (loudest !== active) && (now - this._activeSince > 400 || !active)) {
        active = loudest;
        this._activeSince = now;
      } else if (loudest === active) {
        this._activeSince = now;
      } else if (active && now - (this._lastSpoke.get(active) || 0) > ACTIVE_HOLD_MS && !speaking.has(active)) {
        active = null;
      }
      if (active && !kit.call.members.has(active)) active = null;
      const prev = kit.speakers;
      const changed = prev.active !== active || prev.speaking.size !== speaking.size || [...speaking].some((x) => !prev.speaking.has(x));
      kit.speakers = { levels, speaking, active };
      if (changed) kit.changed('speakers');
    } catch {
      // Stats of a closing PeerConnection: ignore.
    } finally {
      this._busy = false;
    }
  }
}
