/**
 * A small event emitter. Listeners run synchronously in registration order;
 * a listener that throws is reported with `console.error` and does not stop
 * the others.
 */
export declare class Emitter {
    /** @type {Map<string, Set<Function>>} */
    _listeners: Map<string, Set<Function>>;
    constructor();
    /**
     * Adds a listener.
     * @param {string} event Event name.
     * @param {(data: any) => void} fn Listener.
     * @returns {() => void} A function that removes the listener.
     */
    on(event: string, fn: (data: any) => void): () => void;
    /**
     * Removes a listener added with {@link Emitter#on}.
     * @param {string} event Event name.
     * @param {Function} fn The listener to remove.
     */
    off(event: string, fn: Function): void;
    /**
     * Adds a listener that runs at most once.
     * @param {string} event Event name.
     * @param {(data: any) => void} fn Listener.
     * @returns {() => void} A function that removes the listener.
     */
    once(event: string, fn: (data: any) => void): () => void;
    /**
     * Resolves with the data of the next `event` for which `filter` returns
     * true; rejects with an Error of code `timeout` after `timeoutMs`.
     * @param {string} event Event name.
     * @param {{filter?: (data: any) => boolean, timeoutMs?: number}} [opts]
     * @returns {Promise<any>}
     */
    waitFor(event: string, { filter, timeoutMs }?: {
        filter?: (data: any) => boolean;
        timeoutMs?: number;
    }): Promise<any>;
    /**
     * Calls every listener of `event` with `data`.
     * @param {string} event Event name.
     * @param {any} [data] Event payload.
     */
    emit(event: string, data?: any): void;
}
