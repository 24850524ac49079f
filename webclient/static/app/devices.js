// Local capture and audio output helpers of the call UI.

/** Default camera constraints (the UI scales tiles; 640×480 keeps CPU modest in group calls). */
export const DEFAULT_VIDEO = Object.freeze({ width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24 } });

/** Default microphone constraints. */
export const DEFAULT_AUDIO = Object.freeze({ echoCancellation: true, noiseSuppression: true, autoGainControl: true });

/**
 * Captures the microphone and, for video calls, the camera. A camera that
 * fails (absent, refused, busy) does not cost the microphone: the call goes
 * on voice-only and the error is returned.
 * @param {{video: boolean, audioConstraints?: object, videoConstraints?: object}} opts
 * @returns {Promise<{mic: MediaStreamTrack|null, cam: MediaStreamTrack|null, errors: Error[]}>}
 */
export async function capture({ video, audioConstraints = DEFAULT_AUDIO, videoConstraints = DEFAULT_VIDEO }) {
  const md = navigator.mediaDevices;
  const errors = [];
  if (!md?.getUserMedia) return { mic: null, cam: null, errors: [new Error('this browser cannot capture media (needs https or localhost)')] };
  try {
    const s = await md.getUserMedia({ audio: audioConstraints, video: video ? videoConstraints : false });
    return { mic: s.getAudioTracks()[0] || null, cam: s.getVideoTracks()[0] || null, errors };
  } catch (err) {
    errors.push(err);
  }
  // One of the two failed: get what we can, separately.
  let mic = null;
  let cam = null;
  try { mic = (await md.getUserMedia({ audio: audioConstraints })).getAudioTracks()[0] || null; } catch (err) { errors.push(err); }
  if (video) {
    try { cam = (await md.getUserMedia({ video: videoConstraints })).getVideoTracks()[0] || null; } catch (err) { errors.push(err); }
  }
  return { mic, cam, errors };
}

/** Captures the camera alone (turning it back on). */
export async function captureCamera(videoConstraints = DEFAULT_VIDEO) {
  const s = await navigator.mediaDevices.getUserMedia({ video: videoConstraints });
  return s.getVideoTracks()[0];
}

/** Captures the microphone alone. */
export async function captureMic(audioConstraints = DEFAULT_AUDIO) {
  const s = await navigator.mediaDevices.getUserMedia({ audio: audioConstraints });
  return s.getAudioTracks()[0];
}

/**
 * Maps an output device label to a protocol `audioRoute`, heuristically
 * (browsers do not say what kind of device an output is).
 * @param {string} label
 * @returns {'speaker'|'headphone'|'bluetooth'|'usb'|'airplay'|'earpiece'}
 */
export function routeForLabel(label = '') {
  const l = label.toLowerCase();
  if (/airplay/.test(l)) return 'airplay';
  if (/bluetooth|airpods|\bbt\b|hands-?free|a2dp|buds/.test(l)) return 'bluetooth';
  if (/usb/.test(l)) return 'usb';
  if (/head(phone|set)|earphone|earbud|headset|line out|jack/.test(l)) return 'headphone';
  if (/earpiece|receiver/.test(l)) return 'earpiece';
  return 'speaker';
}

const ROUTE_TEXT = { speaker: 'Speaker', headphone: 'Headphones', bluetooth: 'Bluetooth', usb: 'USB', airplay: 'AirPlay', earpiece: 'Earpiece' };

/**
 * The audio outputs the page may pick with setSinkId (labels need a granted
 * capture permission). Empty when the browser cannot select outputs.
 * @returns {Promise<Array<{deviceId: string, label: string, route: string, routeText: string}>>}
 */
export async function audioOutputs() {
  if (!('setSinkId' in HTMLMediaElement.prototype) || !navigator.mediaDevices?.enumerateDevices) return [];
  const all = await navigator.mediaDevices.enumerateDevices();
  return all.filter((d) => d.kind === 'audiooutput').map((d, i) => {
    const route = routeForLabel(d.label);
    // Only a route the label names is shown; 'speaker' is merely the guess
    // for a label that says nothing.
    const known = route !== 'speaker' || /speaker|lautsprecher|haut-parleur/i.test(d.label || '');
    return {
      deviceId: d.deviceId,
      label: d.label || (d.deviceId === 'default' ? 'Default output' : `Output ${i + 1}`),
      route,
      routeText: known ? ROUTE_TEXT[route] : '',
    };
  });
}
