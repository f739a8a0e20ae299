// What a database failure may say about itself in a status, an Event or a
// log line: a fixed word for what went wrong, never the driver's text.
// Prisma's and node-postgres's messages name the server ("Can't reach
// database server at 10.0.3.7:5432"), the user, and sometimes the query;
// none of that may leave the operator (docs/security.md).

const CAMEL_CASE = /^[A-Z][A-Za-z]*$/;
// Prisma's P1001, a node errno such as ECONNREFUSED, a SQLSTATE such as 28P01.
const CODE = /^(P\d{4}|E[A-Z0-9_]{2,}|[0-9A-Z]{5})$/;

interface PrismaLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly errorCode?: unknown;
  readonly meta?: {
    readonly driverAdapterError?: { readonly cause?: { readonly kind?: unknown } };
  };
}

/**
 * "DatabaseNotReachable (P1001)", "AuthenticationFailed (P1000)",
 * "PrismaClientKnownRequestError (P2002)": the driver adapter's kind of
 * failure and Prisma's error code, each only when it is a plain word or code.
 */
export function describeDatabaseError(err: unknown): string {
  const e = (typeof err === "object" && err !== null ? err : {}) as PrismaLike;
  const kind = e.meta?.driverAdapterError?.cause?.kind;
  const code = [e.code, e.errorCode].find((c) => typeof c === "string" && CODE.test(c));
  const name = typeof e.name === "string" && CAMEL_CASE.test(e.name) ? e.name : "Error";
  const word = typeof kind === "string" && CAMEL_CASE.test(kind) ? kind : name;
  return code ? `${word} (${code})` : word;
}
