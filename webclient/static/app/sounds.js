// Ringtone and ringback tone, synthesized with WebAudio (no audio files).

/** Tone patterns: each cycle is a list of [startSec, durSec, freqs[]] and a period. */
const PATTERNS = {
  // Outgoing "calling" tone: 440 + 480 Hz, 2 s on, 4 s off (North American ringback).
  ringback: { period: 6, gain: 0.08, tones: [[0, 2, [440, 480]]] },
  // Incoming ringtone: a rising three-note phrase, twice, then a pause.
  ringtone: {
    period: 3,
    gain: 0.12,
    tones: [
      [0.0, 0.18, [659.25]], [0.2, 0.18, [783.99]], [0.4, 0.3, [987.77]],
      [0.8, 0.18, [659.25]], [1.0, 0.18, [783.99]], [1.2, 0.3, [987.77]],
    ],
  },
  // Short "call ended" beeps.
  ended: { period: 0, gain: 0.08, tones: [[0, 0.15, [480]], [0.25, 0.15, [480]], [0.5, 0.15, [480]]] },
};

/**
 * Plays the UI's tones. One AudioContext, created on first use; browsers
 * keep it suspended until a user gesture, so {@link Sounds#unlock} is wired
 * to the first click or key press.
 */
export class Sounds {
  constructor({ enabled = true } = {}) {
    this.enabled = enabled;
    /** @type {'ringtone'|'ringback'|null} What is looping now (tests read it). */
    this.current = null;
    this._ctx = null;
    this._timer = null;
    this._nodes = new Set();
    this._master = null;
    /** Tone cycles scheduled so far (diagnostics). */
    this.cycles = 0;
    const unlock = () => this.unlock();
    addEventListener('pointerdown', unlock, { capture: true });
    addEventListener('keydown', unlock, { capture: true });
  }

  _context() {
    if (!this._ctx) {
      const AC = globalThis.AudioContext || globalThis.webkitAudioContext;
      if (!AC) return null;
      this._ctx = new AC();
      this._master = this._ctx.createGain();
      this._master.connect(this._ctx.destination);
    }
    return this._ctx;
  }

  /** What is playing, for diagnostics: tone, AudioContext state, cycles scheduled. */
  get detail() {
    return { current: this.current, context: this._ctx?.state ?? null, cycles: this.cycles };
  }

  /** Resumes the AudioContext (call from a user gesture). */
  unlock() {
    const ctx = this._context();
    if (ctx && ctx.state === 'suspended') ctx.resume().catch(() => {});
  }

  /**
   * Starts looping a tone (`ringtone` or `ringback`), or plays `ended` once.
   * Playing the tone already playing does nothing.
   * @param {'ringtone'|'ringback'|'ended'} kind
   */
  play(kind) {
    if (kind === this.current) return;
    this.stop();
    const p = PATTERNS[kind];
    if (!p) return;
    if (p.period > 0) this.current = kind;
    if (!this.enabled) return;
    const ctx = this._context();
    if (!ctx) return;
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    const cycle = () => { this.cycles++; this._schedule(p, ctx.currentTime + 0.05); };
    cycle();
    if (p.period > 0) this._timer = setInterval(cycle, p.period * 1000);
  }

  /** Stops whatever is playing. */
  stop() {
    this.current = null;
    clearInterval(this._timer);
    this._timer = null;
    for (const n of this._nodes) {
      try { n.stop(); } catch { /* not started */ }
    }
    this._nodes.clear();
  }

  _schedule(p, t0) {
    const ctx = this._ctx;
    for (const [start, dur, freqs] of p.tones) {
      const g = ctx.createGain();
      g.connect(this._master);
      const a = t0 + start;
      // Short attack and release: no clicks.
      g.gain.setValueAtTime(0, a);
      g.gain.linearRampToValueAtTime(p.gain, a + 0.02);
      g.gain.setValueAtTime(p.gain, a + dur - 0.03);
      g.gain.linearRampToValueAtTime(0, a + dur);
      for (const f of freqs) {
        const o = ctx.createOscillator();
        o.type = 'sine';
        o.frequency.value = f;
        o.connect(g);
        o.start(a);
        o.stop(a + dur + 0.01);
        this._nodes.add(o);
        o.onended = () => { this._nodes.delete(o); o.disconnect(); };
      }
      setTimeout(() => g.disconnect(), (start + dur + 0.2) * 1000 + 100);
    }
  }
}
