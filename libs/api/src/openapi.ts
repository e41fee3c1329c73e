/**
 * Converts TypeBox schemas to *structural* OpenAPI v3 schemas for apiextensions.k8s.io/v1 CRDs.
 *
 * The API server only accepts structural schemas: every node has a `type` (except
 * int-or-string / preserve-unknown-fields nodes), no `$ref`, no `additionalProperties` next to
 * `properties`, and logical junctors only as validation inside a typed node. TypeBox emits JSON
 * Schema with `anyOf` for literal unions and `patternProperties` for records, so `toStructural`
 * rewrites those (`enum`, `additionalProperties`) and refuses anything it does not understand.
 */
import { Kind, type TSchema } from "@sinclair/typebox";

/** An OpenAPI v3 schema node as accepted by apiextensions.k8s.io/v1. */
export interface JSONSchemaProps {
  description?: string;
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  format?: string;
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps;
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  allOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
  "x-kubernetes-validations"?: {
    rule: string;
    message?: string;
    messageExpression?: string;
    reason?: string;
  }[];
}

export class SchemaConversionError extends Error {
  readonly code = "CK_SCHEMA_NOT_STRUCTURAL";
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path || "<root>"}: ${detail}`);
    this.name = "SchemaConversionError";
  }
}

/** Keys copied unchanged from a TypeBox node to the OpenAPI node, in output order. */
const COPIED_KEYS = [
  "format",
  "default",
  "pattern",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "nullable",
] as const;
const EXTENSION_KEYS = [
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-int-or-string",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
] as const;
/** Keys TypeBox or our helpers put on nodes that are consumed by the conversion itself. */
const STRUCTURE_KEYS = new Set([
  "$id",
  "type",
  "description",
  "properties",
  "required",
  "items",
  "anyOf",
  "const",
  "patternProperties",
  "additionalProperties",
  "exclusiveMinimum",
  "exclusiveMaximum",
  ...COPIED_KEYS,
  ...EXTENSION_KEYS,
]);

type Raw = Record<string, unknown>;

/** Converts a TypeBox schema to a structural OpenAPI v3 schema. Throws SchemaConversionError. */
export function toStructural(schema: TSchema, path = ""): JSONSchemaProps {
  const raw = schema as unknown as Raw;
  for (const key of Object.keys(raw)) {
    if (key === "$ref") throw new SchemaConversionError(path, "$ref is not allowed in CRD schemas");
    if (!STRUCTURE_KEYS.has(key)) throw new SchemaConversionError(path, `unsupported schema keyword ${key}`);
  }
  const out: JSONSchemaProps = {};
  if (typeof raw.description === "string") out.description = raw.description;
  const preserve = raw["x-kubernetes-preserve-unknown-fields"] === true;

  switch (schema[Kind]) {
    case "Object": {
      out.type = "object";
      const props = (raw.properties ?? {}) as Record<string, TSchema>;
      const names = Object.keys(props);
      if (names.length > 0) {
        out.properties = {};
        for (const name of names) out.properties[name] = toStructural(props[name]!, `${path}.${name}`);
      } else if (!preserve) {
        throw new SchemaConversionError(path, "object without properties must preserve unknown fields");
      }
      break;
    }
    case "Record": {
      out.type = "object";
      const values = Object.values((raw.patternProperties ?? {}) as Record<string, TSchema>);
      const value = values[0];
      if (values.length !== 1 || !value)
        throw new SchemaConversionError(path, "record must have one value schema");
      if (value[Kind] === "Unknown" || value[Kind] === "Any") {
        if (!preserve)
          throw new SchemaConversionError(path, "map of arbitrary values must preserve unknown fields");
      } else {
        out.additionalProperties = toStructural(value, `${path}[*]`);
      }
      break;
    }
    case "Array":
      out.type = "array";
      out.items = toStructural(raw.items as TSchema, `${path}[]`);
      break;
    case "Union": {
      const members = (raw.anyOf ?? []) as Raw[];
      if (raw["x-kubernetes-int-or-string"] === true) break;
      if (members.length === 0 || !members.every((m) => typeof m.const === "string")) {
        throw new SchemaConversionError(path, "only unions of string literals (enums) can be converted");
      }
      out.type = "string";
      out.enum = members.map((m) => m.const);
      break;
    }
    case "Literal":
      out.type = scalarType(raw.const, path);
      out.enum = [raw.const];
      break;
    case "String":
      out.type = "string";
      break;
    case "Integer":
      out.type = "integer";
      break;
    case "Number":
      out.type = "number";
      break;
    case "Boolean":
      out.type = "boolean";
      break;
    case "Unknown":
    case "Any":
      if (!preserve) throw new SchemaConversionError(path, "untyped node must preserve unknown fields");
      break;
    default:
      throw new SchemaConversionError(path, `cannot convert TypeBox kind ${String(schema[Kind])}`);
  }

  for (const key of COPIED_KEYS) {
    if (raw[key] !== undefined) (out as Raw)[key] = structuredClone(raw[key]);
  }
  // JSON Schema numeric exclusive bounds → OpenAPI 3.0 boolean flags.
  if (typeof raw.exclusiveMinimum === "number")
    Object.assign(out, { minimum: raw.exclusiveMinimum, exclusiveMinimum: true });
  if (typeof raw.exclusiveMaximum === "number")
    Object.assign(out, { maximum: raw.exclusiveMaximum, exclusiveMaximum: true });
  if (Array.isArray(raw.required) && raw.required.length > 0 && out.properties)
    out.required = [...raw.required];
  for (const key of EXTENSION_KEYS) {
    if (raw[key] !== undefined) (out as Raw)[key] = structuredClone(raw[key]);
  }
  return out;
}

function scalarType(value: unknown, path: string): JSONSchemaProps["type"] {
  switch (typeof value) {
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    case "number":
      return Number.isInteger(value) ? "integer" : "number";
    default:
      throw new SchemaConversionError(path, "literal must be a string, number or boolean");
  }
}
