// MediaSession: a call member's two PeerConnections (PROTOCOL.md §6).
// The publisher PC sends (the client offers, the server answers); the
// subscriber PC receives (the server offers, the client answers).

import { Emitter } from './emitter.js';
import { RingsfuError } from './errors.js';
import { parseMediaSections } from './sdp.js';

/** Default simulcast layers, low to high (rids of PROTOCOL.md §6). */
export const DEFAULT_SIMULCAST = Object.freeze([
  Object.freeze({ rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 }),
  Object.freeze({ rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 }),
  Object.freeze({ rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 }),
]);

const SOURCES = new Set(['camera', 'microphone', 'screen']);

/**
 * One side of the media session: a PeerConnection with its negotiation
 * queue and the candidates held back in either direction.
 */
class Side {
  constructor(target, pc) {
    this.target = target;
    this.pc = pc;
    /** Serializes negotiations on this PC. */
    this.chain = Promise.resolve();
    /** Remote candidates that arrived before the remote description. */
    this.remoteCandidates = [];
    /** Local candidates held until our first SDP of this PC went out. */
    this.localCandidates = [];
    this.sdpSent = false;
  }

  enqueue(fn) {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => {});
    return run;
  }
}

/**
 * The media of one call for one member: created by
 * {@link RingsfuClient#startMedia}.
 *
 * Events:
 * - `track` `{userID, trackID, kind, track, stream, mid, transceiver}` — a
 *   received track; `userID`/`trackID` come from the msid
 *   `<userID> <trackID>` of the subscriber SDP;
 * - `trackRemoved` `{userID, trackID, kind, track, stream, mid}` — the server
 *   stopped sending it (renegotiated away);
 * - `mediaState` `{callID, target, state}` — a PeerConnection's
 *   connectionState changed (`target` is `publisher` or `subscriber`);
 * - `mediaReset` `{callID, reason}` — the session replaced both
 *   PeerConnections and published its tracks again (PROTOCOL.md §9):
 *   `reason` is the server's (`peerFailed`, `ownerChanged`, …) or `failed`
 *   / `resumed` / `requested` when the session asked for it itself; the
 *   remote tracks were reported removed and come back as new `track` events;
 * - `publisherLayers` `{callID, trackID, mid, active}` — the server asked
 *   this device to send only the simulcast layers `active` (rids) of the
 *   published track on `mid` (PROTOCOL.md §9.2); the session already set
 *   the other encodings `active: false` (`RTCRtpSender.setParameters`);
 * - `error` — a negotiation failure that no caller could receive (for
 *   example answering a server offer); payload is an Error with `.code`;
 * - `closed` — after {@link MediaSession#close}.
 */
