import { Emitter } from './emitter.js';
/** Default simulcast layers, low to high (rids of PROTOCOL.md §6). */
export declare const DEFAULT_SIMULCAST: readonly (Readonly<{
    rid: "q";
    scaleResolutionDownBy: 4;
    maxBitrate: 150000;
}> | Readonly<{
    rid: "h";
    scaleResolutionDownBy: 2;
    maxBitrate: 500000;
}> | Readonly<{
    rid: "f";
    scaleResolutionDownBy: 1;
    maxBitrate: 1500000;
}>)[];
/**
 * One side of the media session: a PeerConnection with its negotiation
 * queue and the candidates held back in either direction.
 */
declare class Side {
    target: any;
    pc: any;
    /** Serializes negotiations on this PC. */
    chain: Promise<void>;
    /** Remote candidates that arrived before the remote description. */
    remoteCandidates: any[];
    /** Local candidates held until our first SDP of this PC went out. */
    localCandidates: any[];
    sdpSent: boolean;
    constructor(target: any, pc: any);
    enqueue(fn: any): Promise<void>;
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
export declare class MediaSession extends Emitter {
    client: import("./client.js").RingsfuClient;
    callID: string;
    closed: boolean;
    _config: {
        certificates?: RTCCertificate[];
        iceCandidatePoolSize?: number;
        iceTransportPolicy?: RTCIceTransportPolicy;
        iceServers: RTCIceServer[];
        bundlePolicy: string;
        rtcpMuxPolicy: string;
    };
    /**
     * True when the ICE servers are the client's (its latest hello result):
     * TURN credentials there are per session and expire, so new
     * PeerConnections (a media reset) take the current ones.
     */
    _helloIce: boolean;
    /** Generation of the PeerConnections; a media reset increments it. */
    _gen: number;
    /** True while a reset the session asked for waits for its result. */
    _asking: boolean;
    /** Set while the publisher offer of a rebuild awaits its reply (see handleSignal). */
    _rebuildOffer: {} | null;
    _lastAsk: number;
    _backoffMs: number;
    /** @type {Map<RTCRtpTransceiver, {track: MediaStreamTrack, source: string, stream: MediaStream, init: RTCRtpTransceiverInit, videoCodec?: string}>} */
    _published: Map<RTCRtpTransceiver, {
        track: MediaStreamTrack;
        source: string;
        stream: MediaStream;
        init: RTCRtpTransceiverInit;
        videoCodec?: string;
    }>;
    /** mid → parsed media section of the latest subscriber offer. */
    _remoteSections: Map<any, any>;
    /** mid → the `track` event payload delivered for it. */
    _received: Map<any, any>;
    /** userID → a MediaStream the SDK made when the browser gave none. */
    _userStreams: Map<any, any>;
    /** @type {RTCPeerConnection} Sends this member's tracks. */
    publisher: RTCPeerConnection;
    /** @type {RTCPeerConnection} Receives the other members' tracks. */
    subscriber: RTCPeerConnection;
    _pub: Side | undefined;
    _sub: Side | undefined;
    /**
     * Use {@link RingsfuClient#startMedia} instead of calling this directly.
     * @param {import('./client.js').RingsfuClient} client
     * @param {string} callID
     * @param {{iceServers?: RTCIceServer[], rtcConfig?: RTCConfiguration}} [opts]
     */
    constructor(client: import('./client.js').RingsfuClient, callID: string, { iceServers, rtcConfig }?: {
        iceServers?: RTCIceServer[];
        rtcConfig?: RTCConfiguration;
    });
    /** Creates (or replaces) both PeerConnections, one generation. */
    _createPeerConnections(): void;
    /**
     * Every track received so far and not removed.
     * @returns {Array<{userID: string, trackID: string, kind: string, track: MediaStreamTrack, stream: MediaStream, mid: string}>}
     */
    get remoteTracks(): Array<{
        userID: string;
        trackID: string;
        kind: string;
        track: MediaStreamTrack;
        stream: MediaStream;
        mid: string;
    }>;
    /**
     * Every track this member publishes.
     * @returns {Array<{mid: string|null, source: string, track: MediaStreamTrack}>}
     */
    get localTracks(): Array<{
        mid: string | null;
        source: string;
        track: MediaStreamTrack;
    }>;
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
    publish(stream: MediaStream | MediaStreamTrack[], opts?: {
        simulcast?: boolean | RTCRtpEncodingParameters[];
        source?: 'camera' | 'microphone' | 'screen';
        sources?: Record<string, "camera" | "microphone" | "screen">;
        videoCodec?: string;
    }): Promise<Array<{
        mid: string;
        source: string;
        track: MediaStreamTrack;
    }>>;
    /**
     * Stops publishing: removes the matching tracks from the publisher and
     * renegotiates. The tracks themselves are not stopped.
     * @param {MediaStream|MediaStreamTrack|string} what A stream (all its
     *   tracks), a track, or a source name (`camera`, `microphone`, `screen`).
     * @returns {Promise<void>}
     */
    unpublish(what: MediaStream | MediaStreamTrack | string): Promise<void>;
    /**
     * Replaces a published track with another of the same kind (e.g. another
     * camera), without renegotiation. `null` sends nothing until replaced again.
     * @param {MediaStreamTrack|string} oldTrackOrSource The published track, or its source name.
     * @param {MediaStreamTrack|null} newTrack The new track.
     * @returns {Promise<void>}
     */
    replaceTrack(oldTrackOrSource: MediaStreamTrack | string, newTrack: MediaStreamTrack | null): Promise<void>;
    /**
     * Statistics of both PeerConnections.
     * @returns {Promise<{publisher: RTCStatsReport, subscriber: RTCStatsReport}>}
     */
    getStats(): Promise<{
        publisher: RTCStatsReport;
        subscriber: RTCStatsReport;
    }>;
    /**
     * Closes both PeerConnections (local tracks are left running: they belong
     * to the application). Idempotent.
     */
    close(): void;
    /**
     * Feeds a server `offer`, `trickle`, `mediaReset` or `publisherLayers`
     * event of this call into the session. Called by the client;
     * applications need not call it.
     * @param {'offer'|'trickle'|'mediaReset'|'publisherLayers'} type
     * @param {object} data
     */
    handleSignal(type: 'offer' | 'trickle' | 'mediaReset' | 'publisherLayers', data: object): void;
    /**
     * Asks the server to drop this member's media and starts it again on new
     * PeerConnections (`mediaReset` request, PROTOCOL.md §9). The session
     * does it by itself when one of its PeerConnections fails and after a
     * resume that finds one failed. Repeated resets are paced (up to 4 s
     * apart).
     * @param {string} [why='requested'] Reported in the `mediaReset` event.
     * @returns {Promise<void>}
     */
    reset(why?: string): Promise<void>;
    /**
     * Checks both PeerConnections (after a resume) and resets the media if
     * one failed or was closed meanwhile.
     */
    checkConnections(): void;
    /**
     * Pauses the simulcast encodings of the published track on `data.mid`
     * that `data.active` does not name and resumes those it names
     * (PROTOCOL.md §9.2): the browser stops encoding and sending a paused
     * layer; the server asks for a keyframe when it resumes.
     */
    _applyLayers(data: any): Promise<void>;
    /**
     * Replaces both PeerConnections: the remote tracks are reported removed,
     * the published tracks are added to the new publisher PC and offered.
     */
    _rebuild(reason: any): void;
    _assertOpen(): void;
    _find(what: any): RTCRtpTransceiver[];
    _wire(side: any): void;
    _sendCandidate(side: any, candidate: any): void;
    /** Our SDP of this PC went out: candidates may follow it now. */
    _sdpSent(side: any): void;
    _addRemoteCandidate(side: any, candidate: any): void;
    _flushRemoteCandidates(side: any): Promise<void>;
    /** @param {() => void} [onReply] runs once the offer's reply (or error) is handled. */
    _negotiatePublisher(onReply?: () => void): Promise<void>;
    _answerSubscriber(sdp: any): Promise<void>;
    _onRemoteTrack(ev: any): void;
    /** After a renegotiation: report tracks whose m-section stopped sending or changed msid. */
    _dropRemovedTracks(): void;
}
export {};
