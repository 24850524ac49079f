// CallKit, part 3: local media — capture, publish, microphone, camera,
// screen share, audio output — and getStats sampling. Mixed into
// CallKit.prototype by callkit.js.

import { capture, captureCamera, captureMic, audioOutputs } from './devices.js';
import { errorText } from './model.js';

/** @this {import('./callkit.js').CallKit} */
export const mediaMethods = {
  // ---------- local media ----------

  /**
   * Starts capturing the microphone (and camera for video). The tracks are
   * kept only if the call attempt is still the current one when they come.
   * @returns {Promise<{mic: MediaStreamTrack|null, cam: MediaStreamTrack|null}>}
   */
  _captureLocal(type) {
    const gen = ++this._captureGen;
    return capture({ video: type === 'video', videoConstraints: this.options.videoConstraints, audioConstraints: this.options.audioConstraints })
      .then((r) => {
        if (gen !== this._captureGen) {
          r.mic?.stop();
          r.cam?.stop();
          return { mic: null, cam: null };
        }
        this.local.mic = r.mic;
        this.local.cam = r.cam;
        if (r.mic) r.mic.enabled = this.local.micOn;
        this.changed('local');
        for (const e of r.errors) this.toast(`Media: ${e.message || e.name}`, 'warn');
        return r;
      });
  },

  _releaseLocal() {
    this._captureGen++;
    for (const t of [this.local.mic, this.local.cam, ...(this.local.screen?.getTracks() || [])]) t?.stop();
    this.local.mic = this.local.cam = this.local.screen = null;
    this.local.micOn = true;
    this.local.camOn = false;
    this.changed('local');
  },

  async _startMedia(capturing) {
    const c = this.call;
    if (!c) return;
    const media = this.client.startMedia(c.callID);
    const { mic, cam } = await capturing;
    if (this.call !== c || media.closed) return;
    // What could not be captured is announced as off, so others see it.
    const off = {};
    if (!cam && c.type === 'video') { this.local.camOn = false; off.camera = false; }
    if (!mic) { this.local.micOn = false; off.microphone = false; }
    if (Object.keys(off).length) {
      const me = c.members.get(this.user.id);
      if (me) Object.assign(me, off);
      this.changed('local', 'members');
      this.client.setDevice({ callID: c.callID, ...off }).catch(() => {});
    }
    const tracks = [mic, cam].filter(Boolean);
    if (tracks.length === 0) return;
    try {
      await media.publish(tracks, { simulcast: this.options.simulcast });
    } catch (err) {
      if (this.call === c) this.toast(`Could not send media: ${err.message}`, 'error');
    }
    this.changed('local');
  },

  /** Turns my microphone on or off (setDevice, and the track stops carrying sound). */
  async setMicrophone(on) {
    const c = this.call;
    if (!c) return;
    if (on && !this.local.mic) {
      try {
        this.local.mic = await captureMic(this.options.audioConstraints);
        await this.client.media(c.callID)?.publish([this.local.mic]);
      } catch (err) {
        this.toast(`Microphone: ${err.message}`, 'error');
        return;
      }
    }
    this._applyMic(on);
    await this.client.setDevice({ callID: c.callID, microphone: on }).catch((err) => this.toast(`Microphone: ${errorText(err)}`, 'error'));
  },

  _applyMic(on) {
    this.local.micOn = on;
    if (this.local.mic) this.local.mic.enabled = on;
    const me = this.call?.members.get(this.user.id);
    if (me) me.microphone = on;
    this.changed('local', 'members');
  },

  /** Turns my camera on (captures it again) or off (stops it: the light goes off). */
  async setCamera(on) {
    const c = this.call;
    if (!c) return;
    if (!on) {
      this._applyCameraOff();
      await this.client.setDevice({ callID: c.callID, camera: false }).catch((err) => this.toast(`Camera: ${errorText(err)}`, 'error'));
      return;
    }
    if (this.local.camOn) return;
    let track;
    try {
      track = await captureCamera(this.options.videoConstraints);
    } catch (err) {
      this.toast(`Camera: ${err.message || err.name}`, 'error');
      return;
    }
    if (this.call !== c) { track.stop(); return; }
    const media = this.client.media(c.callID);
    try {
      if (media && media.localTracks.some((t) => t.source === 'camera')) await media.replaceTrack('camera', track);
      else if (media) await media.publish([track], { simulcast: this.options.simulcast });
    } catch (err) {
      track.stop();
      this.toast(`Camera: ${err.message}`, 'error');
      return;
    }
    this.local.cam = track;
    this.local.camOn = true;
    const me = c.members.get(this.user.id);
    if (me) me.camera = true;
    this.changed('local', 'members');
    await this.client.setDevice({ callID: c.callID, camera: true }).catch((err) => this.toast(`Camera: ${errorText(err)}`, 'error'));
  },

  _applyCameraOff() {
    const c = this.call;
    this.local.camOn = false;
    const old = this.local.cam;
    this.local.cam = null;
    const media = c && this.client.media(c.callID);
    if (media && media.localTracks.some((t) => t.source === 'camera')) media.replaceTrack('camera', null).catch(() => {});
    old?.stop();
    const me = c?.members.get(this.user.id);
    if (me) me.camera = false;
    this.changed('local', 'members');
  },

  /** Starts or stops sharing my screen (published with source `screen`). */
  async setScreenShare(on) {
    const c = this.call;
    if (!c) return;
    const media = this.client.media(c.callID);
    if (!on) {
      const s = this.local.screen;
      this.local.screen = null;
      this.changed('local', 'media');
      s?.getTracks().forEach((t) => t.stop());
      if (media && !media.closed && media.localTracks.some((t) => t.source === 'screen')) await media.unpublish('screen').catch(() => {});
      return;
    }
    if (this.local.screen || !media) return;
    let stream;
    try {
      stream = this.options.screenStream ? await this.options.screenStream() : await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (err) {
      if (err.name !== 'NotAllowedError') this.toast(`Screen sharing: ${err.message}`, 'error');
      return;
    }
    if (this.call !== c) { stream.getTracks().forEach((t) => t.stop()); return; }
    const track = stream.getVideoTracks()[0];
    track.addEventListener('ended', () => { if (this.local.screen === stream) this.setScreenShare(false); });
    this.local.screen = stream;
    this.changed('local', 'media');
    try {
      await media.publish([track], { source: 'screen' });
    } catch (err) {
      this.toast(`Screen sharing: ${err.message}`, 'error');
      this.local.screen = null;
      track.stop();
      this.changed('local', 'media');
    }
  },

  /** Lists audio outputs (for the output picker). */
  audioOutputs() {
    return audioOutputs();
  },

  /**
   * Picks the audio output: the views apply setSinkId to every received
   * audio element; the route (guessed from the label) is announced with setDevice.
   * @param {string} deviceId
   * @param {string} route
   */
  async setAudioOutput(deviceId, route) {
    this.local.audioOutput = deviceId;
    this.local.audioRoute = route;
    this.changed('local');
    if (this.call) {
      await this.client.setDevice({ callID: this.call.callID, audioRoute: route }).catch((err) => this.toast(`Audio output: ${errorText(err)}`, 'error'));
    }
  },


  // ---------- statistics (tests and the UI's speaker detection) ----------

  /**
   * A getStats sample of the call's media: per received track
   * (userID, trackID, source) framesDecoded, packetsReceived,
   * bytesReceived, frame size and audioLevel; per sent track its counters.
   */
  async mediaStats() {
    const c = this.call;
    const m = c && this.client?.media(c.callID);
    if (!m || m.closed) return null;
    const { publisher, subscriber } = await m.getStats();
    const byMid = new Map(m.remoteTracks.map((t) => [t.mid, t]));
    const inbound = [];
    for (const s of subscriber.values()) {
      if (s.type !== 'inbound-rtp') continue;
      const t = byMid.get(s.mid);
      inbound.push({
        kind: s.kind, mid: s.mid, userID: t?.userID ?? null, trackID: t?.trackID ?? null,
        source: t ? this.sourceOf(t.userID, t.trackID, t.kind) : null,
        packetsReceived: s.packetsReceived ?? 0, bytesReceived: s.bytesReceived ?? 0,
        framesDecoded: s.framesDecoded ?? 0, frameWidth: s.frameWidth ?? 0, frameHeight: s.frameHeight ?? 0,
        audioLevel: s.audioLevel ?? null,
      });
    }
    const outbound = [];
    const sources = new Map(m.localTracks.map((t) => [t.mid, t.source]));
    let localAudioLevel = null;
    for (const s of publisher.values()) {
      if (s.type === 'outbound-rtp') {
        outbound.push({
          kind: s.kind, mid: s.mid, rid: s.rid ?? null, source: sources.get(s.mid) ?? null, packetsSent: s.packetsSent ?? 0,
          bytesSent: s.bytesSent ?? 0, framesEncoded: s.framesEncoded ?? 0, frameWidth: s.frameWidth ?? 0,
          qualityLimitationReason: s.qualityLimitationReason ?? null, active: s.active ?? null,
        });
      } else if (s.type === 'media-source' && s.kind === 'audio' && typeof s.audioLevel === 'number') {
        localAudioLevel = Math.max(localAudioLevel ?? 0, s.audioLevel);
      }
    }
    return { at: Date.now(), inbound, outbound, localAudioLevel };
  },
};
