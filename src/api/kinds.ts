// The kinds this operator defines, with their CRD presentation.
import type { KindDefinition } from "./crd.ts";
import { PlatformSpec, PlatformStatus } from "./platform.ts";
import { SimulationSpec, SimulationStatus } from "./simulation.ts";

export const MonteCarloSimulationKind = {
  kind: "MonteCarloSimulation",
  plural: "montecarlosimulations",
  singular: "montecarlosimulation",
  shortNames: ["mcs"],
  scope: "Namespaced",
  description:
    "MonteCarloSimulation runs a Monte Carlo risk simulation of a trader's assessment or funded account under the firm's rules.",
  spec: SimulationSpec,
  status: SimulationStatus,
  printerColumns: [
    {
      name: "Assessment",
      type: "string",
      jsonPath: ".spec.assessmentId",
      description: "Assessment id",
    },
    {
      name: "Funded Account",
      type: "string",
      jsonPath: ".spec.fundedAccountId",
      description: "Funded account id",
    },
    { name: "Phase", type: "string", jsonPath: ".status.phase", description: "Phase" },
    {
      name: "Progress",
      type: "integer",
      jsonPath: ".status.progress.percent",
      description: "Percent of the paths done (long runs, while they run)",
    },
    {
      name: "Pass",
      type: "number",
      jsonPath: ".status.result.passProbability",
      description: "Probability that the assessment passes",
    },
    {
      name: "Survival",
      type: "number",
      jsonPath: ".status.result.survivalProbability",
      description: "Probability of not failing within the days simulated",
    },
    { name: "Paths", type: "integer", jsonPath: ".spec.simulation.paths", description: "Paths" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: "Age" },
  ],
} as const satisfies KindDefinition;

export const MonteCarloPlatformKind = {
  kind: "MonteCarloPlatform",
  plural: "montecarloplatforms",
  singular: "montecarloplatform",
  shortNames: ["mcp"],
  scope: "Cluster",
  description:
    "MonteCarloPlatform is the cluster-wide configuration of the simulator: its RayService, Serve autoscaling bounds and limits.",
  spec: PlatformSpec,
  status: PlatformStatus,
  printerColumns: [
    {
      name: "RayService",
      type: "string",
      jsonPath: ".spec.rayService.name",
      description: "RayService name",
    },
    {
      name: "Min",
      type: "integer",
      jsonPath: ".status.applied.minReplicas",
      description: "Applied minimum replicas",
    },
    {
      name: "Max",
      type: "integer",
      jsonPath: ".status.applied.maxReplicas",
      description: "Applied maximum replicas",
    },
    {
      name: "Target",
      type: "number",
      jsonPath: ".status.applied.targetOngoingRequests",
      description: "Applied target ongoing requests per replica",
    },
    {
      name: "Ready",
      type: "string",
      jsonPath: '.status.conditions[?(@.type=="Ready")].status',
      description: "Ready condition",
    },
    {
      name: "Reason",
      type: "string",
      jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
      description: "Why Ready is what it is, e.g. RayServiceNotReady",
    },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: "Age" },
  ],
} as const satisfies KindDefinition;

export const KINDS: readonly KindDefinition[] = [MonteCarloSimulationKind, MonteCarloPlatformKind];
