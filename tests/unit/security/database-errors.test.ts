// A database failure is described by fixed words and codes only: the
// shapes below are what Prisma 7 with @prisma/adapter-pg throws (recorded
// against a closed port, a wrong password and an unknown host).
import { describe, expect, it } from "vitest";
import { describeDatabaseError } from "../../../src/adapters/database-errors.ts";

const prismaError = (code: string, cause: object, message: string) =>
  Object.assign(new Error(message), {
    name: "PrismaClientKnownRequestError",
    code,
    meta: { modelName: "SimulationJob", driverAdapterError: { name: "DriverAdapterError", cause } },
  });

describe("describeDatabaseError", () => {
  it.each([
    {
      name: "server unreachable",
      given: prismaError(
        "P1001",
        { kind: "DatabaseNotReachable", host: "10.0.3.7", port: 5432 },
        "Can't reach database server at 10.0.3.7:5432",
      ),
      want: "DatabaseNotReachable (P1001)",
    },
    {
      name: "wrong password",
      given: prismaError(
        "P1000",
        { kind: "AuthenticationFailed", user: "montecarlo", originalCode: "28P01" },
        "Authentication failed against the database server, the provided database credentials for `montecarlo` are not valid",
      ),
      want: "AuthenticationFailed (P1000)",
    },
    {
      name: "unknown host",
      given: prismaError(
        "P1001",
        { kind: "DatabaseNotReachable", host: "db.internal.example" },
        "Can't reach database server at db.internal.example",
      ),
      want: "DatabaseNotReachable (P1001)",
    },
    {
      name: "node-postgres connection error",
      given: Object.assign(new Error("connect ECONNREFUSED 10.0.3.7:5432"), {
        code: "ECONNREFUSED",
      }),
      want: "Error (ECONNREFUSED)",
    },
    {
      name: "a kind or code that is not a plain word is left out",
      given: Object.assign(new Error("x"), {
        code: "at 10.0.3.7",
        meta: { driverAdapterError: { cause: { kind: "10.0.3.7:5432" } } },
      }),
      want: "Error",
    },
    { name: "not an error at all", given: "postgresql://u:pw@10.0.3.7/db", want: "Error" },
  ])("$name", ({ given, want }) => {
    expect(describeDatabaseError(given)).toBe(want);
  });
});
