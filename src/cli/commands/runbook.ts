/**
 * `muster runbook TEMPLATE [-c VARS.yaml] [--set k=v] [-o FILE]` renders a
 * Markdown procedure from a template, values and the inventory;
 * `muster runbook steps FILE.md` lists its shell blocks as numbered steps;
 * `muster runbook run FILE.md` runs them here, one by one, with a confirmation
 * before each, stopping at the first failure, and logs what ran.
 */
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { parseDocument } from 'yaml';
import { InvalidFileError, UsageError } from '../../core/errors.js';
import { readTemplateFile } from '../../render/engine.js';
import { applySetValues, renderRunbook } from '../../render/runbook.js';
import { runSteps, type StepAnswer } from '../../render/runbook-run.js';
import { runbookSteps, type RunbookStep } from '../../render/runbook-steps.js';
import { exitCodes } from '../exit.js';
import { newCommand, printJsonLine, type GlobalOptions } from '../globals.js';
import { inventoryFor } from '../inventory.js';
import { writeReport } from '../renderOutput.js';
import { userAtHost } from '../../core/whoami.js';

interface RenderOptions extends GlobalOptions {
  config?: string;
  set: string[];
  output?: string;
}

interface RunOptions extends GlobalOptions {
  yes?: boolean;
  log?: string;
}

/** Reads `-c VARS.yaml`: a YAML mapping; syntax errors at file:line:col. */
function readValues(path: string): Record<string, unknown> {
  const document = parseDocument(readTemplateFile(path, 'values file'));
  if (document.errors.length > 0) {
    throw new InvalidFileError(`values file ${path}`, document.errors.map((error) => ({
      message: error.message.split('\n')[0] ?? error.message,
      at: { file: path, line: error.linePos?.[0].line ?? 1, col: error.linePos?.[0].col ?? 1 },
    })));
  }
  const values: unknown = document.toJS();
  if (values === null || values === undefined) return {};
  if (typeof values !== 'object' || Array.isArray(values)) throw new InvalidFileError(`values file ${path}`, [{ message: 'the values must be a mapping (key: value lines)', at: { file: path, line: 1, col: 1 } }]);
  return values as Record<string, unknown>;
}

