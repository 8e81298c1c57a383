/** Network-boot provisioning from the inventory (docs/provision.md). */
export { resolveProvision, bootInterface, macFileName, type ProvisionPlan, type ResolvedProvision, type ResolvedInterface } from './model.js';
export { checkProvision, type ProvisionCheck } from './validate.js';
export { buildTree, type ProvisionTree, type TreeOptions } from './tree.js';
export { syncTree, type SyncResult } from './syncTree.js';
export { manifestName } from './manifest.js';
export { syncProvision, type ProvisionSyncOptions, type ProvisionSyncReport, type DnsmasqAction } from './sync.js';
export { installerFilesOf, templateCache, provisionView, type InstallerFile } from './installer.js';
export { installerFiles, kernelArgs } from './bootConfigs.js';
export { ProvisionKeys } from './hostKey.js';
