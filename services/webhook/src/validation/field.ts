/**
 * Field errors in the shape of Kubernetes' apimachinery `field.Error`, so a denial reads exactly like
 * cert-manager's: `spec.commonName: Too long: may not be more than 64 bytes`.
 *
 * Validators collect every error (never stop at the first) and return them with their JSON path;
 * `formatFieldError` renders one, `aggregateMessage` renders a list the way `ErrorList.ToAggregate()`
 * does (duplicates dropped, several wrapped in `[a, b]`).
 */

export type FieldErrorType =
  | "FieldValueInvalid"
  | "FieldValueRequired"
  | "FieldValueForbidden"
  | "FieldValueNotSupported"
  | "FieldValueTooLong"
  | "FieldValueDuplicate";

/** A value printed without quotes, like a Go value with a String() method (e.g. a time.Duration). */
export class Printed {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type FieldValue = string | number | boolean | null | Printed | readonly unknown[] | object;

export interface FieldError {
  /** JSON path in Kubernetes notation: `spec.dnsNames[0]`, `spec.additionalOutputFormats[type]`. */
  readonly path: string;
  readonly type: FieldErrorType;
  /** The offending value; absent when it is not worth printing (e.g. a whole CSR). */
  readonly value?: FieldValue;
  readonly detail: string;
}

export interface ValidationResult {
  readonly errors: FieldError[];
  readonly warnings: string[];
}

// ---------------------------------------------------------------- paths

export const child = (path: string, ...names: string[]): string =>
  names.reduce((p, n) => (p ? `${p}.${n}` : n), path);
export const index = (path: string, i: number): string => `${path}[${i}]`;
export const key = (path: string, k: string): string => `${path}[${k}]`;

// ---------------------------------------------------------------- constructors

export const invalid = (path: string, value: FieldValue | undefined, detail: string): FieldError =>
  value === undefined
    ? { path, type: "FieldValueInvalid", detail }
    : { path, type: "FieldValueInvalid", value, detail };

export const required = (path: string, detail = ""): FieldError => ({
  path,
  type: "FieldValueRequired",
  detail,
});

export const forbidden = (path: string, detail: string): FieldError => ({
  path,
  type: "FieldValueForbidden",
  detail,
});

export const notSupported = (
  path: string,
  value: FieldValue,
  supported: readonly (string | number)[],
): FieldError => ({
  path,
  type: "FieldValueNotSupported",
  value,
  detail:
    supported.length > 0
      ? `supported values: ${supported.map((v) => JSON.stringify(String(v))).join(", ")}`
      : "",
});

export const tooLong = (path: string, maxBytes: number): FieldError => ({
  path,
  type: "FieldValueTooLong",
  detail: `may not be more than ${maxBytes} bytes`,
});

export const duplicate = (path: string, value: FieldValue): FieldError => ({
  path,
  type: "FieldValueDuplicate",
  value,
  detail: "",
});

// ---------------------------------------------------------------- rendering

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueInvalid: "Invalid value",
  FieldValueRequired: "Required value",
  FieldValueForbidden: "Forbidden",
  FieldValueNotSupported: "Unsupported value",
  FieldValueTooLong: "Too long",
  FieldValueDuplicate: "Duplicate value",
};

/** Types whose message never shows the value. */
const VALUE_HIDDEN: ReadonlySet<FieldErrorType> = new Set([
  "FieldValueRequired",
  "FieldValueForbidden",
  "FieldValueTooLong",
]);

function printValue(v: FieldValue): string {
  if (v === null) return "null";
  if (v instanceof Printed) return v.text;
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
    case "boolean":
      return String(v);
    default:
      return JSON.stringify(v) ?? "null";
  }
}

/** `<path>: <Type>[: <value>][: <detail>]`, as apimachinery's `field.Error.Error()`. */
export function formatFieldError(e: FieldError): string {
  let body = TYPE_TEXT[e.type];
  if (!VALUE_HIDDEN.has(e.type) && e.value !== undefined) body += `: ${printValue(e.value)}`;
  if (e.detail) body += `: ${e.detail}`;
  return `${e.path}: ${body}`;
}

/** One message for many errors: duplicates dropped; one stays bare, several become `[a, b]`. */
export function aggregateMessage(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  if (unique.length === 0) return "";
  if (unique.length === 1) return unique[0]!;
  return `[${unique.join(", ")}]`;
}

export const formatFieldErrors = (errors: readonly FieldError[]): string =>
  aggregateMessage(errors.map(formatFieldError));

export const ok = (): ValidationResult => ({ errors: [], warnings: [] });
