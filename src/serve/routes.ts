/**
 * The route table: which resource a path names. `/v1/status` and `/v1/health`
 * are answered by the server itself (they describe the server, not the
 * inventory); everything else is a pure function of the inventory.
 */
import { NotFoundError } from '../core/errors.js';
import type { Inventory } from '../inventory/index.js';
import type { Json } from './format.js';
import { RequestError } from './requestError.js';
import {
  groupResource, groupsResource, hostResource, hostsResource, prometheusResource, roleResource, rolesResource, selectResource,
  type Resource, type RouteQuery,
} from './resources.js';

/** The routes, for `/` and for 404 messages. */
export const routeList = [
  '/v1/hosts', '/v1/hosts/{host}', '/v1/hosts/{host}/{property}',
  '/v1/roles', '/v1/roles/{role}', '/v1/roles/{role}/{property}',
  '/v1/groups', '/v1/groups/{group}', '/v1/groups/{group}/{property}',
  '/v1/select?q=SELECTOR', '/v1/sd/prometheus?sel=SELECTOR&port=N', '/v1/status', '/v1/health', '/{role}/{property}',
];

function noRoute(): never {
  throw new RequestError(404, 'No such route (see / for the list)');
}

/**
 * The resource at `segments` (decoded, suffix removed). Throws `NotFoundError`
 * for unknown hosts/roles/groups/properties, `RequestError` 404 for unknown
 * routes, `SelectorError` for a bad selector.
 */
export function resolveRoute(inventory: Inventory, segments: string[], query: RouteQuery): Resource {
  const [a, b, c, d] = segments;
  const n = segments.length;
  if (n === 0) {
    const value: Json = { routes: routeList, formats: ['json', 'yaml', 'sh'] };
    return { value, sh: () => '# muster serve: see the JSON form of / for the routes\n' };
  }
  if (a !== 'v1') {
    // The short dmetad form: /{role}/{property}.
    if (n === 2 && a !== undefined && b !== undefined) {
      if (!inventory.roles.has(a)) throw new NotFoundError('role', a);
      return roleResource(inventory, a, b, query);
    }
    return noRoute();
  }
  switch (b) {
    case 'hosts':
      if (n === 2) return hostsResource(inventory);
      if (c !== undefined && n <= 4) return hostResource(inventory, c, d);
      break;
    case 'roles':
      if (n === 2) return rolesResource(inventory, query);
      if (c !== undefined && n <= 4) return roleResource(inventory, c, d, query);
      break;
    case 'groups':
      if (n === 2) return groupsResource(inventory, query);
      if (c !== undefined && n <= 4) return groupResource(inventory, c, d, query);
      break;
    case 'select':
      if (n === 2) return selectResource(inventory, query);
      break;
    case 'sd':
      if (n === 3 && c === 'prometheus') return prometheusResource(inventory, query);
      break;
    default:
      break;
  }
  return noRoute();
}
