/** Placeholder for `muster publish --via ssh` (another helper's file; replaced at merge). */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';

export function publishViaSsh(_cmd: Command, _selectors: string[]): Promise<void> {
  return Promise.reject(new UsageError('muster publish --via ssh is not built yet'));
}
