/** `ping.get`: the cheapest proof that an agent is connected and answering, and which one. */
import { uptime } from 'node:os';
import { z } from 'zod';
import { action, type AgentModule } from '../module.js';
import { agentVersion } from '../version.js';

const started = Date.now();

/** `ping.get` → `{ host, version, uptime (seconds, the host's), agentUptime (seconds) }`. Arguments are ignored. */
export const pingModule = {
  name: 'ping',
  actions: {
    get: action(z.object({}).loose(), (_args, context) => Promise.resolve({
      host: context.host,
      version: agentVersion(),
      uptime: Math.round(uptime()),
      agentUptime: Math.round((Date.now() - started) / 1000),
    })),
  },
} satisfies AgentModule;
