/**
 * What a join credential may do on the broker (docs/join.md): file a request to join
 * (`$KV.muster.pending.<HOST>`: a JetStream publish, acknowledged on its inbox) and read the
 * answer (`joined.<HOST>`, by a direct get of that subject alone). Nothing else: it cannot call
 * an agent, read the inventory, or see another host's facts. Every holder shares the inbox, and
 * nothing secret is ever answered there (a certificate is public; each host's key stays on it).
 */
import { kvBucket } from '../core/fleetKv.js';
import { joinInboxPrefix } from '../core/subjects.js';

/** A join user's permissions (the shape of authorization.ts's `Permissions`, which imports this). */
export function joinPermissions(): { publish: { allow: string[] }; subscribe: { allow: string[] } } {
  return {
    publish: { allow: [`$KV.${kvBucket}.pending.*`, `$JS.API.DIRECT.GET.KV_${kvBucket}.$KV.${kvBucket}.joined.*`] },
    subscribe: { allow: [`${joinInboxPrefix}.>`] },
  };
}
