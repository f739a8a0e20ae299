// The operator's configuration: environment variables, validated once at
// start. A bad value stops the process with a message naming the variable.
import { hostname } from "node:os";
import { z } from "zod";

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
const positiveInt = z.coerce.number().int().positive();

export const ConfigSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL"),
  MIGRATE_ON_START: bool.default(false),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  HTTP_HOST: z.string().default("0.0.0.0"),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  WATCH_NAMESPACE: z.string().default(""),
  /** Label selector of the MonteCarloPlatforms the platform controller manages; empty for all. */
  PLATFORM_SELECTOR: z.string().default(""),
  SIMULATION_WORKERS: positiveInt.default(4),
  PLATFORM_WORKERS: positiveInt.default(1),
  RESYNC_SECONDS: positiveInt.default(600),
  SIMULATOR_TIMEOUT_SECONDS: positiveInt.default(900),
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
