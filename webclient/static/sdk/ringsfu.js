// ringsfu browser SDK — entry point. Plain ES modules, no build step, no UI.
//
//   import { RingsfuClient } from '/sdk/ringsfu.js';
//   const client = new RingsfuClient();
//   await client.connect({ token });
//   client.on('incomingCall', (inv) => client.accept(inv.callID));
//   const media = client.startMedia(callID);
//   media.on('track', ({ userID, trackID, track, stream }) => { /* attach stream */ });
//   await media.publish(await navigator.mediaDevices.getUserMedia({ audio: true, video: true }));

export { RingsfuClient, PROTOCOL_VERSION, SERVER_EVENTS } from './client.js';
export { MediaSession, DEFAULT_SIMULCAST } from './media.js';
export { RingsfuError } from './errors.js';
export { Emitter } from './emitter.js';
export { parseMediaSections } from './sdp.js';

// Types for TypeScript users (types/ringsfu.d.ts is generated from the JSDoc).
/** @typedef {import('./client.js').User} User */
/** @typedef {import('./client.js').IceServer} IceServer */
/** @typedef {import('./client.js').HelloResult} HelloResult */
/** @typedef {import('./client.js').RequestOptions} RequestOptions */
/** @typedef {import('./errors.js').ErrorCode} ErrorCode */
