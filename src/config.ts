// The operator's configuration: environment variables, validated once at
// start. A bad value stops the process with a message naming the variable.
import { hostname } from "node:os";
import { z } from "zod";

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
const positiveInt = z.coerce.number().int().positive();
/** Unset and empty are the same: a Secret-backed env var may be present but empty. */
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => v || undefined);

export const ConfigSchema = z
  .object({
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL"),
    MIGRATE_ON_START: bool.default(false),
    LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
    HTTP_HOST: z.string().default("0.0.0.0"),
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    WATCH_NAMESPACE: z.string().default(""),
    /** Label selector of the MonteCarloPlatforms the platform controller manages; empty for all. */
    PLATFORM_SELECTOR: z.string().default(""),
    /**
     * Watch RayServices in this namespace only, as the operator's Role allows
     * (manifests/base/operator/rbac.yaml); empty for every namespace, which
     * needs list/watch on RayServices cluster-wide.
     */
    RAY_SERVICE_NAMESPACE: z.string().default(""),
    SIMULATION_WORKERS: positiveInt.default(4),
    PLATFORM_WORKERS: positiveInt.default(1),
    RESYNC_SECONDS: positiveInt.default(600),
    SIMULATOR_TIMEOUT_SECONDS: positiveInt.default(900),
    /**
     * The bearer token POST /simulate sends (docs/security.md): a value, or a
     * file (a mounted Secret, read again on every call so a rotation needs no
     * restart). The next token is tried when the simulator refuses the
     * current one, so either side may switch first. None: no header.
     */
    SIMULATOR_TOKEN: optionalText,
    SIMULATOR_TOKEN_FILE: optionalText,
    SIMULATOR_NEXT_TOKEN: optionalText,
    SIMULATOR_NEXT_TOKEN_FILE: optionalText,
    /** How long a stop waits for reconciles in progress (not for executions, which are cut off). */
    SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).default(10),
    /** A deleted simulation keeps its finalizer this long while the database is down. */
    FINALIZER_GRACE_SECONDS: z.coerce.number().min(0).default(60),
    /** How often the leader cancels the active rows of simulations that no longer exist. */
    ORPHAN_SWEEP_SECONDS: positiveInt.default(300),
    LEADER_ELECTION: bool.default(true),
    LEADER_ELECTION_NAMESPACE: z.string().default("montecarlo-system"),
    LEADER_ELECTION_ID: z.string().default("montecarlo-operator"),
    LEASE_DURATION_SECONDS: positiveInt.default(15),
    RENEW_DEADLINE_SECONDS: positiveInt.default(10),
    RETRY_PERIOD_SECONDS: positiveInt.default(2),
    POD_NAME: z.string().default(() => `${hostname()}_${process.pid}`),
    CONTROLLERS: z
      .string()
      .default("simulation,platform")
      .transform((s) =>
        s
          .split(",")
          .map((c) => c.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(["simulation", "platform"])).min(1)),
  })
  .refine((c) => !(c.SIMULATOR_TOKEN && c.SIMULATOR_TOKEN_FILE), {
    path: ["SIMULATOR_TOKEN"],
    message: "set SIMULATOR_TOKEN or SIMULATOR_TOKEN_FILE, not both",
  })
  .refine((c) => !(c.SIMULATOR_NEXT_TOKEN && c.SIMULATOR_NEXT_TOKEN_FILE), {
    path: ["SIMULATOR_NEXT_TOKEN"],
    message: "set SIMULATOR_NEXT_TOKEN or SIMULATOR_NEXT_TOKEN_FILE, not both",
  });
export type Config = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  readonly reason = "InvalidConfiguration";
}

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    // Values are never echoed: DATABASE_URL holds a password.
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  return parsed.data;
}
