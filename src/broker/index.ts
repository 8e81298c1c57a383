/**
 * The broker's public surface: nats-server configuration generated from the inventory and
 * the CA's index, and the processes that run it (docs/broker.md). Listed, not `export *`.
 */
export { agentReplyLimits, brokerUsers, distinguishedValue, grantSubjects, keyValueSubjects, operatorGrants, pinnedKeys, userFor } from './authorization.js';
export type { BrokerUser, BrokerUsersOptions, Permissions, ReplyLimits } from './authorization.js';
export { authConfig, brokerConfigs, brokerNodes, jetStreamLimits, parseServer } from './config.js';
export type { BrokerConfigOptions, BrokerFile, BrokerNode } from './config.js';
export { brokerDown, brokerStatus, brokerUp, describeRefresh, refreshBrokers, writeBrokerFiles } from './process.js';
export type { BrokerRefresh, NodeStatus, NodeUp, WrittenBroker } from './process.js';
export { brokerUnits, findNatsServer, systemUnitDir, unitFor, unitName } from './systemd.js';
