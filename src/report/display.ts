/**
 * The default view of a fan-out run: one clubak-style block per distinct result,
 * a header with the folded host list, count and status, then the output once.
 */
import { escapeControls } from './escapeControls.js';
import type { Block } from './gather.js';
import { painter, statusStyle } from './paint.js';

export interface DisplayOptions {
  color?: boolean;
  /** Leave out the blocks of these statuses (e.g. `-q` hides `ok`). */
  hide?: ReadonlySet<Block['status']>;
}

/**
 * Formats gathered blocks for people:
 *
 * ```
 * ---------------
 * web[01-17] (17) ok
 * ---------------
 * 6.1.0-18-amd64
 * ---------------
 * web18 (1) unreachable: connection to root@HOST refused
 * ```
 *
 * stdout is printed as it came (terminal control characters made visible, see
 * `escapeControls`: hosts are not trusted with the operator's terminal), then
 * stderr (red when colored); an empty result
 * says `(no output)` — except for unreachable and skipped hosts, which never ran
 * anything and show only their header — and a cut one says how much was cut.
 */
export function formatGathered(blocks: readonly Block[], options: DisplayOptions = {}): string {
  const paint = painter(options.color ?? false);
  const out: string[] = [];
  for (const block of blocks) {
    if (options.hide?.has(block.status)) continue;
    const rule = paint('dim', '-'.repeat(15));
    out.push(rule, `${paint('bold', block.nodeset)} (${block.count}) ${paint(statusStyle[block.status], describeBlock(block))}`, rule);
    const stdout = withNewline(escapeControls(block.stdout));
    const stderr = withNewline(escapeControls(block.stderr));
    if (stdout) out.push(stdout.slice(0, -1));
    if (stderr) out.push(paint('red', stderr.slice(0, -1)));
    // Hosts that never ran a command have nothing to show but their header.
    if (!stdout && !stderr && !block.truncated && (block.status === 'unreachable' || block.status === 'skipped')) {
      out.pop();
      continue;
    }
    if (!stdout && !stderr) out.push(paint('dim', '(no output)'));
    if (block.truncated) out.push(paint('dim', `(output cut: ${block.truncated})`));
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/**
 * A block's status for people: `ok`, `failed, exit 2`, `unreachable: connection
 * refused`, `timeout: timed out after 2.0s`. The message may quote the remote
 * side (a banner, an error text), so its control characters are made visible.
 */
export function describeBlock(block: Pick<Block, 'status' | 'exitCode' | 'message'>): string {
  let text: string = block.status;
  if (block.exitCode !== null && block.exitCode !== 0) text += `, exit ${block.exitCode}`;
  if (block.message) text += `: ${escapeControls(block.message)}`;
  return text;
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}