export class MediaSession extends Emitter {
  /**
   * Use {@link RingsfuClient#startMedia} instead of calling this directly.
   * @param {import('./client.js').RingsfuClient} client
   * @param {string} callID
   * @param {{iceServers?: RTCIceServer[], rtcConfig?: RTCConfiguration}} [opts]
   */
  constructor(client, callID, { iceServers = [], rtcConfig = {} } = {}) {
    super();
    this.client = client;
    this.callID = callID;
    this.closed = false;
    this._config = { iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require', ...rtcConfig };
    /**
     * True when the ICE servers are the client's (its latest hello result):
     * TURN credentials there are per session and expire, so new
     * PeerConnections (a media reset) take the current ones.
     */
    this._helloIce = !(rtcConfig && 'iceServers' in rtcConfig);
    /** Generation of the PeerConnections; a media reset increments it. */
    this._gen = 0;
    /** True while a reset the session asked for waits for its result. */
    this._asking = false;
    /** Set while the publisher offer of a rebuild awaits its reply (see handleSignal). */
    this._rebuildOffer = null;
    this._lastAsk = 0;
    this._backoffMs = 0;
    this._createPeerConnections();
    /** @type {Map<RTCRtpTransceiver, {track: MediaStreamTrack, source: string, stream: MediaStream, init: RTCRtpTransceiverInit, videoCodec?: string}>} */
    this._published = new Map();
    /** mid → parsed media section of the latest subscriber offer. */
    this._remoteSections = new Map();
    /** mid → the `track` event payload delivered for it. */
    this._received = new Map();
    /** userID → a MediaStream the SDK made when the browser gave none. */
    this._userStreams = new Map();
  }

  /** Creates (or replaces) both PeerConnections, one generation. */
  _createPeerConnections() {
    this._gen++;
    if (this._helloIce && Array.isArray(this.client.iceServers)) this._config.iceServers = this.client.iceServers;
    /** @type {RTCPeerConnection} Sends this member's tracks. */
    this.publisher = new RTCPeerConnection(this._config);
    /** @type {RTCPeerConnection} Receives the other members' tracks. */
    this.subscriber = new RTCPeerConnection(this._config);
    this._pub = new Side('publisher', this.publisher);
    this._sub = new Side('subscriber', this.subscriber);
    for (const side of [this._pub, this._sub]) this._wire(side);
    this.subscriber.ontrack = (ev) => this._onRemoteTrack(ev);
  }

  /**
   * Every track received so far and not removed.
   * @returns {Array<{userID: string, trackID: string, kind: string, track: MediaStreamTrack, stream: MediaStream, mid: string}>}
   */
  get remoteTracks() {
    return [...this._received.values()];
  }

  /**
   * Every track this member publishes.
   * @returns {Array<{mid: string|null, source: string, track: MediaStreamTrack}>}
   */
  get localTracks() {
    return [...this._published.entries()].map(([t, p]) => ({ mid: t.mid, source: p.source, track: p.track }));
  }

  /**
   * Publishes the tracks of `stream` (or an array of tracks): adds them to
   * the publisher PeerConnection and negotiates, sending the `offer` request
   * with the mid → source list. Audio tracks default to source
   * `microphone`, video tracks to `camera`.
   * @param {MediaStream|MediaStreamTrack[]} stream What to publish.
   * @param {object} [opts]
   * @param {boolean|RTCRtpEncodingParameters[]} [opts.simulcast=false] Send video as simulcast:
   *   `true` uses layers q/h/f at 1/4, 1/2 and full resolution; or give the encodings.
   * @param {'camera'|'microphone'|'screen'} [opts.source] Source for every track of the stream.
   * @param {Object<string, 'camera'|'microphone'|'screen'>} [opts.sources] Source per track id.
   * @param {string} [opts.videoCodec] Preferred video codec MIME type, e.g. `video/H264`.
   * @returns {Promise<Array<{mid: string, source: string, track: MediaStreamTrack}>>} What was added.
   */
  async publish(stream, opts = {}) {
    this._assertOpen();
    const tracks = Array.isArray(stream) ? stream : stream.getTracks();
    const msid = Array.isArray(stream) ? new MediaStream(stream) : stream;
    const added = [];
    for (const track of tracks) {
      const source = opts.sources?.[track.id] || opts.source || (track.kind === 'audio' ? 'microphone' : 'camera');
      if (!SOURCES.has(source)) throw new RingsfuError('bad_request', `unknown source ${source}`);
      const init = { direction: 'sendonly', streams: [msid] };
      if (track.kind === 'video' && opts.simulcast) {
        init.sendEncodings = (Array.isArray(opts.simulcast) ? opts.simulcast : DEFAULT_SIMULCAST).map((e) => ({ ...e }));
      }
      const transceiver = this.publisher.addTransceiver(track, init);
      const videoCodec = track.kind === 'video' ? opts.videoCodec : undefined;
      if (videoCodec) preferCodec(transceiver, videoCodec);
      this._published.set(transceiver, { track, source, stream: msid, init, videoCodec });
      added.push(transceiver);
    }
    try {
      await this._negotiatePublisher();
    } catch (err) {
      // Not published after all: forget the tracks so a retry starts clean.
      for (const t of added) {
        this._published.delete(t);
        try { this.publisher.removeTrack(t.sender); } catch { /* closed */ }
      }
      throw err;
    }
    return added.map((t) => ({ mid: t.mid, source: this._published.get(t)?.source, track: t.sender.track }));
  }

  /**
   * Stops publishing: removes the matching tracks from the publisher and
   * renegotiates. The tracks themselves are not stopped.
   * @param {MediaStream|MediaStreamTrack|string} what A stream (all its
   *   tracks), a track, or a source name (`camera`, `microphone`, `screen`).
   * @returns {Promise<void>}
   */
  async unpublish(what) {
    this._assertOpen();
    const victims = this._find(what);
    if (victims.length === 0) throw new RingsfuError('not_found', 'unpublish: nothing published matches');
    for (const t of victims) {
      this._published.delete(t);
      try { this.publisher.removeTrack(t.sender); } catch { /* already removed */ }
    }
    await this._negotiatePublisher();
  }

  /**
   * Replaces a published track with another of the same kind (e.g. another
   * camera), without renegotiation. `null` sends nothing until replaced again.
   * @param {MediaStreamTrack|string} oldTrackOrSource The published track, or its source name.
   * @param {MediaStreamTrack|null} newTrack The new track.
   * @returns {Promise<void>}
   */
  async replaceTrack(oldTrackOrSource, newTrack) {
    this._assertOpen();
    const [t] = this._find(oldTrackOrSource);
    if (!t) throw new RingsfuError('not_found', 'replaceTrack: nothing published matches');
    await t.sender.replaceTrack(newTrack);
    const entry = this._published.get(t);
    if (newTrack) entry.track = newTrack;
  }

  /**
   * Statistics of both PeerConnections.
   * @returns {Promise<{publisher: RTCStatsReport, subscriber: RTCStatsReport}>}
   */
  async getStats() {
    const [publisher, subscriber] = await Promise.all([this.publisher.getStats(), this.subscriber.getStats()]);
    return { publisher, subscriber };
  }

  /**
   * Closes both PeerConnections (local tracks are left running: they belong
   * to the application). Idempotent.
   */
  close() {
    if (this.closed) return;
    this.closed = true;
    this.publisher.close();
    this.subscriber.close();
    for (const info of this._received.values()) this.emit('trackRemoved', publicInfo(info));
    this._received.clear();
    this.emit('closed', { callID: this.callID });
  }

  /**
   * Feeds a server `offer`, `trickle`, `mediaReset` or `publisherLayers`
   * event of this call into the session. Called by the client;
   * applications need not call it.
   * @param {'offer'|'trickle'|'mediaReset'|'publisherLayers'} type
   * @param {object} data
   */
  handleSignal(type, data) {
    if (this.closed) return;
    // While a reset the session asked for waits for its result, the
    // server's events belong to the media being dropped (PROTOCOL.md §9).
    if (this._asking) return;
    // A reset that arrives while the publisher offer of a rebuild awaits
    // its reply was sent before the server took that offer: it concerns
    // the media being replaced (a call taken over tells ownerChanged both
    // when restored and when the device attaches) and is void.
    if (type === 'mediaReset' && this._rebuildOffer) return;
    if (type === 'mediaReset') {
      this._rebuild(data.reason || 'server');
    } else if (type === 'publisherLayers') {
      const gen = this._gen;
      this._pub.enqueue(() => (gen === this._gen ? this._applyLayers(data) : undefined))
        .catch((err) => this.emit('error', err));
    } else if (type === 'offer') {
      if (data.target !== 'subscriber') return;
      const gen = this._gen;
      this._sub.enqueue(() => (gen === this._gen ? this._answerSubscriber(data.sdp) : undefined))
        .catch((err) => this.emit('error', err));
    } else if (type === 'trickle') {
      const side = data.target === 'publisher' ? this._pub : data.target === 'subscriber' ? this._sub : null;
      if (side) this._addRemoteCandidate(side, data.candidate);
    }
  }

  /**
   * Asks the server to drop this member's media and starts it again on new
   * PeerConnections (`mediaReset` request, PROTOCOL.md §9). The session
   * does it by itself when one of its PeerConnections fails and after a
   * resume that finds one failed. Repeated resets are paced (up to 4 s
   * apart).
   * @param {string} [why='requested'] Reported in the `mediaReset` event.
   * @returns {Promise<void>}
   */
  async reset(why = 'requested') {
    this._assertOpen();
    if (this._asking) return;
    this._asking = true;
    try {
      const wait = this._lastAsk + this._backoffMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (this.closed) return;
      this._backoffMs = Math.min(Math.max(2 * this._backoffMs, 500), 4000);
      this._lastAsk = Date.now();
      await this.client.request('mediaReset', { callID: this.callID });
    } finally {
      this._asking = false;
    }
    // The result arrived; this continuation runs before any later message
    // is handled, so the next server offer meets the new subscriber PC.
    this._rebuild(why);
  }

  /**
   * Checks both PeerConnections (after a resume) and resets the media if
   * one failed or was closed meanwhile.
   */
  checkConnections() {
    if (this.closed) return;
    const lost = [this.publisher, this.subscriber].some((pc) => pc.connectionState === 'failed' || pc.connectionState === 'closed');
    if (lost) this.reset('resumed').catch((err) => this.emit('error', err));
  }

  // ---- internals ----

  /**
   * Pauses the simulcast encodings of the published track on `data.mid`
   * that `data.active` does not name and resumes those it names
   * (PROTOCOL.md §9.2): the browser stops encoding and sending a paused
   * layer; the server asks for a keyframe when it resumes.
   */
  async _applyLayers(data) {
    const active = Array.isArray(data.active) ? data.active : [];
    const t = this.publisher.getTransceivers().find((x) => x.mid === data.mid && x.sender.track);
    if (!t) return;
    const params = t.sender.getParameters();
    if (!params.encodings || params.encodings.length < 2) return;
    let changed = false;
    for (const e of params.encodings) {
      const on = e.rid ? active.includes(e.rid) : true;
      if (e.active !== on) {
        e.active = on;
        changed = true;
      }
    }
    if (changed) await t.sender.setParameters(params);
    this.emit('publisherLayers', { callID: this.callID, trackID: data.trackID, mid: data.mid, active });
  }

  /**
   * Replaces both PeerConnections: the remote tracks are reported removed,
   * the published tracks are added to the new publisher PC and offered.
   */
  _rebuild(reason) {
    if (this.closed) return;
    const oldPub = this.publisher;
    const oldSub = this.subscriber;
    this._createPeerConnections();
    oldPub.close();
    oldSub.close();
    for (const info of this._received.values()) this.emit('trackRemoved', publicInfo(info));
    this._received.clear();
    this._remoteSections = new Map();
    const published = [...this._published.values()];
    this._published.clear();
    for (const p of published) {
      const init = { ...p.init, streams: [p.stream] };
      if (init.sendEncodings) init.sendEncodings = init.sendEncodings.map((e) => ({ ...e }));
      const transceiver = this.publisher.addTransceiver(p.track, init);
      if (p.videoCodec) preferCodec(transceiver, p.videoCodec);
      this._published.set(transceiver, p);
    }
    this.emit('mediaReset', { callID: this.callID, reason });
    if (published.length > 0) {
      const mark = {};
      this._rebuildOffer = mark;
      const replied = () => { if (this._rebuildOffer === mark) this._rebuildOffer = null; };
      this._negotiatePublisher(replied).catch((err) => { replied(); this.emit('error', err); });
    }
  }

  _assertOpen() {
    if (this.closed) throw new RingsfuError('closed', 'media session closed');
  }

  _find(what) {
    const out = [];
    for (const [t, p] of this._published) {
      if (typeof what === 'string' ? p.source === what
        : what instanceof MediaStream ? p.stream === what || what.getTracks().includes(p.track)
          : p.track === what) out.push(t);
    }
    return out;
  }

  _wire(side) {
    const { pc, target } = side;
    pc.onicecandidate = (ev) => {
      if (ev.candidate && !ev.candidate.candidate) return; // end-of-generation marker
      const candidate = ev.candidate
        ? { candidate: ev.candidate.candidate, sdpMid: ev.candidate.sdpMid, sdpMLineIndex: ev.candidate.sdpMLineIndex }
        : null;
      if (side.sdpSent) this._sendCandidate(side, candidate);
      else side.localCandidates.push(candidate);
    };
    pc.onconnectionstatechange = () => {
      const state = pc.connectionState;
      if (state === 'connected' && side === this._pub) this._backoffMs = 0;
      this.emit('mediaState', { callID: this.callID, target, state });
      if (state === 'failed' && (side === this._pub || side === this._sub) && !this.closed) {
        this.reset('failed').catch((err) => this.emit('error', err));
      }
    };
  }

  _sendCandidate(side, candidate) {
    if (this.closed) return;
    this.client.request('trickle', { callID: this.callID, target: side.target, candidate })
      .catch((err) => { if (!this.closed) this.emit('error', err); });
  }

  /** Our SDP of this PC went out: candidates may follow it now. */
  _sdpSent(side) {
    if (side.sdpSent) return;
    side.sdpSent = true;
    const held = side.localCandidates;
    side.localCandidates = [];
    for (const c of held) this._sendCandidate(side, c);
  }

  _addRemoteCandidate(side, candidate) {
    if (!candidate || !candidate.candidate) return; // end of candidates: nothing to do
    if (!side.pc.remoteDescription) {
      side.remoteCandidates.push(candidate);
      return;
    }
    side.pc.addIceCandidate(candidate).catch((err) => this.emit('error', err));
  }

  async _flushRemoteCandidates(side) {
    const queued = side.remoteCandidates;
    side.remoteCandidates = [];
    for (const c of queued) {
      try { await side.pc.addIceCandidate(c); } catch (err) { this.emit('error', err); }
    }
  }

  /** @param {() => void} [onReply] runs once the offer's reply (or error) is handled. */
  _negotiatePublisher(onReply) {
    return this._pub.enqueue(async () => {
      this._assertOpen();
      const pc = this.publisher;
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      const tracks = [];
      for (const [t, p] of this._published) {
        if (t.mid !== null) tracks.push({ mid: t.mid, source: p.source });
      }
      let res;
      try {
        res = await this.client.request('offer', {
          callID: this.callID, target: 'publisher', sdp: pc.localDescription.sdp, tracks,
        });
        onReply?.();
      } catch (err) {
        onReply?.();
        if (!this.closed && pc.signalingState === 'have-local-offer') {
          await pc.setLocalDescription({ type: 'rollback' }).catch(() => {});
        }
        throw err;
      }
      this._assertOpen();
      await pc.setRemoteDescription({ type: 'answer', sdp: res.sdp });
      await this._flushRemoteCandidates(this._pub);
      this._sdpSent(this._pub);
    });
  }

  async _answerSubscriber(sdp) {
    this._assertOpen();
    const pc = this.subscriber;
    const sections = parseMediaSections(sdp);
    this._remoteSections = new Map(sections.filter((s) => s.mid !== null).map((s) => [s.mid, s]));
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await this._flushRemoteCandidates(this._sub);
    this._dropRemovedTracks();
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    // The answer goes out before any candidate (README.md § Testing, pitfall 1).
    const sent = this.client.request('answer', { callID: this.callID, target: 'subscriber', sdp: pc.localDescription.sdp });
    this._sdpSent(this._sub);
    await sent;
  }

  _onRemoteTrack(ev) {
    const mid = ev.transceiver?.mid ?? null;
    const section = mid !== null ? this._remoteSections.get(mid) : undefined;
    const userID = section?.msid?.stream ?? ev.streams[0]?.id ?? '';
    const trackID = section?.msid?.track ?? ev.track.id;
    let stream = ev.streams.find((s) => s.id === userID) || ev.streams[0];
    if (!stream) {
      stream = this._userStreams.get(userID);
      if (!stream) this._userStreams.set(userID, (stream = new MediaStream()));
      stream.addTrack(ev.track);
    }
    const previous = this._received.get(mid);
    if (previous && previous.track !== ev.track) this.emit('trackRemoved', publicInfo(previous));
    const info = { userID, trackID, kind: ev.track.kind, track: ev.track, stream, mid, transceiver: ev.transceiver };
    this._received.set(mid, info);
    this.emit('track', info);
  }

  /** After a renegotiation: report tracks whose m-section stopped sending or changed msid. */
  _dropRemovedTracks() {
    for (const [mid, info] of this._received) {
      const s = this._remoteSections.get(mid);
      const gone = !s || !s.sending || !s.msid || s.msid.stream !== info.userID || s.msid.track !== info.trackID;
      if (!gone) continue;
      this._received.delete(mid);
      const own = this._userStreams.get(info.userID);
      if (own && own === info.stream) own.removeTrack(info.track);
      this.emit('trackRemoved', publicInfo(info));
    }
  }
}

function publicInfo(info) {
  const { userID, trackID, kind, track, stream, mid } = info;
  return { userID, trackID, kind, track, stream, mid };
}

function preferCodec(transceiver, mimeType) {
  if (typeof transceiver.setCodecPreferences !== 'function' || !globalThis.RTCRtpSender?.getCapabilities) return;
  const caps = RTCRtpSender.getCapabilities('video');
  if (!caps) return;
  const want = mimeType.toLowerCase();
  const first = caps.codecs.filter((c) => c.mimeType.toLowerCase() === want);
  if (first.length === 0) throw new RingsfuError('bad_request', `codec ${mimeType} not supported by this browser`);
  const rest = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== want);
  transceiver.setCodecPreferences([...first, ...rest]);
}
