// The local API server's audit log: hack/stack/up.sh records every request
// of a service account, with its response code, in $MC_STACK_DIR/logs/audit.log.
import { existsSync, readFileSync } from "node:fs";
import { stack } from "../harness.ts";

export interface AuditEvent {
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string };
  responseStatus?: { code?: number };
}

/** The finished requests of one user, as the API server audited them. */
export function auditedRequests(username: string): AuditEvent[] {
  const file = `${stack.dir}/logs/audit.log`;
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: restart the stack's apiserver (hack/stack/up.sh audits)`);
  }
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((e) => e.user.username === username && e.stage === "ResponseComplete");
}
