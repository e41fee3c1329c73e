import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

/**
 * Every message on NATS carries this envelope:
 *   { schema, at, resource: { kind, namespace, name, uid, generation, resourceVersion }, data }
 * `schema` names the payload type and version, e.g. "certkeeper.io/certificate.issued/v1".
 * No key material ever goes into `data` (see assertNoKeyMaterial).
 */
export const ResourceRefSchema = Type.Object({
  kind: Type.String({ minLength: 1 }),
  namespace: Type.Optional(Type.String()),
  name: Type.String({ minLength: 1 }),
  uid: Type.String({ minLength: 1 }),
  generation: Type.Optional(Type.Integer()),
  resourceVersion: Type.Optional(Type.String()),
});
export type ResourceRef = Static<typeof ResourceRefSchema>;

export const EnvelopeSchema = Type.Object({
  schema: Type.String({ minLength: 1 }),
  // A pattern, not `format: "date-time"`: TypeBox only knows formats registered in its global
  // FormatRegistry, and an unregistered one fails every value.
  at: Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$" }),
  resource: ResourceRefSchema,
  data: Type.Record(Type.String(), Type.Unknown()),
});
export type Envelope<D = Record<string, unknown>> = Omit<Static<typeof EnvelopeSchema>, "data"> & { data: D };

export class EnvelopeError extends Error {
  readonly code = "CK_ENVELOPE_INVALID";
}

export function schemaName(kind: string, event: string): string {
  return `certkeeper.io/${kind}.${event}/v1`;
}

export function makeEnvelope<D extends Record<string, unknown>>(
  schema: string,
  resource: ResourceRef,
  data: D,
  at: Date = new Date(),
): Envelope<D> {
  const env: Envelope<D> = { schema, at: at.toISOString(), resource, data };
  assertNoKeyMaterial(env);
  return env;
}

/** Validates an incoming message at the edge; throws EnvelopeError with every problem listed. */
export function parseEnvelope(bytes: Uint8Array | string, dataSchema?: TSchema): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === "string" ? bytes : new TextDecoder().decode(bytes));
  } catch (err) {
    throw new EnvelopeError("message is not JSON", { cause: err });
  }
  const errors = [...Value.Errors(EnvelopeSchema, value)];
  if (errors.length > 0) {
    throw new EnvelopeError(
      `invalid envelope: ${errors.map((e) => `${e.path || "/"}: ${e.message}`).join("; ")}`,
    );
  }
  const env = value as Envelope;
  if (dataSchema) {
    const dataErrors = [...Value.Errors(dataSchema, env.data)];
    if (dataErrors.length > 0) {
      throw new EnvelopeError(
        `invalid ${env.schema} payload: ${dataErrors.map((e) => `data${e.path}: ${e.message}`).join("; ")}`,
      );
    }
  }
  return env;
}

/** The message id a JetStream publish carries so that a retried event is stored once. */
export function eventMessageId(resource: ResourceRef, event: string): string {
  return `${resource.uid}/${resource.resourceVersion ?? ""}/${event}`;
}

const KEY_MATERIAL =
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|"(?:tls\.key|privateKey|secretKey|hmacKey|tsigSecret)"\s*:/;

/**
 * Last line of defence: refuses to put anything that looks like a private key or a Secret's key
 * on NATS. Callers should never get here; this makes a mistake fail loudly instead of leaking.
 */
export function assertNoKeyMaterial(value: unknown): void {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (KEY_MATERIAL.test(text)) {
    throw new EnvelopeError("refusing to publish a payload that contains private key material");
  }
}

export function containsKeyMaterial(text: string): boolean {
  return KEY_MATERIAL.test(text);
}
