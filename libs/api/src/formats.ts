/**
 * TypeBox rejects strings with a `format` it does not know. Call `registerApiFormats()` once (e.g. in
 * the webhook's app builder) before validating objects with `Value.Check` / `Value.Errors`.
 * Nothing is registered on import.
 */
import { FormatRegistry } from "@sinclair/typebox";

/** RFC 3339 date-time as Kubernetes writes it (seconds precision, optional fraction, Z or offset). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const API_FORMATS: Readonly<Record<string, (value: string) => boolean>> = Object.freeze({
  "date-time": (v: string) => DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)),
  byte: (v: string) => BASE64.test(v),
});

/** Registers the string formats used by the API schemas with TypeBox (idempotent). */
export function registerApiFormats(): void {
  for (const [name, check] of Object.entries(API_FORMATS)) {
    if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check);
  }
}
