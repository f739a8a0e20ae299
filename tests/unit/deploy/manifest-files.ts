// Reads the deployment files for the unit tests: YAML manifests as plain
// objects, and Dockerfiles as a list of instructions.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const REPO = fileURLToPath(new URL("../../../", import.meta.url));

export const read = (path: string) => readFileSync(REPO + path, "utf8");

// biome-ignore lint/suspicious/noExplicitAny: manifests are arbitrary Kubernetes objects
export type Manifest = any;

export function manifests(path: string): Manifest[] {
  return parseAllDocuments(read(path))
    .map((d) => d.toJSON() as Manifest)
    .filter((o) => o !== null && typeof o === "object");
}

export function manifest(path: string, kind: string, name?: string): Manifest {
  const found = manifests(path).filter(
    (o) => o.kind === kind && (name === undefined || o.metadata?.name === name),
  );
  if (found.length !== 1) throw new Error(`${path}: expected one ${kind} ${name ?? ""}`);
  return found[0];
}

export interface Instruction {
  op: string;
  args: string;
}

/** A Dockerfile's instructions, continuation lines joined, comments dropped. */
export function dockerfile(path: string): Instruction[] {
  const lines = read(path)
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  return lines.map((l) => {
    const [op = "", ...rest] = l.split(/\s+/);
    return { op: op.toUpperCase(), args: rest.join(" ") };
  });
}

export const instructions = (file: Instruction[], op: string) =>
  file.filter((i) => i.op === op).map((i) => i.args);

/** The default of `ARG NAME=default`. */
export function argDefault(file: Instruction[], name: string): string {
  const arg = instructions(file, "ARG").find((a) => a.startsWith(`${name}=`));
  if (!arg) throw new Error(`no ARG ${name}`);
  return arg.slice(name.length + 1);
}
