/** ACME object states as cert-manager classifies them. "" / undefined means unknown. */
import type { State } from "@certkeeper/api";

/** Nothing more will happen to an object in a final state. */
export function isFinalState(s: State | string | undefined): boolean {
  return s === "valid" || s === "invalid" || s === "expired" || s === "errored";
}

/** A final state that is not success. */
export function isFailureState(s: State | string | undefined): boolean {
  return s === "invalid" || s === "expired" || s === "errored";
}

/** Maps a server-reported status onto the API's state enum ("deactivated"/"revoked" count as invalid). */
export function toState(status: string | undefined): State | undefined {
  switch (status) {
    case "valid":
    case "ready":
    case "pending":
    case "processing":
    case "invalid":
    case "expired":
    case "errored":
      return status;
    case "deactivated":
    case "revoked":
      return "invalid";
    default:
      return undefined;
  }
}
