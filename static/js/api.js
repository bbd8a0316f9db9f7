// The one place that talks to the backend. Every call is same-origin, carries the
// chosen org_id, and unwraps the JSON envelope of INTERFACES.md §4:
// {"success": true, "data", "as_of", "stale"} or {"success": false, "error"}.

export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body || {};
  }
}

let orgId = null;

export function setOrgId(id) {
  orgId = id || null;
}

export function getOrgId() {
  return orgId;
}

/** Build a same-origin URL with query parameters (empty ones dropped) plus org_id. */
export function apiUrl(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') query.set(key, String(value));
  }
  if (orgId && !query.has('org_id')) query.set('org_id', orgId);
  const qs = query.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Path of a per-port route. Port ids contain slashes (ge-0/0/1): encode each segment. */
export function portPath(gatewayId, portId, leaf) {
  const port = String(portId).split('/').map(encodeURIComponent).join('/');
  return `/api/gateway/${encodeURIComponent(gatewayId)}/port/${port}/${leaf}`;
}

export const gatewayPath = (gatewayId, leaf) => `/api/gateway/${encodeURIComponent(gatewayId)}/${leaf}`;

/** GET a JSON route; resolves {data, asOf, stale} or throws ApiError with the server's message. */
export async function getJSON(path, params = {}, { signal } = {}) {
  let response;
  try {
    response = await fetch(apiUrl(path, params), {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
      signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError('Cannot reach the MistCircuitStats server', 0);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`Unexpected answer from the server (HTTP ${response.status})`, response.status);
  }
  if (!response.ok || !body || body.success === false) {
    const message = (body && body.error) || `Request failed (HTTP ${response.status})`;
    throw new ApiError(message, response.status, body);
  }
  return { data: body.data, asOf: body.as_of ?? null, stale: Boolean(body.stale) };
}
