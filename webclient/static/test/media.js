// Media test page. Query: user, name, call, peer, mode (join | invite | accept),
// simulcast=1, relay=udp|tcp|tls (relay candidates only, through the hello
// result's TURN URLs of that transport). Signs in with a dev token, gets into the call, publishes the
// fake camera and microphone, renders every received track, and exposes its
// state on window.__test for the browser tests.
import { RingsfuClient, SERVER_EVENTS } from '/sdk/ringsfu.js';

const q = new URLSearchParams(location.search);
const user = q.get('user') || 'alice';
const name = q.get('name') || user;
const mode = q.get('mode') || 'join';
const peer = q.get('peer') || '';
const simulcast = q.get('simulcast') === '1';
const relay = q.get('relay') || '';
let callID = q.get('call') || '';

const grid = document.getElementById('grid');
const statusEl = document.getElementById('status');

const T = {
  user,
  state: 'starting',
  error: null,
  callID: null,
  hello: null,
  /** The CallState of the join/accept result (null after invite). */
  callState: null,
  /** Server and SDK events: {name, data}. */
  events: [],
  /** Received tracks: {userID, trackID, kind, mid, trackId, frames, removed}. */
  tracks: [],
  /** Video elements of received tracks, by `${userID}/${trackID}`. */
  videos: {},
  /** Reasons of the media session's `mediaReset` events. */
  resets: [],
  client: null,
  media: null,
  local: null,
  stats,
};
window.__test = T;

function setState(s) {
  T.state = s;
  statusEl.textContent = `${user}: ${s}${T.callID ? ` in ${T.callID}` : ''}`;
}

function tile(label, el) {
  const fig = document.createElement('figure');
  const cap = document.createElement('figcaption');
  cap.textContent = label;
  fig.append(el, cap);
  grid.append(fig);
  return fig;
}

function onTrack({ userID, trackID, kind, track, mid }) {
  const rec = { userID, trackID, kind, mid, trackId: track.id, frames: 0, removed: false };
  T.tracks.push(rec);
  if (kind === 'video') {
    const v = document.createElement('video');
    v.autoplay = true;
    v.playsInline = true;
    v.muted = true;
    v.dataset.userId = userID;
    v.dataset.trackId = trackID;
    v.srcObject = new MediaStream([track]);
    const count = () => {
      rec.frames++;
      v.requestVideoFrameCallback(count);
    };
    v.requestVideoFrameCallback(count);
    T.videos[`${userID}/${trackID}`] = v;
    rec.tile = tile(`${userID} · ${trackID} (mid ${mid})`, v);
  } else {
    const a = document.createElement('audio');
    a.autoplay = true;
    a.srcObject = new MediaStream([track]);
    document.body.append(a);
    rec.audio = a;
  }
}

function onTrackRemoved({ userID, trackID, mid }) {
  for (const rec of T.tracks) {
    if (rec.userID === userID && rec.trackID === trackID && rec.mid === mid && !rec.removed) {
      rec.removed = true;
      rec.tile?.remove();
      rec.audio?.remove();
      delete T.videos[`${userID}/${trackID}`];
    }
  }
}

/** The selected candidate pair of a PeerConnection's stats, with both addresses. */
function selectedPair(report) {
  let pair = null;
  for (const s of report.values()) {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId);
  }
  if (!pair) {
    for (const s of report.values()) if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
  }
  if (!pair) return null;
  const local = report.get(pair.localCandidateId) || {};
  const remote = report.get(pair.remoteCandidateId) || {};
  let srtpCipher = null;
  for (const s of report.values()) if (s.type === 'transport' && s.srtpCipher) srtpCipher = s.srtpCipher;
  return {
    state: pair.state,
    srtpCipher,
    local: {
      address: local.address ?? local.ip ?? null, port: local.port, type: local.candidateType, protocol: local.protocol,
      relayProtocol: local.relayProtocol ?? null, url: local.url ?? null,
    },
    remote: { address: remote.address ?? remote.ip ?? null, port: remote.port, type: remote.candidateType, protocol: remote.protocol },
  };
}

/**
 * A getStats sample: per received track framesDecoded / packetsReceived
 * (and videoWidth of its element), per sent track counters, and the
 * selected candidate pair of both PeerConnections.
 */