function renderCommand(): Command {
  const cmd = newCommand('render', 'render a runbook template with values and the inventory (the default subcommand)')
    .argument('<template>', 'a Markdown template (Liquid)')
    .option('-c, --config <vars.yaml>', 'values for the template (a YAML mapping)')
    .option('--set <key=value>', 'a value (YAML scalar; a.b=v nests), over -c (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('-o, --output <file>', 'write the runbook here (atomic, only when changed); default: stdout');
  return cmd.action(async (template: string) => {
    const options = cmd.opts<RenderOptions>();
    const values = applySetValues(options.config ? readValues(options.config) : {}, options.set);
    const inventory = await inventoryFor(options);
    const text = renderRunbook(readTemplateFile(template, 'template'), inventory, values, { file: template, ...(options.config ? { valuesFile: options.config } : {}) });
    if (options.output) await writeReport([{ path: options.output, content: text }], options);
    else process.stdout.write(text);
  });
}

function stepsCommand(): Command {
  const cmd = newCommand('steps', 'list the shell blocks of a runbook as numbered steps')
    .argument('<file>', 'a rendered runbook (Markdown)');
  return cmd.action((file: string) => {
    const options = cmd.opts<GlobalOptions>();
    const steps = runbookSteps(readTemplateFile(file, 'runbook'));
    if (options.json) {
      for (const step of steps) printJsonLine(step);
      return;
    }
    if (steps.length === 0) process.stderr.write(`muster: ${file} has no \`\`\`sh, \`\`\`bash or \`\`\`shell blocks\n`);
    for (const step of steps) process.stdout.write(`${describe(step, steps.length)}\n${indent(step.code)}\n`);
  });
}

function describe(step: RunbookStep, total: number): string {
  return `${step.number}/${total}. ${step.title || '(untitled)'}  [${step.language}, line ${step.line}]`;
}

function indent(code: string): string {
  return code.trimEnd().split('\n').map((line) => `    ${line}`).join('\n');
}

/** Reads answers line by line from stdin (a terminal or a pipe); undefined at end of input. */
function answerReader(): { next: () => Promise<string | undefined>; close: () => void } {
  const lines = createInterface({ input: process.stdin, terminal: false });
  const iterator = lines[Symbol.asyncIterator]();
  return {
    next: async () => {
      const result = await iterator.next();
      return result.done ? undefined : String(result.value);
    },
    close: () => lines.close(),
  };
}

function runCommand(): Command {
  const cmd = newCommand('run', 'run a runbook\'s shell blocks here, one by one, confirming each')
    .argument('<file>', 'a rendered runbook (Markdown)')
    .option('-y, --yes', 'do not ask: run every step (stops at the first failure all the same)')
    .option('--log <file>', 'where to append the log of what ran (default: FILE.log)')
    .addHelpText('after', [
      '',
      'Before each step: y (run it), n or s (skip it), q (stop here). End of input means q.',
      'Each step runs as `bash -e -c BLOCK` in the current folder; its stdin is not yours.',
      'Exit codes: 0 every step ran or was skipped, 1 a step failed or you stopped, 130 interrupted.',
    ].join('\n'));
  return cmd.action(async (file: string) => {
    const options = cmd.opts<RunOptions>();
    const steps = runbookSteps(readTemplateFile(file, 'runbook'));
    if (steps.length === 0) throw new UsageError(`${file} has no \`\`\`sh, \`\`\`bash or \`\`\`shell blocks to run`);
    const logPath = options.log ?? `${file}.log`;
    // 0600 when created, as the history journal: steps' output may hold secrets.
    const log = (text: string): void => appendFileSync(logPath, text, { mode: 0o600 });
    try {
      // Tried before any step runs: a log that cannot be written is found now, not after a step ran unlogged.
      log(`# muster runbook run ${file}: started ${new Date().toISOString()} by ${userAtHost()}${options.yes ? ' (--yes)' : ''}\n`);
    } catch (error) {
      throw new UsageError(`Cannot write the log ${logPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)} (choose another with --log FILE)`, { cause: error });
    }
    const reader = options.yes ? undefined : answerReader();
    const controller = new AbortController();
    const onInterrupt = (): void => controller.abort();
    process.once('SIGINT', onInterrupt);
    try {
      const confirm = async (step: RunbookStep, total: number): Promise<StepAnswer> => {
        process.stdout.write(`\n${describe(step, total)}\n${indent(step.code)}\n`);
        if (!reader) return 'run';
        for (;;) {
          process.stderr.write(`Run step ${step.number}/${total}? [y]es, [n]o/[s]kip, [q]uit: `);
          const answer = await reader.next();
          if (answer === undefined) {
            process.stderr.write('(end of input: quit)\n');
            return 'quit';
          }
          // A piped answer is not echoed by a terminal: echo it, so the transcript reads well.
          if (!process.stdin.isTTY) process.stderr.write(`${answer}\n`);
          const word = answer.trim().toLowerCase();
          if (word === 'y' || word === 'yes') return 'run';
          if (word === 'n' || word === 'no' || word === 's' || word === 'skip') return 'skip';
          if (word === 'q' || word === 'quit') return 'quit';
          process.stderr.write(`"${answer.trim()}"? answer y, n, s or q\n`);
        }
      };
      const result = await runSteps(steps, {
        confirm,
        onOutput: (chunk, stream) => (stream === 'stdout' ? process.stdout : process.stderr).write(chunk),
        log,
        signal: controller.signal,
      });
      const ran = result.records.filter((r) => r.status === 'ok').length;
      const skipped = result.records.filter((r) => r.status === 'skipped').length;
      const last = result.records[result.records.length - 1];
      const summary = result.end === 'done'
        ? `${steps.length} steps: ${ran} ran, ${skipped} skipped`
        : result.end === 'failed' && last
          ? `stopped: step ${last.step.number}/${steps.length} failed (${last.signal ? `killed by ${last.signal}` : `exit ${last.exitCode}`}); ${ran} ran, ${skipped} skipped`
          : result.end === 'quit'
            ? `stopped by the operator before step ${result.records.length + 1}/${steps.length}; ${ran} ran, ${skipped} skipped`
            : `interrupted; ${ran} ran, ${skipped} skipped`;
      log(`# ${summary}\n`);
      if (options.json) printJsonLine({ end: result.end, steps: result.records.map((r) => ({ number: r.step.number, title: r.step.title, status: r.status, exitCode: r.exitCode, durationMs: r.durationMs })), log: logPath });
      else process.stderr.write(`muster: ${summary} (log: ${logPath})\n`);
      process.exitCode = result.end === 'done' ? exitCodes.ok : result.end === 'interrupted' ? exitCodes.interrupted : exitCodes.failed;
    } finally {
      process.removeListener('SIGINT', onInterrupt);
      reader?.close();
    }
  });
}

/** The `runbook` command: render (default), steps, run. */
export function command(): Command {
  return new Command('runbook')
    .description('procedure documents: render a runbook template, list its steps, run them')
    .addCommand(renderCommand(), { isDefault: true })
    .addCommand(stepsCommand())
    .addCommand(runCommand())
    .addHelpText('after', [
      '',
      'Examples:',
      '  muster runbook maintenance.md.liquid -c web001.yaml -o web001-maintenance.md',
      '  muster runbook steps web001-maintenance.md',
      '  muster runbook run web001-maintenance.md',
      '',
      'A template named like a subcommand: muster runbook render steps',
    ].join('\n'))
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
}
