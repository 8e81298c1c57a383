/**
 * What lets a sync skip the hosts that did not change: a host's fingerprint is
 * a digest of everything its files are made from (its provisioning as
 * resolved, its profile, muster serve's URL and key set, and for its answer file the
 * template and the host as the template sees it), and the manifest keeps each
 * host's from the last sync. A host whose fingerprint is the same is neither
 * rendered nor compared: its files are as that sync wrote them (as make
 * trusts its targets; `sync --full` checks them all).
 *
 * Only an answer file made from the host alone can be fingerprinted: a
 * template that reads the fleet (`hosts`, `host_list`, `roles`, `groups`,
 * `states`), picks hosts with the `select` filter, or reads another file
 * (`include`, `render`, `layout`) may change when another host does, so its
 * hosts are rendered and compared on every sync.
 */
import { createHash, hash } from 'node:crypto';
import { templateGlobals } from '../render/engine.js';
import type { TemplateCache } from './installer.js';
import type { Host } from '../inventory/types.js';
import type { ProvisionPlan } from './model.js';

/**
 * The version of what sync writes for given inputs. Bump it when bootConfigs.ts,
 * the installer's template context or the file layout changes what is written:
 * every host is then rendered once more. fingerprint.test.ts pins the menus of
 * a sample host to it, so a change that forgets is a failing test.
 */
export const outputFormat = 1;

const fleetNames = new Set(['hosts', 'host_list', 'roles', 'groups', 'states']);
// Looked for in the Liquid markup only (a preseed's text says `select` and `pkgsel/include`);
// conservative: the word anywhere in a tag or an output, even in a string, counts.
const markup = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;
const readsMore = /\bselect\b|\b(include|render|layout)\b/;

/** A digest for telling inputs apart (not a secret): Node's one-shot hash where it has it (20.12+), twice as fast for 5,000 small inputs. */
function sha1(text: string): string {
  return typeof hash === 'function' ? hash('sha1', text, 'base64url') : createHash('sha1').update(text).digest('base64url');
}

/** Each host's last fingerprint and what else it was made from (a long-running serve digests only the hosts an edit made anew). */
const digestOf = new WeakMap<Host, { context: string; profileSpec: ProvisionPlan['profileSpec']; interfaces: ProvisionPlan['interfaces']; digest: string }>();

/** Fingerprints for one sync: each template is looked at once. */
export class Fingerprints {
  private readonly templates = new Map<string, string | undefined>();

  /** `enroll`: whether the answer files enroll agents (installer.ts enrollsAgents); `keys`: the id of the host keys in the URLs (hostKey.ts). */
  constructor(private readonly cache: TemplateCache, private readonly url: string | undefined, private readonly enroll: boolean, private readonly keys?: string) {}

  /** The host's fingerprint; undefined when its answer file depends on more than the host. */
  of(plan: ProvisionPlan): string | undefined {
    const installer = plan.profileSpec.installer;
    const template = installer ? this.templateDigest(installer.template) : null;
    if (template === undefined) return undefined;
    const { host } = plan;
    // Hosts are not changed once parsed: the same host with the same plan and context has the same digest.
    const context = `${this.url ?? ''}\0${this.keys ?? ''}\0${String(this.enroll)}\0${template ?? ''}\0${plan.profileName}\0${String(plan.netboot.value)}\0${plan.kopts?.value ?? ''}`;
    const known = digestOf.get(host);
    if (known?.context === context && known.profileSpec === plan.profileSpec && known.interfaces === plan.interfaces) return known.digest;
    // Values, not places (file:line): an edit above a host moves none of its files.
    const inputs = JSON.stringify([
      outputFormat, this.url ?? null, this.keys ?? null, this.enroll, template,
      host.name, host.address, host.user ?? null, host.port ?? null, host.roles, host.state, host.note ?? null, host.vars,
      plan.profileName, plan.profileSpec, plan.netboot.value, plan.kopts?.value ?? null, host.provision?.value.interfaces ?? null,
    ]);
    const digest = sha1(inputs);
    digestOf.set(host, { context, profileSpec: plan.profileSpec, interfaces: plan.interfaces, digest });
    return digest;
  }

  /** The template's path and text digested, or undefined when its output may depend on more than its host (or it cannot be read: rendering says why). */
  private templateDigest(name: string): string | undefined {
    if (this.templates.has(name)) return this.templates.get(name);
    let digest: string | undefined;
    try {
      const { file, text } = this.cache.read(name);
      const hostOnly = !readsMore.test((text.match(markup) ?? []).join('\n')) && !templateGlobals(text, file).some((global) => fleetNames.has(global));
      digest = hostOnly ? sha1(`${file}\0${text}`) : undefined;
    } catch {
      // Unreadable or not parsing: no fingerprint; the render reports it at its place.
      digest = undefined;
    }
    this.templates.set(name, digest);
    return digest;
  }
}
