// A permission checked inside a route, for what depends on the request's content (turning a
// project's network on, importing a server folder) rather than on the route alone.
import { isAllowed, type Permission, type Principal } from '../auth/index.js';
import { CadreError } from '../errors/index.js';

/** Throws FORBIDDEN, naming the permission, unless the principal's role grants it. */
export function requirePermission(principal: Principal, permission: Permission): void {
  if (isAllowed(principal.role, permission)) return;
  throw new CadreError('FORBIDDEN', `Your role (${principal.role}) does not allow ${permission}.`, {
    details: { permission, role: principal.role },
  });
}
