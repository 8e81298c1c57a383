/** The serve layer's surface: the metadata HTTP server, and its handler for callers without a socket. */
export { startServer, defaultHost, defaultPort, defaultLimits, type MetadataServer, type ServeOptions, type Limits, type ReloadOutcome } from './server.js';
export { createAccessLog, type AccessLog, type AccessEntry } from './accessLog.js';
export { parseListen } from './listen.js';
export { ListenError } from './listenError.js';
export { blockFor, defaultWaitMs, maxWaitMs, WatchSet } from './watches.js';
export { handle, type Answer, type HandlerState, type RequestHeaders, type ServeRequest, type Wait } from './handler.js';
export { liveState } from './liveState.js';
export { Reloader, type ReloadState, type ReloaderOptions } from './reloader.js';
export { BearerToken } from './bearerToken.js';
export type { Snapshot } from './snapshot.js';
export type { Prepared } from './prepared.js';
export type { TlsFiles } from './httpShell.js';
export { BucketSource, type BucketSourceOptions } from './bucketSource.js';
export type { ServedSource } from './servedSource.js';
export type { SourceFacts } from './status.js';
export type { AgentEnroller, AgentSetup, EnrollOutcome, NoAgentSetup } from './agentEnroller.js';
