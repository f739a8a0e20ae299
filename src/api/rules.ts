// Cross-field rules written once and enforced twice: as CEL in the CRD
// (`x-kubernetes-validations`, checked at admission) and as zod refinements
// (checked again by the controller, which also sees objects admitted before
// a rule existed).
import type { z } from "zod";

export interface CrossFieldRule<T> {
  /** CEL expression over `self`, the object the rule is attached to. */
  readonly cel: string;
  /** The same predicate in TypeScript. */
  readonly check: (self: T) => boolean;
  readonly message: string;
  /** Where the API server reports the error, relative to `self` (e.g. ".assessmentId"). */
  readonly fieldPath?: string;
}

/**
 * Attaches `rules` to an object schema: as CEL metadata for the CRD and as
 * refinements for zod. `description` is set here too, because zod keeps one
 * metadata record per schema instance.
 */
export function withRules<S extends z.ZodObject>(
  schema: S,
  description: string,
  rules: readonly CrossFieldRule<z.output<S>>[],
) {
  return schema
    .superRefine((value, ctx) => {
      for (const rule of rules) {
        if (!rule.check(value as z.output<S>)) {
          const path = rule.fieldPath ? rule.fieldPath.split(".").filter(Boolean) : [];
          ctx.addIssue({ code: "custom", message: rule.message, path });
        }
      }
    })
    .meta({
      description,
      "x-kubernetes-validations": rules.map((r) => ({
        rule: r.cel,
        message: r.message,
        ...(r.fieldPath ? { fieldPath: r.fieldPath } : {}),
      })),
    });
}
