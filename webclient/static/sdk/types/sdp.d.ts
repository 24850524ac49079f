export type MediaSection = {
    /**
     * `audio`, `video` or `application`.
     */
    kind: string;
    /**
     * The m-line port (0 = rejected or stopped).
     */
    port: number;
    /**
     * The `a=mid` value.
     */
    mid: string | null;
    /**
     * `sendrecv`, `sendonly`, `recvonly` or `inactive`.
     */
    direction: string;
    /**
     * Whether the offerer sends media on it (port ≠ 0, sendonly/sendrecv).
     */
    sending: boolean;
    /**
     * From `a=msid:<stream> <track>`;
     * for ringsfu subscriber offers stream = publisher userID, track = trackID.
     */
    msid: {
        stream: string;
        track: string;
    } | null;
};
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
export declare function parseMediaSections(sdp: string): MediaSection[];
