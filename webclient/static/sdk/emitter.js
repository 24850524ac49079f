// A minimal, UI-free event emitter shared by the SDK's classes.

/**
 * A small event emitter. Listeners run synchronously in registration order;
 * a listener that throws is reported with `console.error` and does not stop
 * the others.
 */
export class Emitter {
  constructor() {
    /** @type {Map<string, Set<Function>>} */
    this._listeners = new Map();
  }

  /**
   * Adds a listener.
   * @param {string} event Event name.
   * @param {(data: any) => void} fn Listener.
   * @returns {() => void} A function that removes the listener.
   */
  on(event, fn) {
    let set = this._listeners.get(event);
    if (!set) {
      set = new Set();
      this._listeners.set(event, set);
    }
    set.add(fn);
    return () => this.off(event, fn);
  }

  /**
   * Removes a listener added with {@link Emitter#on}.
   * @param {string} event Event name.
   * @param {Function} fn The listener to remove.
   */
  off(event, fn) {
    const set = this._listeners.get(event);
    if (set) set.delete(fn);
  }

  /**
   * Adds a listener that runs at most once.
   * @param {string} event Event name.
   * @param {(data: any) => void} fn Listener.
   * @returns {() => void} A function that removes the listener.
   */
  once(event, fn) {
    const off = this.on(event, (data) => {
      off();
      fn(data);
    });
    return off;
  }

  /**
   * Resolves with the data of the next `event` for which `filter` returns
   * true; rejects with an Error of code `timeout` after `timeoutMs`.
   * @param {string} event Event name.
   * @param {{filter?: (data: any) => boolean, timeoutMs?: number}} [opts]
   * @returns {Promise<any>}
   */
  waitFor(event, { filter = () => true, timeoutMs = 10000 } = {}) {
    return new Promise((resolve, reject) => {
      let timer = null;
      const off = this.on(event, (data) => {
        if (!filter(data)) return;
        off();
        clearTimeout(timer);
        resolve(data);
      });
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          off();
          const err = new Error(`timed out waiting for ${event}`);
          err.code = 'timeout';
          reject(err);
        }, timeoutMs);
      }
    });
  }

  /**
   * Calls every listener of `event` with `data`.
   * @param {string} event Event name.
   * @param {any} [data] Event payload.
   */
  emit(event, data) {
    const set = this._listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(data);
      } catch (err) {
        console.error(`ringsfu: listener for "${event}" threw`, err);
      }
    }
  }
}
