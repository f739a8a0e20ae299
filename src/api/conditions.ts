// metav1.Condition helpers. lastTransitionTime changes only when status does.
import { z } from "zod";

export const ConditionStatus = z.enum(["True", "False", "Unknown"]);

export const Condition = z
  .object({
    type: z.string().max(316).meta({ description: "Type of condition in CamelCase." }),
    status: ConditionStatus.meta({
      description: "Status of the condition: True, False or Unknown.",
    }),
    reason: z
      .string()
      .max(1024)
      .meta({ description: "CamelCase reason for the condition's last transition." }),
    message: z
      .string()
      .max(32768)
      .meta({ description: "Human-readable details about the transition." }),
    observedGeneration: z.int().min(0).optional().meta({
      description: "The metadata.generation the condition was set from.",
    }),
    lastTransitionTime: z.string().meta({
      description: "Last time the condition's status changed (RFC 3339).",
      format: "date-time",
    }),
  })
  .meta({ description: "A metav1.Condition." });
export type Condition = z.infer<typeof Condition>;

export type ConditionInput = Omit<Condition, "lastTransitionTime">;

/** Returns a new list with `next` set, keeping lastTransitionTime when status is unchanged. */
export function setCondition(
  conditions: readonly Condition[],
  next: ConditionInput,
  now: Date,
): Condition[] {
  const previous = conditions.find((c) => c.type === next.type);
  const lastTransitionTime =
    previous && previous.status === next.status ? previous.lastTransitionTime : now.toISOString();
  const updated: Condition = { ...next, lastTransitionTime };
  return previous
    ? conditions.map((c) => (c.type === next.type ? updated : c))
    : [...conditions, updated];
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** The conditions list schema as the API server stores it: a map keyed by type. */
export const ConditionList = z
  .array(Condition)
  .max(16)
  .meta({
    description: "Standard conditions (metav1.Condition), one per type.",
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["type"],
  });
