// What Prisma 7 with @prisma/adapter-pg throws, rebuilt field for field:
// the adapter maps a pg error to a payload {kind, ...} (convertDriverError in
// @prisma/adapter-pg) inside a DriverAdapterError (name + cause); the client
// rethrows known kinds as PrismaClientKnownRequestError with a P-code and
// meta.driverAdapterError, other database errors as P2039 (P2010 for raw
// queries); errors pg raises before any answer come through unwrapped.
import {
  PrismaClientInitializationError,
  PrismaClientKnownRequestError,
} from "@prisma/client/runtime/client";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { databaseError } from "../../../src/adapters/database-errors.ts";
import { StoreError, StoreUnavailableError } from "../../../src/controllers/simulation/ports.ts";

const HOST = "pg-primary.db.internal.example";
const PORT = 6543;
const USER = "montecarlo_writer";
const SQL = 'UPDATE "public"."SimulationJob" SET "status" = $1 WHERE "id" = $2';
/** Nothing of these may reach a status, an Event or an info log. */
const SECRETS = [HOST, String(PORT), USER, SQL, "SimulationJob", "UPDATE", "10.20.30.40"];

function driverAdapterError(payload: Record<string, unknown>): Error {
  const message = typeof payload.message === "string" ? payload.message : String(payload.kind);
  return Object.assign(new Error(message), { name: "DriverAdapterError", cause: payload });
}

/** Prisma's rethrow of a mapped adapter error, message as the client formats it. */
function known(code: string, message: string, payload: Record<string, unknown>) {
  return new PrismaClientKnownRequestError(
    `\nInvalid \`prisma.simulationJob.updateMany()\` invocation:\n\n\n${message}`,
    {
      code,
      clientVersion: "7.10.0",
      meta: { modelName: "SimulationJob", driverAdapterError: driverAdapterError(payload) },
    },
  );
}

/** A PostgreSQL error the adapter passes on as kind "postgres" with its SQLSTATE. */
function postgres(sqlState: string, message: string) {
  const payload = {
    kind: "postgres",
    code: sqlState,
    severity: "ERROR",
    message,
    detail: `while running: ${SQL}`,
    originalCode: sqlState,
    originalMessage: message,
  };
  return known("P2039", `Database error. Code: \`${sqlState}\`. Message: \`${message}\``, payload);
}

/** pg's own DatabaseError, for the store's SQL on the pool: the SQLSTATE in `code`. */
function pgError(sqlState: string, message: string) {
  const err = new pg.DatabaseError(message, message.length, "error");
  return Object.assign(err, {
    severity: "FATAL",
    code: sqlState,
    detail: `Key (host)=(${HOST}) while running: ${SQL}`,
  });
}

/** What node's net module raises, as pg passes it on. */
const socketError = (code: string) =>
  Object.assign(new Error(`connect ${code} 10.20.30.40:${PORT}`), {
    errno: -111,
    code,
    syscall: "connect",
    address: "10.20.30.40",
    port: PORT,
  });

const withClientVersion = (err: Error) => Object.assign(err, { clientVersion: "7.10.0" });

/** Every string and number inside a value: messages, fields, causes, meta. */
function strings(v: unknown, depth = 0): string[] {
  if (typeof v === "string" || typeof v === "number") return [String(v)];
  if (!v || typeof v !== "object" || depth > 6) return [];
  const own = v instanceof Error ? [v.message, ...strings(v.cause, depth + 1)] : [];
  return [...own, ...Object.values(v).flatMap((x) => strings(x, depth + 1))];
}

