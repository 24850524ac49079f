// Shared pieces of the call UI's controller: user normalization, the texts
// of callee states and endings, error messages.

/** Wire reasons → what the UI says. */
export const CALLEE_STATE_TEXT = {
  waiting: 'Calling…', accepted: 'Joined', declined: 'Declined', busy: 'Busy', canceled: 'Canceled',
  timeout: 'No answer', quit: 'Left', removed: 'Removed',
};

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

export function errorText(err) {
  const code = err?.code;
  const map = {
    busy: 'You are already in a call.', not_permitted: 'Not permitted.', not_found: 'Not found.',
    bad_request: err?.message || 'Invalid request.', timeout: 'The server did not answer.',
    disconnected: 'Not connected.', conflict: err?.message || 'Conflict.', rate_limited: 'Too many requests; try again.',
  };
  return map[code] || err?.message || String(err);
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
    if (s === 'busy') return { title: one ? `${names} is busy` : 'Everyone is busy', detail: one ? 'They are in another call. Try again later.' : names, kind: 'busy', state: s };
    if (s === 'timeout' || s === 'waiting') return { title: 'No answer', detail: `${names} did not answer`, kind: 'noAnswer', state: 'timeout' };
    if (s === 'canceled') return { title: 'Call canceled', detail: names, kind: 'info', state: s };
  }
  if (reason && reason !== 'noAnswer') return { title: 'Call ended', detail: reasonText(reason), kind: 'info' };
  return {
    title: 'Nobody answered',
    detail: callees.map((c) => `${c.user.name}: ${CALLEE_STATE_TEXT[c.state] || c.state}`).join(' · '),
    kind: 'noAnswer',
    state: 'mixed',
  };
}
