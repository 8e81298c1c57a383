/** The serve layer's surface: the metadata HTTP server. */
export { startServer, defaultHost, defaultPort, defaultLimits, type MetadataServer, type ServeOptions, type Limits, type ReloadOutcome } from './server.js';
export { createAccessLog, type AccessLog, type AccessEntry } from './accessLog.js';
export { parseListen } from './listen.js';
export { ListenError } from './listenError.js';
export { blockFor, defaultWaitMs, maxWaitMs } from './watches.js';
