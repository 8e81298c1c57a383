/** The inventory layer's surface: what the other layers import. */
export { loadInventory, type LoadOptions } from './load.js';
export type { CacheOptions } from './cache.js';
export { parseInventory, defaultStates, defaultSkipStates } from './parse.js';
export { InventoryReparser } from './reparse.js';
export type { InventorySource } from './inventoryFile.js';
export { readInventorySources, type InventoryRead, type ReadOptions, type ReadSource } from './read.js';
export { findInventoryFiles, findInventorySources, type FindOptions, type InventorySources } from './find.js';
export { select, checkSelector } from './select.js';
export { resolveHost } from './resolve.js';
export { inventoryFileSchema } from './schema.js';
export type { Check, Group, Host, Inventory, Provenance, Role, Selection, VarValue } from './types.js';
export type { HostProvisionSpec, InterfaceSpec, ManagedFileSpec, ProfileSpec, ProvisionDefaults, Section } from './types.js';
export { placeOf } from './sourcePosition.js';
export { declaredFiles, inventoryRoot, type DeclaredFile, type FileConflict } from './managedFiles.js';
