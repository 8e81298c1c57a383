/**
 * The options that say which hosts a fan-out reaches and how to log in, as the tools
 * operators come from spell them: `-w` and `-x` (pdsh, clush), `--hostfile` (pssh `-h`),
 * `-l`, `-p` and `-o` (ssh), `--pick` (clush), `--list-hosts` (ansible), and
 * `--allow-empty` for a selection that may be empty.
 * Shared by run, push, diff, fetch, apply (through addFanoutOptions) and call.
 */
import type { Command } from 'commander';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** The flags that name hosts without a selector: with one of them the selector argument may be left out. */
const namingFlags = new Set(['-w', '--hosts', '--hostfile']);

/** Adds the target options to a command, and lets `-w`/`--hostfile` stand in for its selector argument. */
export function addTargetOptions(command: Command): Command {
  command
    .option('-w, --hosts <nodeset>', 'also these hosts, names or addresses, inventory or not ([user@]host nodeset, as pdsh/clush -w; repeatable)', collect)
    .option('--hostfile <file>', 'also the hosts of this file, one [user@]host[:port] a line, # comments (as pssh -h; - is stdin; repeatable)', collect)
    .option('-x, --exclude <selector>', 'leave out these hosts: a selector or a nodeset (as clush -x; repeatable)', collect)
    .option('-l, --user <user>', 'log in as this user on every host (wins over the inventory and ssh_config; a host file\'s user@ wins over it)')
    .option('-p, --port <port>', 'connect to this port on every host (wins over the inventory and ssh_config; a host file\'s :port wins over it)')
    .option('-o, --ssh-option <Key=Value>', 'an ssh_config option for every host, as ssh -o (wins over the inventory and ssh_config files; repeatable)', collect)
    .option('--pick <n>', 'a random N of the selected hosts (as clush --pick)')
    .option('--list-hosts', 'print the selected hosts, folded, and exit: nothing runs (as ansible --list-hosts)')
    .option('--allow-empty', 'a selection that matches no host is not an error (exit 0)');
  allowMissingSelector(command);
  return command;
}

/**
 * `muster push -w web9 app.conf /etc/app.conf`: with hosts named by `-w`/`--hostfile`
 * and one operand fewer than the command's required arguments, the missing one is the
 * selector (always the first): an empty one is put in its place, which selectFleet reads
 * as "no inventory selector". Commander binds operands to arguments by position, so this
 * is done where it parses them.
 */
function allowMissingSelector(command: Command): void {
  const parseOptions = command.parseOptions.bind(command);
  command.parseOptions = (args: string[]) => {
    const parsed = parseOptions(args);
    const first = command.registeredArguments[0];
    const required = command.registeredArguments.filter((argument) => argument.required).length;
    const dash = args.indexOf('--');
    const named = args.some((arg, index) => (dash === -1 || index < dash) && (namingFlags.has(arg) || /^(-w.|--hosts=|--hostfile=)/.test(arg)));
    if (named && first?.name() === 'selector' && parsed.operands.length === required - 1) parsed.operands.unshift('');
    return parsed;
  };
}
