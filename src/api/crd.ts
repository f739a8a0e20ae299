// Builds CustomResourceDefinition objects from zod schemas, as controller-gen
// does for Go types: zod's OpenAPI 3.0 output, made structural.
import { z } from "zod";
import { CATEGORY, GROUP, VERSION } from "./group.ts";

export interface PrinterColumn {
  readonly name: string;
  readonly type: "string" | "integer" | "number" | "boolean" | "date";
  readonly jsonPath: string;
  readonly description: string;
  readonly format?: string;
  readonly priority?: number;
}

export interface KindDefinition {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly scope: "Namespaced" | "Cluster";
  readonly description: string;
  readonly spec: z.ZodType;
  readonly status: z.ZodType;
  readonly printerColumns: readonly PrinterColumn[];
}

type JsonSchema = { [key: string]: unknown };

/** zod's JSON Schema for the CRD: input side (defaults are not required), OpenAPI 3.0. */
export function openApiSchema(schema: z.ZodType): JsonSchema {
  return structural(z.toJSONSchema(schema, { target: "openapi-3.0", io: "input" }) as JsonSchema);
}

function structural(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$schema" || key === "id") continue;
    // Structural schemas prune unknown fields; `additionalProperties: false` is not allowed.
    if (key === "additionalProperties" && value === false) continue;
    if (key === "properties") {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, structural(v)]),
      );
    } else if (key === "items" || (key === "additionalProperties" && typeof value === "object")) {
      out[key] = structural(value as JsonSchema);
    } else if (key === "format" && value === "safeint") {
      out[key] = "int64";
    } else {
      out[key] = value;
    }
  }
  // Integers without explicit bounds get the safe-integer range from zod; keep it.
  return out;
}

export function buildCrd(def: KindDefinition) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${def.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: [...def.shortNames],
        categories: [CATEGORY],
      },
      scope: def.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns.map((c) => ({ ...c })),
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: def.description,
              required: ["spec"],
              properties: {
                apiVersion: {
                  type: "string",
                  description: "Versioned schema of this representation of an object.",
                },
                kind: { type: "string", description: "REST resource this object represents." },
                metadata: { type: "object" },
                spec: openApiSchema(def.spec),
                status: openApiSchema(def.status),
              },
            },
          },
        },
      ],
    },
  };
}
