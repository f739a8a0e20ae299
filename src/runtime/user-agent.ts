// The User-Agent of every request to the API server, in client-go's shape:
// "<name>/<version> (<os>/<arch>)". A write that names no field manager is
// recorded under the part before the first "/", so the objects'
// managedFields, the audit log and the API server's request metrics name the
// operator instead of "unknown".
import { createRequire } from "node:module";

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

export const USER_AGENT = `montecarlo-operator/${version} (${process.platform}/${process.arch}) node/${process.versions.node}`;
