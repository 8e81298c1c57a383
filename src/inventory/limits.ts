/**
 * How big an inventory may be. Past these, muster refuses with one line instead
 * of running out of memory (a 100 MB inventory used to crash V8 with a native
 * trace). Both are documented in docs/inventory.md, "Limits"; they sit far above
 * the 50,000 servers muster is built for (50 MB of YAML, ~96,000 hosts, loads
 * in a few seconds and under 1 GB).
 */

/** The most bytes of YAML an inventory may have, all its files together: 64 MiB. */
export const maxInventoryBytes = 64 * 1024 * 1024;

/** The most hosts an inventory may make, all patterns expanded: 250,000. */
export const maxInventoryHosts = 250_000;