const CASES: { name: string; err: unknown; unavailable: boolean; message: string }[] = [
  {
    name: "DatabaseNotReachable (P1001) with host and port",
    err: known("P1001", `Can't reach database server at ${HOST}:${PORT}`, {
      kind: "DatabaseNotReachable",
      host: HOST,
      port: PORT,
    }),
    unavailable: true,
    message: "the database is unreachable (P1001) during storing the result",
  },
  {
    name: "ConnectionClosed (P1017)",
    err: known("P1017", "Server has closed the connection.", { kind: "ConnectionClosed" }),
    unavailable: true,
    message: "the database is unreachable (P1017) during storing the result",
  },
  {
    name: "SocketTimeout (P1008)",
    err: known("P1008", "Operation has timed out", { kind: "SocketTimeout" }),
    unavailable: true,
    message: "the database is unreachable (P1008) during storing the result",
  },
  {
    name: "TooManyConnections (P2037)",
    err: known("P2037", "Too many database connections opened: sorry, too many clients", {
      kind: "TooManyConnections",
      cause: "sorry, too many clients already",
      originalCode: "53300",
    }),
    unavailable: true,
    message: "the database is unreachable (P2037) during storing the result",
  },
  {
    name: "AuthenticationFailed (P1000) naming the user",
    err: known("P1000", `Authentication failed ... credentials for \`${USER}\` are not valid`, {
      kind: "AuthenticationFailed",
      user: USER,
      originalCode: "28P01",
    }),
    unavailable: true,
    message: "the database is unreachable (P1000) during storing the result",
  },
  {
    name: "postgres 57P01: the server is shutting down",
    err: postgres("57P01", "terminating connection due to administrator command"),
    unavailable: true,
    message: "the database is unreachable (P2039) during storing the result",
  },
  {
    name: "postgres 08006: connection failure",
    err: postgres("08006", `connection to ${HOST} lost`),
    unavailable: true,
    message: "the database is unreachable (P2039) during storing the result",
  },
  {
    name: "a socket error pg raises unwrapped (ECONNREFUSED)",
    err: socketError("ECONNREFUSED"),
    unavailable: true,
    message: "the database is unreachable (ECONNREFUSED) during storing the result",
  },
  {
    name: "PrismaClientInitializationError",
    err: new PrismaClientInitializationError(
      `Can't reach database server at \`${HOST}:${PORT}\``,
      "7.10.0",
      "P1001",
    ),
    unavailable: true,
    message:
      "the database is unreachable (PrismaClientInitializationError) during storing the result",
  },
  {
    // Seen from Prisma 7.10 + pg 8.23 against a server that accepts and never answers.
    name: "pg's connect timeout (connectionTimeoutMillis), as Prisma passes it on",
    err: withClientVersion(
      new Error("Connection terminated due to connection timeout", {
        cause: new Error("Connection terminated unexpectedly"),
      }),
    ),
    unavailable: true,
    message: "the database is unreachable (Error) during storing the result",
  },
  {
    // Seen from Prisma 7.10 + pg 8.23 against a server that closes the socket.
    name: "pg's connection terminated unexpectedly, as Prisma passes it on",
    err: withClientVersion(new Error("Connection terminated unexpectedly")),
    unavailable: true,
    message: "the database is unreachable (Error) during storing the result",
  },
  {
    name: "a bare DriverAdapterError: ConnectionClosed",
    err: driverAdapterError({ kind: "ConnectionClosed" }),
    unavailable: true,
    message: "the database is unreachable (ConnectionClosed) during storing the result",
  },
  {
    name: "a bare DriverAdapterError: UniqueConstraintViolation",
    err: driverAdapterError({
      kind: "UniqueConstraintViolation",
      constraint: { fields: ["uid", "generation"] },
      originalCode: "23505",
    }),
    unavailable: false,
    message: "the database refused storing the result (UniqueConstraintViolation)",
  },
  {
    name: "UniqueConstraintViolation (P2002)",
    err: known("P2002", "Unique constraint failed on the constraint: `SimulationJob_pkey`", {
      kind: "UniqueConstraintViolation",
      constraint: { index: "SimulationJob_pkey" },
      originalCode: "23505",
      originalMessage: `duplicate key value violates unique constraint "SimulationJob_pkey"`,
    }),
    unavailable: false,
    message: "the database refused storing the result (P2002)",
  },
  {
    name: "TableDoesNotExist (P2021)",
    err: known("P2021", "The table `public.SimulationJob` does not exist", {
      kind: "TableDoesNotExist",
      table: "public.SimulationJob",
      originalCode: "42P01",
    }),
    unavailable: false,
    message: "the database refused storing the result (P2021)",
  },
  {
    name: "postgres 42601: a syntax error quoting the SQL",
    err: postgres("42601", `syntax error at or near "${SQL}"`),
    unavailable: false,
    message: "the database refused storing the result (P2039)",
  },
];

CASES.push(
  {
    name: "pg 23505 from the store's own SQL: the database answered",
    err: pgError("23505", `duplicate key value violates unique constraint for ${USER}`),
    unavailable: false,
    message: "the database refused storing the result (23505)",
  },
  {
    name: "pg 57P01 (the server is shutting down): retry",
    err: pgError("57P01", "terminating connection due to administrator command"),
    unavailable: true,
    message: "the database is unreachable (57P01) during storing the result",
  },
  {
    name: "pg 08006 (connection failure): retry",
    err: pgError("08006", `connection to ${HOST} failed`),
    unavailable: true,
    message: "the database is unreachable (08006) during storing the result",
  },
  {
    name: "pg's pool timing out on connect (no code): retry",
    err: new Error(`timeout exceeded when trying to connect to ${HOST}`),
    unavailable: true,
    message: "the database is unreachable (Error) during storing the result",
  },
);

describe("databaseError", () => {
  it.each(CASES)("$name", ({ err, unavailable, message }) => {
    const classified = databaseError("storing the result", err);
    expect(classified).toBeInstanceOf(unavailable ? StoreUnavailableError : StoreError);
    expect(classified.reason).toBe(unavailable ? "DatabaseUnavailable" : "DatabaseError");
    expect(classified.message).toBe(message);
    for (const secret of SECRETS) expect(classified.message).not.toContain(secret);
    // The driver's error is not kept: pino would log its message through the cause chain.
    expect(classified.cause).toBeUndefined();
  });

  it("a kind or code that is not a plain word is never quoted", () => {
    const err = Object.assign(new Error("x"), {
      code: "at 10.0.3.7",
      meta: { driverAdapterError: { cause: { kind: "10.0.3.7:5432" } } },
    });
    expect(databaseError("reading the runs", err).message).not.toContain("10.0.3.7");
  });

  it("the errors above carry every secret the messages must drop", () => {
    const text = CASES.flatMap((c) => strings(c.err)).join("\n");
    expect(SECRETS.filter((secret) => !text.includes(secret))).toEqual([]);
  });
});
