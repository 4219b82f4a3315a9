/**
 * Names that cross process boundaries: commands, IPC channels, the preload bridge key and the
 * WebSocket path. Kept free of any library import so the sandboxed preload stays tiny.
 */

/** Every command the renderer can ask of a host. */
export const COMMAND_NAMES = [
  'getSnapshot',
  'startListener',
  'stopListener',
  'connect',
  'send',
  'closeConnection',
  'getChunks',
  'getChunkData',
  'setSettings',
  'setResponder',
  'broadcast',
  'startRepeat',
  'stopTask',
  'listPorts',
  'endProcess',
  'getSaved',
  'setSaved',
  'listenUnix',
  'connectUnix',
  'bindUdp',
  'sendUdp',
  'udpMembership',
  'startRelay',
  'relayControl',
  'relayInject',
  'removeClosed',
] as const;

/** A command's name. */
export type CommandName = (typeof COMMAND_NAMES)[number];

/** Checks that an untrusted value names a command. */
export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && (COMMAND_NAMES as readonly string[]).includes(name);
}

/**
 * IPC channel names. Commands use invoke/handle; event batches flow main → renderer;
 * acknowledgements flow renderer → main.
 */
export const Channels = {
  command: {
    getSnapshot: 'inspector:cmd:getSnapshot',
    startListener: 'inspector:cmd:startListener',
    stopListener: 'inspector:cmd:stopListener',
    connect: 'inspector:cmd:connect',
    send: 'inspector:cmd:send',
    closeConnection: 'inspector:cmd:closeConnection',
    getChunks: 'inspector:cmd:getChunks',
    getChunkData: 'inspector:cmd:getChunkData',
    setSettings: 'inspector:cmd:setSettings',
    setResponder: 'inspector:cmd:setResponder',
    broadcast: 'inspector:cmd:broadcast',
    startRepeat: 'inspector:cmd:startRepeat',
    stopTask: 'inspector:cmd:stopTask',
    listPorts: 'inspector:cmd:listPorts',
    endProcess: 'inspector:cmd:endProcess',
    getSaved: 'inspector:cmd:getSaved',
    setSaved: 'inspector:cmd:setSaved',
    listenUnix: 'inspector:cmd:listenUnix',
    connectUnix: 'inspector:cmd:connectUnix',
    bindUdp: 'inspector:cmd:bindUdp',
    sendUdp: 'inspector:cmd:sendUdp',
    udpMembership: 'inspector:cmd:udpMembership',
    startRelay: 'inspector:cmd:startRelay',
    relayControl: 'inspector:cmd:relayControl',
    relayInject: 'inspector:cmd:relayInject',
    removeClosed: 'inspector:cmd:removeClosed',
  } satisfies Record<CommandName, string>,
  events: 'inspector:events',
  ack: 'inspector:ack',
} as const;

/** The property of `window` where the Electron preload exposes the InspectorApi. */
export const BRIDGE_KEY = 'socketInspector';

/** The WebSocket path of the browser host. */
export const WS_PATH = '/ws';
