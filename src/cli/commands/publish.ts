/**
 * `muster publish`: the resolved inventory into the broker's KV bucket, only what changed,
 * for the agents to keep as /etc/muster (docs/publish.md). `--via ssh SEL` writes the same
 * copy over the SSH fan-out instead (publishSsh.ts).
 */
import type { Command } from 'commander';
import { mayPublishInventory, operatorGrants } from '../../broker/authorization.js';
import { UsageError } from '../../core/errors.js';
import { foldNodeset } from '../../core/nodeset.js';
import { snapshotOf } from '../../inventory/snapshot.js';
import { publishSnapshot, type NamesByKind, type PublishResult } from '../../ops/publish.js';
import { notGrantedMessage, openBucket, PublishError } from '../../ops/publishBucket.js';
import { openBroker } from '../../transport/nats/broker.js';
import { natsSettings } from '../fanout/natsSettings.js';
import { addFanoutOptions } from '../fanout/options.js';
import { newCommand, printJsonLine, type GlobalOptions } from '../globals.js';
import { inventoryFor } from '../inventory.js';
import { userAtHost } from '../../core/whoami.js';

interface PublishOptions extends GlobalOptions {
  operator?: string;
  via?: string;
}

/** The `publish` command. */
export function command(): Command {
  // The fan-out options (and their --operator) serve --via ssh; the bucket publish uses only --operator.
  const cmd = addFanoutOptions(newCommand('publish', 'put the inventory into the broker\'s KV bucket (only what changed); agents keep it in /etc/muster'))
    .argument('[selector...]', 'with --via ssh: the hosts to write the copy to')
    .option('--via <transport>', 'nats (default: the bucket, for the agents) or ssh (write the copy to SEL over SSH)')
    .addHelpText('after', [
      '',
      'The operator needs inventory.publish (or *) in one of its permission roles (agents.permissions).',
      'Examples:',
      '  muster publish',
      '  muster publish --json',
      '  muster publish --via ssh all',
    ].join('\n'));
  return cmd.action(async (selectors: string[]) => {
    const options = cmd.opts<PublishOptions>();
    if (options.via === 'ssh') {
      await (await import('./publishSsh.js')).publishViaSsh(cmd, selectors);
      return;
    }
    if (options.via !== undefined && options.via !== 'nats') throw new UsageError(`Unknown --via ${options.via}: give nats or ssh`);
    if (selectors.length > 0) throw new UsageError('Selectors go with --via ssh: muster publish puts the whole inventory into the bucket');
    const inventory = await inventoryFor(options);
    const servers = inventory.agents?.servers ?? [];
    if (servers.length === 0) throw new UsageError('muster publish needs the broker: the inventory has no agents.servers (see docs/publish.md); without agents: muster publish --via ssh SEL');
    const settings = natsSettings(inventory, options.operator);
    if (!mayPublishInventory(operatorGrants(inventory, settings.operator))) throw new PublishError(notGrantedMessage(settings.operator));
    const nc = await openBroker(settings);
    let result: PublishResult;
    try {
      const kv = await openBucket(nc, Math.min(3, servers.length), settings.operator);
      result = await publishSnapshot(kv, snapshotOf(inventory), { by: userAtHost(), operator: settings.operator });
    } finally {
      await nc.close().catch(() => undefined);
    }
    if (options.json) printJsonLine({ type: 'publish', ...result });
    else process.stdout.write(`${describePublish(result)}\n`);
  });
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A list of names for one line: folded, cut when a whole fleet changed. */
function names(list: string[]): string {
  const folded = foldNodeset(list);
  return folded.length > 120 ? `${folded.slice(0, 120)}…` : folded;
}

function removedText(removed: NamesByKind): string[] {
  return (['host', 'role', 'group'] as const).filter((kind) => removed[kind].length > 0)
    .map((kind) => `${count(removed[kind].length, kind)} removed (${names(removed[kind])})`);
}

/** `published revision 7: 3 hosts changed (web[01-03]), 1 role, 0 groups, 1 host removed (db9); 10000 hosts`. */
export function describePublish(result: PublishResult): string {
  if (!result.published) return `nothing changed (revision ${result.revision})`;
  const { changed } = result;
  const parts = [
    `${count(changed.host.length, 'host')} changed${changed.host.length > 0 ? ` (${names(changed.host)})` : ''}`,
    count(changed.role.length, 'role'),
    count(changed.group.length, 'group'),
    ...removedText(result.removed),
    ...(result.metaChanged ? ['meta'] : []),
  ];
  const tookOver = result.tookOver ? ` (took over the stale mark of ${result.tookOver.by} since ${result.tookOver.since})` : '';
  return `published revision ${result.revision}: ${parts.join(', ')}; ${count(result.hosts, 'host')}${tookOver}`;
}
