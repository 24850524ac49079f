// Reconnecting after a dropped socket: resume with exponential backoff and
// jitter (no retry storm when the server is gone), and the keepalive that
// detects a dead socket. Mixed into RingsfuClient (client.js); the methods
// run on the client's event loop turns, one reconnect loop at a time.

import { RingsfuError } from './errors.js';

/**
 * Close codes after which the SDK does not try to resume: not authenticated,
 * unsupported protocol, rate limit, session taken over (PROTOCOL.md §8.14),
 * too many devices of this user (4010, PROTOCOL.md §9).
 */
export const FINAL_CLOSE_CODES = new Set([4001, 4002, 4008, 4009, 4010]);

/** Backoff before reconnect attempt n+1: doubling from 500 ms, capped, with jitter. */
export function backoffMs(attempt, maxMs = 10000, random = Math.random) {
  const base = Math.min(500 * 2 ** (attempt - 1), maxMs);
  return Math.round(base * (0.5 + random() / 2));
}

export function detach(ws) {
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
}

export const reconnectMethods = {
  /** The live socket closed without the app asking: resume if allowed. */
  async _onDrop(code, reason) {
    const ws = this._ws;
    this._ws = null;
    if (ws) detach(ws);
    this._stopKeepalive();
    // Replies to requests in flight are lost with the socket.
    for (const entry of this._pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(new RingsfuError('disconnected', `${entry.type}: connection lost`, { type: entry.type, id: entry.id }));
    }
    this._pending.clear();
    if (this.state === 'closed') return;
    if (FINAL_CLOSE_CODES.has(code)) {
      this._giveUp(code, reason);
      return;
    }
    this.state = 'reconnecting';
    const deadline = Date.now() + this.options.reconnectWindowMs;
    for (let attempt = 1; this.state === 'reconnecting'; attempt++) {
      this.emit('reconnecting', { code, reason, attempt });
      try {
        const result = await this._open(this.sessionId);
        if (this.state !== 'reconnecting') {
          // Closed by the app meanwhile.
          const late = this._ws;
          this._ws = null;
          if (late) {
            detach(late);
            try { late.close(1000, 'client closed'); } catch { /* ignore */ }
          }
          return;
        }
        const previous = this.sessionId;
        this.state = 'open';
        this._adoptHello(result);
        if (!result.resumed) {
          // The server dropped the old session: its call membership and media are gone.
          for (const m of [...this._media.values()]) m.close();
          this._mediaBuffer.clear();
          this.callID = result.call?.callID || null;
        }
        this.emit('reconnected', { ...result, previousSessionId: previous });
        this._flushQueued();
        // A PeerConnection that died while the socket was down is rebuilt.
        if (result.resumed) for (const m of this._media.values()) m.checkConnections();
        return;
      } catch (err) {
        if (this.state !== 'reconnecting') return;
        if (err.code === 'unauthorized' || err.code === 'bad_request' || FINAL_CLOSE_CODES.has(err.closeCode)) {
          this._giveUp(err.closeCode || code, err.message);
          return;
        }
        const delay = backoffMs(attempt, this.options.reconnectMaxDelayMs);
        if (Date.now() + delay > deadline) {
          this._giveUp(code, `could not reconnect: ${err.message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  },

  _giveUp(code, reason) {
    this.state = 'closed';
    this._failAll('disconnected', reason || 'connection lost');
    for (const m of [...this._media.values()]) m.close();
    this._mediaBuffer.clear();
    this.emit('disconnected', { code, reason, final: true });
  },

  _startKeepalive() {
    this._stopKeepalive();
    const every = this.options.keepaliveMs;
    if (!every) return;
    this._keepaliveTimer = setInterval(() => {
      if (this.state !== 'open') return;
      const ws = this._ws;
      this.request('ping', undefined, { timeoutMs: Math.min(every, 10000) }).catch((err) => {
        // A dead socket that never reported its close: drop it and resume.
        if (err.code === 'timeout' && this._ws === ws && ws) {
          try { ws.close(4000, 'keepalive timeout'); } catch { /* ignore */ }
          this._onDrop(4000, 'keepalive timeout');
        }
      });
    }, every);
  },

  _stopKeepalive() {
    clearInterval(this._keepaliveTimer);
    this._keepaliveTimer = null;
  },
};
