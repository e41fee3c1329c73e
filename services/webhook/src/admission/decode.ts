/**
 * Turns the raw objects of an AdmissionRequest into typed API objects, the step cert-manager's
 * webhook does by decoding into its internal types. The API server has already checked the CRD
 * schema, so this only fails on hand-made or corrupted reviews; it keeps the pure validators from
 * ever seeing a value of the wrong type.
 */
import {
  KindSchemas,
  Resources,
  registerApiFormats,
  type KindName,
  type ObjectsByKind,
} from "@certkeeper/api";
import type { TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import type { GroupVersionResource } from "./review.ts";

/** The object in an AdmissionReview does not have the types of its kind's schema: answered with code 400. */
export class DecodeError extends Error {
  readonly code = "CK_WEBHOOK_DECODE";
  override name = "DecodeError";
}

const KIND_BY_RESOURCE = new Map<string, KindName>(
  (Object.keys(Resources) as KindName[]).map((k) => [`${Resources[k].group}/${Resources[k].plural}`, k]),
);

/** The cert-manager kind served at a group/resource, or undefined for anything else. */
export function kindForResource(r: GroupVersionResource | undefined): KindName | undefined {
  if (!r || r.version !== Resources.Certificate.version) return undefined;
  return KIND_BY_RESOURCE.get(`${r.group}/${r.resource}`);
}

interface Checks {
  spec: TypeCheck<TSchema>;
  status: TypeCheck<TSchema>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Compiled schema checks for the six kinds; build once per process (in build()). */
export class Decoder {
  private readonly checks: Record<KindName, Checks>;

  constructor() {
    registerApiFormats();
    const checks: Partial<Record<KindName, Checks>> = {};
    for (const k of Object.keys(KindSchemas) as KindName[]) {
      const schemas: { spec: TSchema; status: TSchema } = KindSchemas[k];
      checks[k] = { spec: TypeCompiler.Compile(schemas.spec), status: TypeCompiler.Compile(schemas.status) };
    }
    this.checks = checks as Record<KindName, Checks>;
  }

  /** The object as its kind's type, or DecodeError naming the first mismatch. */
  decode<K extends KindName>(kind: K, raw: unknown): ObjectsByKind[K] {
    if (!isObject(raw)) throw new DecodeError(`couldn't decode ${kind}: object is not a JSON object`);
    const meta = raw.metadata ?? {};
    if (!isObject(meta)) throw new DecodeError(`couldn't decode ${kind}: metadata is not an object`);
    for (const field of ["name", "namespace", "uid", "resourceVersion", "generateName"] as const) {
      if (meta[field] !== undefined && typeof meta[field] !== "string") {
        throw new DecodeError(`couldn't decode ${kind}: metadata.${field} must be a string`);
      }
    }
    for (const field of ["labels", "annotations"] as const) {
      const m = meta[field];
      if (m !== undefined && (!isObject(m) || Object.values(m).some((v) => typeof v !== "string"))) {
        throw new DecodeError(`couldn't decode ${kind}: metadata.${field} must map strings to strings`);
      }
    }
    const { spec, status } = this.checks[kind];
    this.check(kind, "spec", spec, raw.spec ?? {});
    if (raw.status !== undefined && raw.status !== null) this.check(kind, "status", status, raw.status);
    return { ...raw, metadata: meta, spec: raw.spec ?? {} } as unknown as ObjectsByKind[K];
  }

  private check(kind: string, where: string, check: TypeCheck<TSchema>, value: unknown): void {
    if (check.Check(value)) return;
    const first = check.Errors(value).First();
    const path = first ? `${where}${first.path.replace(/\//g, ".")}` : where;
    throw new DecodeError(`couldn't decode ${kind}: ${path}: ${first?.message ?? "invalid value"}`);
  }
}
