/**
 * Every way talking to a cluster can fail, turned into words an analyst can act on. Each message
 * names the context and the API server, because an analyst with ten contexts needs to know which
 * one is broken, not that "something" returned 403.
 */

export type ClusterErrorKind =
  | 'kubeconfig' // the file is missing, does not parse, or lacks what the context needs
  | 'no-context' // the asked-for context is not in the kubeconfig
  | 'credential-plugin' // an exec credential plugin failed (its own error is quoted)
  | 'unreachable' // DNS, refused, timed out, reset
  | 'tls' // the server's certificate is not trusted / does not match
  | 'cert-expired' // a certificate (ours or the server's) is outside its validity
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'too-old' // the API server is older than Lantern supports
  | 'not-found' // 404
  | 'conflict' // 409
  | 'invalid' // 422
  | 'throttled' // 429
  | 'refused' // Lantern itself refuses (preflight, no targets) before creating anything
  | 'server'; // 5xx and everything else

export interface ErrorWhere {
  context?: string;
  server?: string;
  /** What we were doing, e.g. verb "list" on resource "pods" in namespace "x". */
  verb?: string;
  resource?: string;
  namespace?: string;
}

export class ClusterError extends Error {
  readonly kind: ClusterErrorKind;
  readonly context?: string;
  readonly server?: string;
  readonly status?: number;
  constructor(kind: ClusterErrorKind, message: string, where: ErrorWhere = {}, status?: number) {
    super(message);
    this.name = 'ClusterError';
    this.kind = kind;
    if (where.context !== undefined) this.context = where.context;
    if (where.server !== undefined) this.server = where.server;
    if (status !== undefined) this.status = status;
  }
}

/** "context "lab" (https://127.0.0.1:6443)" — the prefix of every cluster message. */
export function whereWords(where: ErrorWhere): string {
  const ctx = where.context ? `context "${where.context}"` : 'the cluster';
  return where.server ? `${ctx} (${where.server})` : ctx;
}

function actionWords(where: ErrorWhere): string {
  if (!where.verb && !where.resource) return '';
  const res = where.resource ?? 'resource';
  const ns = where.namespace ? ` in namespace "${where.namespace}"` : '';
  return `${where.verb ?? 'access'} ${res}${ns}`;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** The system error code buried in a node-fetch / undici / ApiException error, if any. */
function systemCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const o = e as { code?: unknown; errno?: unknown; cause?: unknown };
    if (typeof o.code === 'string') return o.code;
    if (typeof o.errno === 'string') return o.errno;
    e = o.cause;
  }
  return undefined;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The `message` of a Kubernetes Status body, whatever shape the client handed it to us in. */
export function statusMessage(body: unknown): string | undefined {
  let b: unknown = body;
  if (typeof body === 'string') {
    try {
      b = JSON.parse(body);
    } catch {
      return body.length > 0 && body.length < 500 ? body : undefined;
    }
  }
  if (b && typeof b === 'object' && typeof (b as { message?: unknown }).message === 'string') {
    return (b as { message: string }).message;
  }
  return undefined;
}

function httpStatus(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const o = err as { code?: unknown; statusCode?: unknown; status?: unknown };
  for (const v of [o.code, o.statusCode, o.status]) {
    if (typeof v === 'number' && v >= 100 && v < 600) return v;
  }
  return undefined;
}

/**
 * Turn whatever the client library threw into a ClusterError with words. Already-described
 * errors pass through unchanged.
 */
export function describeClusterError(err: unknown, where: ErrorWhere): ClusterError {
  if (err instanceof ClusterError) return err;
  const at = whereWords(where);
  const action = actionWords(where);
  const status = httpStatus(err);
  if (status !== undefined) {
    const body = (err as { body?: unknown }).body;
    const said = statusMessage(body);
    const tail = said ? ` The server said: ${said}` : '';
    switch (status) {
      case 401:
        return new ClusterError(
          'unauthorized',
          `${at} refused our credentials (401 Unauthorized): the token or client certificate of this context is not accepted (expired token? wrong user?).${tail}`,
          where,
          401,
        );
      case 403:
        return new ClusterError(
          'forbidden',
          `${at} does not allow this user to ${action || 'do this'} (403 Forbidden).${tail}`,
          where,
          403,
        );
      case 404:
        return new ClusterError(
          'not-found',
          `${at}: ${action || 'the object'} was not found (404).${tail}`,
          where,
          404,
        );
      case 409:
        return new ClusterError(
          'conflict',
          `${at}: conflict while trying to ${action || 'change an object'} (409).${tail}`,
          where,
          409,
        );
      case 422:
        return new ClusterError(
          'invalid',
          `${at} rejected the object we sent to ${action || 'create'} as invalid (422).${tail}`,
          where,
          422,
        );
      case 429:
        return new ClusterError(
          'throttled',
          `${at} is throttling requests (429 Too Many Requests); try again shortly.${tail}`,
          where,
          429,
        );
      default:
        return new ClusterError(
          'server',
          `${at} answered ${status} while trying to ${action || 'talk to it'}.${tail}`,
          where,
          status,
        );
    }
  }
  const code = systemCode(err);
  const msg = messageOf(err);
  if (code === 'CERT_HAS_EXPIRED' || /certificate has expired/i.test(msg)) {
    return new ClusterError(
      'cert-expired',
      `${at}: the API server's certificate has expired, so the connection was refused. Ask the cluster's owner to renew it.`,
      where,
    );
  }
  if (code === 'CERT_NOT_YET_VALID') {
    return new ClusterError(
      'cert-expired',
      `${at}: the API server's certificate is not valid yet (check this machine's clock).`,
      where,
    );
  }
  if (/alert certificate expired|ALERT_CERTIFICATE_EXPIRED/i.test(`${code ?? ''} ${msg}`)) {
    return new ClusterError(
      'cert-expired',
      `${at} rejected our client certificate as expired. Get a fresh kubeconfig for this context.`,
      where,
    );
  }
  if ((code && TLS_TRUST_CODES.has(code)) || /self[- ]signed certificate|unable to verify|certificate/i.test(msg)) {
    const why =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? "the server's certificate does not name this address"
        : code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO'
          ? 'the TLS handshake failed (is this really an HTTPS API server?)'
          : "the server's certificate is not signed by the certificate authority in the kubeconfig (wrong or missing certificate-authority-data)";
    return new ClusterError('tls', `${at}: TLS verification failed: ${why}. (${code ?? msg})`, where);
  }
  if (
    (code && UNREACHABLE_CODES.has(code)) ||
    /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|socket hang up|network timeout/i.test(msg)
  ) {
    const why =
      code === 'ECONNREFUSED'
        ? 'connection refused'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'the host name does not resolve'
          : code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT'
            ? 'the connection timed out'
            : code === 'ECONNRESET'
              ? 'the connection was reset'
              : (code ?? 'no answer');
    return new ClusterError(
      'unreachable',
      `${at} is unreachable: ${why}. Check the VPN, the network, or whether the cluster is up.`,
      where,
    );
  }
  return new ClusterError('server', `${at}: ${action ? `could not ${action}: ` : ''}${msg}`, where);
}
