/**
 * `muster completion bash|zsh|fish`: a script to source, written from
 * commander's definitions of every command (so it completes exactly the
 * options the CLI takes), and the hidden `--words KIND` the scripts call to
 * complete role, group and host names from the inventory. `--words` never
 * fails loudly: no inventory, or a broken one, completes nothing.
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { newCommand, withoutGlobals, type GlobalOptions } from '../globals.js';
import { inventoryFor } from '../inventory.js';
import { bashScript, zshScript } from '../help/bashScript.js';
import { commandDefinitions, type CommandSource } from '../help/definitions.js';
import { fishScript } from '../help/fishScript.js';

const shells = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;
const kinds = ['roles', 'groups', 'hosts', 'selectors'] as const;

/**
 * The `completion` command for the registry's `entries`: registry.ts hands itself over when it loads this
 * module (this module importing the registry would be a cycle, the registry loading every command).
 */
export function withRegistry(entries: readonly CommandSource[]): { command: () => Command } {
  return { command: () => completionCommand(entries) };
}

function completionCommand(entries: readonly CommandSource[]): Command {
  const cmd = withoutGlobals(newCommand('completion', 'a shell completion script: commands, options, and role/group/host names'), ['json', 'quiet'])
    .argument('[shell]', 'bash, zsh or fish')
    .addOption(new Option('--words <kind>', 'print the inventory\'s names of KIND, one a line (what the scripts call)').choices([...kinds]).hideHelp())
    .addHelpText('after', `
bash:  source <(muster completion bash)          (or write it to /etc/bash_completion.d/muster)
zsh:   source <(muster completion zsh)           (in ~/.zshrc; uses bashcompinit)
fish:  muster completion fish | source           (or > ~/.config/fish/completions/muster.fish)
Role, group and host names are read from the inventory when completing (-i on the command line is honoured).`);
  return cmd.action(async (shell: string | undefined) => {
    const options = cmd.opts<GlobalOptions & { words?: (typeof kinds)[number] }>();
    if (options.words !== undefined) {
      process.stdout.write(await words(options.words, options));
      return;
    }
    if (shell === undefined || !(shell in shells)) throw new UsageError(`Which shell? muster completion bash, zsh or fish${shell === undefined ? '' : ` (not "${shell}")`}`);
    process.stdout.write(shells[shell as keyof typeof shells](await commandDefinitions(entries)));
  });
}

async function words(kind: (typeof kinds)[number], options: GlobalOptions): Promise<string> {
  let names: string[];
  try {
    const inventory = await inventoryFor(options);
    const roles = [...inventory.roles.keys()];
    const groups = [...inventory.groups.keys()];
    const hosts = inventory.hosts.map((host) => host.name);
    names = kind === 'roles' ? roles : kind === 'groups' ? groups : kind === 'hosts' ? hosts : ['all', ...roles, ...groups, ...hosts];
  } catch {
    // Completing must never print an error into the user's command line.
    return '';
  }
  return names.length > 0 ? `${names.join('\n')}\n` : '';
}

