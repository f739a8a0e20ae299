// The bearer tokens the operator offers the simulator (docs/security.md):
// the current one, then the next one during a rotation. Files are read on
// every call, so a rotated Secret reaches a running operator without a
// restart. Token values never appear in an error message or a log line.
import { readFile } from "node:fs/promises";

export interface SimulatorCredentials {
  /** The tokens to try in order: current first, then next (if any). */
  tokens(): Promise<readonly string[]>;
}

export interface SimulatorTokenSettings {
  readonly SIMULATOR_TOKEN?: string | undefined;
  readonly SIMULATOR_TOKEN_FILE?: string | undefined;
  readonly SIMULATOR_NEXT_TOKEN?: string | undefined;
  readonly SIMULATOR_NEXT_TOKEN_FILE?: string | undefined;
}

/** The operator's credential could not be read (missing or empty file). */
export class SimulatorTokenError extends Error {
  override readonly name = "SimulatorTokenError";
}

async function readToken(path: string, required: boolean): Promise<string | undefined> {
  let text: string;
  try {
    text = (await readFile(path, "utf8")).trim();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT" && !required) return undefined;
    throw new SimulatorTokenError(`cannot read the simulator token file ${path} (${code})`);
  }
  if (!text && required) throw new SimulatorTokenError(`the simulator token file ${path} is empty`);
  return text || undefined;
}

/** Undefined when no token is configured: requests then carry no Authorization header. */
export function simulatorCredentials(
  settings: SimulatorTokenSettings,
): SimulatorCredentials | undefined {
  const { SIMULATOR_TOKEN: token, SIMULATOR_TOKEN_FILE: file } = settings;
  const { SIMULATOR_NEXT_TOKEN: nextToken, SIMULATOR_NEXT_TOKEN_FILE: nextFile } = settings;
  if (!token && !file) return undefined;
  return {
    async tokens() {
      const current = token ?? (await readToken(file ?? "", true));
      const next = nextToken ?? (nextFile ? await readToken(nextFile, false) : undefined);
      return [current, next].filter((t): t is string => t !== undefined);
    },
  };
}
