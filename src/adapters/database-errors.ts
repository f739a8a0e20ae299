// Classifies what Prisma, its pg driver adapter and pg itself throw, by error class and
// code, never by parsing messages: connection-class failures are retryable
// (StoreUnavailableError, DatabaseUnavailable); everything else the database
// answered (constraints, schema, values) is a StoreError (DatabaseError).
// Messages name the operation and the error's kind only: the driver's own
// text can carry the host, port, user or SQL, which must not reach a status,
// an Event or a log line. The driver's error is not kept as `cause` either:
// pino writes the cause chain into every log line that logs the error.
import { StoreError, StoreUnavailableError } from "../controllers/simulation/ports.ts";

/** The pg adapter's error kinds that mean "the database cannot be reached". */
const UNREACHABLE_KINDS = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
  "TlsConnectionError",
  "AuthenticationFailed",
  "DatabaseDoesNotExist",
  "DatabaseAccessDenied",
]);

/** Prisma's own codes for the same (P1xxx: connection; P2024: pool timeout; P2037: too many connections). */
const UNREACHABLE_CODES = /^(P10\d\d|P2024|P2037)$/;

/** SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown). */
const UNREACHABLE_SQLSTATE = /^(08|57P)/;

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
]);

interface Described {
  readonly unreachable: boolean;
  readonly kind: string;
}

/** Walks the error and its causes for the adapter's kind, Prisma's code and the network code. */
function describe(err: unknown): Described {
  let kind: string | undefined;
  let unreachable = false;
  // Whether the database answered at all: an adapter kind, a Prisma request code or a SQLSTATE.
  let answered = false;
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 6; depth++) {
    const fields = e as {
      name?: unknown;
      code?: unknown;
      kind?: unknown;
      originalCode?: unknown;
      severity?: unknown;
      cause?: unknown;
    };
    const adapterKind = typeof fields.kind === "string" ? fields.kind : undefined;
    const code = typeof fields.code === "string" ? fields.code : undefined;
    const sqlState =
      typeof fields.originalCode === "string" ? fields.originalCode : pgSqlState(fields);
    if (fields.name === "PrismaClientInitializationError") unreachable = true;
    if (adapterKind && UNREACHABLE_KINDS.has(adapterKind)) unreachable = true;
    if (code && (UNREACHABLE_CODES.test(code) || NETWORK_CODES.has(code))) unreachable = true;
    if (sqlState && UNREACHABLE_SQLSTATE.test(sqlState)) unreachable = true;
    if (adapterKind || sqlState || (code && /^P2/.test(code))) answered = true;
    kind ??= adapterKind && adapterKind !== "postgres" ? adapterKind : code;
    e = fields.cause ?? (e as { meta?: { driverAdapterError?: unknown } }).meta?.driverAdapterError;
  }
  const word = kind ?? (err instanceof Error ? err.name : undefined);
  // Only a plain word or code is quoted: nothing that could carry a host or a query.
  const safe = word !== undefined && /^[A-Za-z0-9_]{1,64}$/.test(word) ? word : "unknown error";
  return { unreachable: unreachable || !answered, kind: safe };
}

/** pg's own DatabaseError (an answer from the server): its SQLSTATE is `code`, beside a `severity`. */
function pgSqlState(fields: { code?: unknown; severity?: unknown }): string | undefined {
  const { code, severity } = fields;
  return typeof severity === "string" && typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)
    ? code
    : undefined;
}

/** The store's error for a failed `operation`. */
export function databaseError(operation: string, err: unknown): StoreUnavailableError | StoreError {
  const { unreachable, kind } = describe(err);
  return unreachable
    ? new StoreUnavailableError(`the database is unreachable (${kind}) during ${operation}`)
    : new StoreError(`the database refused ${operation} (${kind})`);
}
