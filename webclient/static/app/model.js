// Shared pieces of the call UI's controller: user normalization, the texts
// of callee states and endings, error messages.

/** Wire reasons → what the UI says. */
export const CALLEE_STATE_TEXT = {
  waiting: 'Calling…', accepted: 'Joined', declined: 'Declined', busy: 'Busy', canceled: 'Canceled',
  timeout: 'No answer', quit: 'Left', removed: 'Removed',
};

/** How long an undelivered invitation says "Calling…" before "not reachable". */
export const UNREACHABLE_MS = 5000;

/**
 * Where an outgoing invitation to one callee stands, from the contract's
 * `received`: 'calling' (not on any device yet), 'ringing' (delivered),
 * 'unreachable' (still undelivered after UNREACHABLE_MS), or null once the
 * callee answered one way or another.
 */
export function deliveryOf(callee, out) {
  if (callee.state !== 'waiting') return null;
  if (callee.received) return 'ringing';
  return out.reachCheck ? 'unreachable' : 'calling';
}

export const DELIVERY_TEXT = { calling: 'Calling…', ringing: 'Ringing…', unreachable: 'Not reachable' };

/**
 * A user as the UI shows it: always an id and a name.
 * @param {string|{id: string, name?: string}} u
 */
export function asUser(u) {
  if (typeof u === 'string') return { id: u, name: u };
  return { id: u.id, name: u.name || u.id };
}

export function dedupe(users) {
  const seen = new Set();
  return users.filter((u) => u.id && !seen.has(u.id) && seen.add(u.id));
}

/**
 * What each error code (PROTOCOL.md §2, and the SDK's own) means to a person.
 * The technical detail (code and server message) goes behind a "details"
 * disclosure: see errorDetail.
 */
export const ERROR_TEXT = {
  bad_request: 'Something in the request was not valid.',
  unauthorized: 'Your sign-in is not valid or has expired. Sign in again.',
  not_found: 'That call or person could not be found. The call may have ended.',
  not_permitted: 'You are not allowed to do that in this call.',
  busy: 'You are already in a call.',
  conflict: 'That clashes with something that just happened. Try again.',
  rate_limited: 'Too many requests in a short time. Wait a moment and try again.',
  too_large: 'That is more than the server allows (too many people or too much data).',
  unavailable: 'The service is not available right now. Try again in a moment.',
  internal: 'Something went wrong on the server. Try again.',
  timeout: 'The server did not answer in time. Check your connection and try again.',
  disconnected: 'You are not connected to the server. Check your connection.',
  closed: 'The connection was closed.',
};

/** A sentence a person understands for an error (no jargon). */
export function errorText(err) {
  if (ERROR_TEXT[err?.code]) return ERROR_TEXT[err.code];
  if (err?.name === 'TypeError' || /fetch|network/i.test(err?.message || '')) return 'Could not reach the server. Check your connection.';
  return 'Something went wrong. Try again.';
}

/** The technical detail of an error, for a "details" disclosure. */
export function errorDetail(err) {
  if (!err) return '';
  const msg = err.message && err.message !== err.code ? err.message : '';
  return [err.code, msg].filter(Boolean).join(': ') || String(err);
}

export function reasonText(reason) {
  return { noAnswer: 'No answer', initiatorLeft: 'The host ended the call', endedByServer: 'The call was ended by the service', disconnected: 'Connection lost' }[reason] || 'The call ended';
}

/** The failed-call screen of an outgoing call that ended without anyone answering. */
export function outgoingSummary(out, reason) {
  const callees = out.callees;
  const states = new Set(callees.map((c) => c.state));
  const names = callees.map((c) => c.user.name).join(', ');
  const one = callees.length === 1;
  if (states.size === 1) {
    const [s] = states;
    if (s === 'declined') return { title: one ? 'Call declined' : 'Call declined', detail: `${names} declined the call`, kind: 'declined', state: s };
    if (s === 'busy') return { title: one ? `${names} is busy` : 'Everyone is busy', detail: one ? `${names} cannot take your call right now. Try again later.` : names, kind: 'busy', state: s };
    if ((s === 'timeout' || s === 'waiting') && one && !callees[0].received) {
      return { title: 'Not reachable', detail: `${names} could not be reached: they may be offline, or the user id may be mistyped.`, kind: 'noAnswer', state: 'unreachable' };
    }
    if (s === 'timeout' || s === 'waiting') return { title: 'No answer', detail: `${names} did not answer`, kind: 'noAnswer', state: 'timeout' };
    if (s === 'canceled') return { title: 'Call canceled', detail: names, kind: 'info', state: s };
  }
  if (reason && reason !== 'noAnswer') return { title: 'Call ended', detail: reasonText(reason), kind: 'info' };
  return {
    title: 'Nobody answered',
    detail: callees.map((c) => `${c.user.name}: ${c.state === 'timeout' && !c.received ? 'Not reachable' : CALLEE_STATE_TEXT[c.state] || c.state}`).join(' · '),
    kind: 'noAnswer',
    state: 'mixed',
  };
}
