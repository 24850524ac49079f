export { RingsfuClient, PROTOCOL_VERSION, SERVER_EVENTS } from './client.js';
export { MediaSession, DEFAULT_SIMULCAST } from './media.js';
export { RingsfuError } from './errors.js';
export { Emitter } from './emitter.js';
export { parseMediaSections } from './sdp.js';
export type User = import('./client.js').User;
export type IceServer = import('./client.js').IceServer;
export type HelloResult = import('./client.js').HelloResult;
export type RequestOptions = import('./client.js').RequestOptions;
export type ErrorCode = import('./errors.js').ErrorCode;
/** @typedef {import('./client.js').User} User */
/** @typedef {import('./client.js').IceServer} IceServer */
/** @typedef {import('./client.js').HelloResult} HelloResult */
/** @typedef {import('./client.js').RequestOptions} RequestOptions */
/** @typedef {import('./errors.js').ErrorCode} ErrorCode */