async function stats() {
  const m = T.media;
  if (!m) return null;
  const { publisher, subscriber } = await m.getStats();
  const byMid = new Map(m.remoteTracks.map((t) => [t.mid, t]));
  const inbound = [];
  for (const s of subscriber.values()) {
    if (s.type !== 'inbound-rtp') continue;
    const t = byMid.get(s.mid);
    const el = t ? T.videos[`${t.userID}/${t.trackID}`] : undefined;
    inbound.push({
      kind: s.kind, mid: s.mid, userID: t?.userID ?? null, trackID: t?.trackID ?? null,
      packetsReceived: s.packetsReceived ?? 0, bytesReceived: s.bytesReceived ?? 0,
      framesDecoded: s.framesDecoded ?? 0, frameWidth: s.frameWidth ?? 0, frameHeight: s.frameHeight ?? 0,
      videoWidth: el?.videoWidth ?? 0, videoHeight: el?.videoHeight ?? 0,
      audioLevel: s.audioLevel ?? null,
    });
  }
  const outbound = [];
  for (const s of publisher.values()) {
    if (s.type !== 'outbound-rtp') continue;
    outbound.push({ kind: s.kind, mid: s.mid, rid: s.rid ?? null, packetsSent: s.packetsSent ?? 0, framesEncoded: s.framesEncoded ?? 0, frameWidth: s.frameWidth ?? 0 });
  }
  return {
    at: Date.now(),
    inbound,
    outbound,
    subscriberPair: selectedPair(subscriber),
    publisherPair: selectedPair(publisher),
    connectionState: { publisher: m.publisher.connectionState, subscriber: m.subscriber.connectionState },
  };
}

/**
 * An RTCConfiguration that connects only through the hello result's TURN
 * URLs of one transport: udp (turn:…?transport=udp), tcp
 * (turn:…?transport=tcp) or tls (turns:).
 */
function relayConfig(iceServers, transport) {
  const want = (u) => (transport === 'tls' ? u.startsWith('turns:')
    : u.startsWith('turn:') && u.endsWith(`?transport=${transport}`));
  const servers = iceServers
    .map((s) => ({ ...s, urls: [].concat(s.urls).filter(want) }))
    .filter((s) => s.urls.length > 0);
  if (servers.length === 0) throw new Error(`no ${transport} TURN URL in the hello result: ${JSON.stringify(iceServers)}`);
  return { iceServers: servers, iceTransportPolicy: 'relay' };
}

async function main() {
  const res = await fetch(`/dev/token?user=${encodeURIComponent(user)}&name=${encodeURIComponent(name)}`);
  if (!res.ok) throw new Error(`dev token: ${res.status}`);
  const { token } = await res.json();

  const client = new RingsfuClient();
  T.client = client;
  for (const ev of [...SERVER_EVENTS, 'connected', 'reconnecting', 'reconnected', 'disconnected', 'error', 'mediaState']) {
    client.on(ev, (data) => T.events.push({ name: ev, data: ev === 'error' ? { code: data.code, message: data.message } : data }));
  }
  client.on('track', onTrack);
  client.on('trackRemoved', onTrackRemoved);

  setState('connecting');
  T.hello = await client.connect({ token, deviceId: `media-${user}` });

  setState('entering call');
  if (mode === 'join') {
    T.callState = await client.join({ callID, type: 'video' });
  } else if (mode === 'invite') {
    const r = await client.invite({ invitees: [{ id: peer, name: peer }], type: 'video', callID: callID || undefined });
    callID = r.callID;
  } else if (mode === 'accept') {
    const pending = T.hello.pendingInvitations.find((i) => !callID || i.callID === callID);
    const inv = pending || await client.waitFor('incomingCall', { filter: (i) => !callID || i.callID === callID, timeoutMs: 30000 });
    callID = inv.callID;
    T.callState = await client.accept({ callID });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  T.callID = callID;

  // Start media before the local capture: the server's subscriber offer may
  // already be on its way (the SDK buffers it until then anyway).
  T.media = client.startMedia(callID, relay ? { rtcConfig: relayConfig(T.hello.iceServers, relay) } : {});
  T.media.on('error', (err) => T.events.push({ name: 'mediaError', data: { code: err.code, message: err.message } }));
  T.media.on('mediaReset', ({ reason }) => T.resets.push(reason));

  setState('capturing');
  T.local = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
  const self = document.createElement('video');
  self.autoplay = true;
  self.muted = true;
  self.playsInline = true;
  self.srcObject = T.local;
  tile(`${user} (local)`, self);

  setState('publishing');
  T.published = (await T.media.publish(T.local, { simulcast })).map(({ mid, source }) => ({ mid, source }));
  setState('published');
}

main().catch((err) => {
  T.error = { code: err.code ?? null, message: String(err.message || err) };
  setState(`failed: ${T.error.code ?? ''} ${T.error.message}`);
});
