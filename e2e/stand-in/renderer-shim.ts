/**
 * What the stand-in puts in a window's page before any of its scripts: the renderer side of
 * `electron` (contextBridge, ipcRenderer) for the app's own preload, which it then runs, as
 * Electron runs a preload before the page. IPC reaches the stand-in main process through
 * Playwright bindings; a MessagePort the main process hands over is a real MessagePort in the
 * page whose far end the stand-in carries to the main process's port. Values that cross are
 * structured-cloned first, so a value Electron could not send fails here too. Test-only.
 *
 * renderSetup() returns the script's text; it runs in the page, not in Node.
 */

/** Names of the bindings the stand-in main process exposes to the page. */
export const BINDINGS = {
  send: '__standInIpcSend',
  invoke: '__standInIpcInvoke',
  portToMain: '__standInPortToMain',
} as const;

/** Names of what the page script offers the stand-in main process (page.evaluate). */
export const PAGE_HOOKS = {
  deliver: '__standInDeliver',
  portData: '__standInPortData',
} as const;

/**
 * The page's setup: the renderer `electron` module, then the preload (CommonJS text) run with it.
 * The preload sees `require('electron')` and nothing else, as a sandboxed preload does.
 */
export function renderSetup(preloadSource: string): string {
  return `(() => {
  const bindings = ${JSON.stringify(BINDINGS)};
  const hooks = ${JSON.stringify(PAGE_HOOKS)};
  const listeners = new Map();
  const ports = new Map();
  const toBase64 = (bytes) => {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const hidden = (name, value) => Object.defineProperty(window, name, { value, enumerable: false, configurable: false, writable: false });
  hidden(hooks.deliver, (channel, args, portIds) => {
    const event = { sender: ipcRenderer, senderId: 0, ports: portIds.map((id) => {
      const { port1, port2 } = new MessageChannel();
      ports.set(id, port2);
      port2.onmessage = (ev) => {
        const data = ev.data instanceof Uint8Array ? ev.data : new Uint8Array(ev.data);
        window[bindings.portToMain](id, toBase64(data));
      };
      return port1;
    }) };
    for (const fn of [...(listeners.get(channel) || [])]) fn(event, ...args);
  });
  hidden(hooks.portData, (id, base64) => {
    ports.get(id)?.postMessage(fromBase64(base64));
  });
  const ipcRenderer = {
    on(channel, fn) { listeners.set(channel, [...(listeners.get(channel) || []), fn]); return ipcRenderer; },
    removeListener(channel, fn) { listeners.set(channel, (listeners.get(channel) || []).filter((f) => f !== fn)); return ipcRenderer; },
    send(channel, ...args) { window[bindings.send](channel, structuredClone(args)); },
    invoke(channel, ...args) { return window[bindings.invoke](channel, structuredClone(args)); },
  };
  const contextBridge = {
    exposeInMainWorld(key, api) {
      // Electron copies what crosses the bridge; functions become callable proxies.
      hidden(key, Object.freeze({ ...api }));
    },
  };
  const electron = { ipcRenderer, contextBridge };
  const require = (name) => {
    if (name === 'electron') return electron;
    throw new Error('A sandboxed preload can only require electron, not ' + name);
  };
  const module = { exports: {} };
  (function (require, module, exports) {
${preloadSource}
  })(require, module, module.exports);
})();`;
}
