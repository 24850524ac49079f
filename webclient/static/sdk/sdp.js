// Small SDP helpers: only what the SDK needs to read from the server's offers.

/**
 * @typedef {object} MediaSection
 * @property {string} kind `audio`, `video` or `application`.
 * @property {number} port The m-line port (0 = rejected or stopped).
 * @property {string|null} mid The `a=mid` value.
 * @property {string} direction `sendrecv`, `sendonly`, `recvonly` or `inactive`.
 * @property {boolean} sending Whether the offerer sends media on it (port ≠ 0, sendonly/sendrecv).
 * @property {{stream: string, track: string}|null} msid From `a=msid:<stream> <track>`;
 *   for ringsfu subscriber offers stream = publisher userID, track = trackID.
 */

/**
 * Splits an SDP into its media sections.
 * @param {string} sdp
 * @returns {MediaSection[]}
 */
export function parseMediaSections(sdp) {
  const out = [];
  let cur = null;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      const [kind, port] = line.slice(2).split(' ');
      cur = { kind, port: Number(port), mid: null, direction: 'sendrecv', sending: false, msid: null };
      out.push(cur);
    } else if (cur) {
      if (line.startsWith('a=mid:')) cur.mid = line.slice(6).trim();
      else if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(line)) cur.direction = line.slice(2);
      else if (line.startsWith('a=msid:') && !cur.msid) {
        const [stream, track] = line.slice(7).trim().split(/\s+/);
        cur.msid = { stream, track: track ?? '' };
      }
    }
  }
  for (const s of out) s.sending = s.port !== 0 && (s.direction === 'sendonly' || s.direction === 'sendrecv');
  return out;
}
