/** Order and Challenge validation: nothing on create; on update what the ACME server gave is immutable. */
import type { Challenge, Order, OrderStatus } from "@certkeeper/api";
import { jsonEqual } from "./equal.ts";
import { child, forbidden, index, type FieldError, type ValidationResult } from "./field.ts";

const IMMUTABLE = "field is immutable once set";

function validateOrderStatusUpdate(old: OrderStatus, cur: OrderStatus, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (old.url && old.url !== cur.url) errs.push(forbidden(child(p, "url"), IMMUTABLE));
  if (old.finalizeURL && old.finalizeURL !== cur.finalizeURL)
    errs.push(forbidden(child(p, "finalizeURL"), IMMUTABLE));
  if (old.certificate && old.certificate !== cur.certificate)
    errs.push(forbidden(child(p, "certificate"), IMMUTABLE));
  const oldAuthz = old.authorizations ?? [];
  if (oldAuthz.length === 0) return errs;
  const ap = child(p, "authorizations");
  const newAuthz = cur.authorizations ?? [];
  if (oldAuthz.length !== newAuthz.length) errs.push(forbidden(ap, IMMUTABLE));
  oldAuthz.forEach((o, i) => {
    const n = newAuthz[i] ?? { url: "" };
    const ip = index(ap, i);
    if (o.url && o.url !== n.url) errs.push(forbidden(child(ip, "url"), IMMUTABLE));
    if (o.identifier && o.identifier !== n.identifier)
      errs.push(forbidden(child(ip, "identifier"), IMMUTABLE));
    if (o.wildcard !== undefined && o.wildcard !== n.wildcard)
      errs.push(forbidden(child(ip, "wildcard"), IMMUTABLE));
    if (o.initialState && o.initialState !== n.initialState)
      errs.push(forbidden(child(ip, "initialState"), IMMUTABLE));
    const oldCh = o.challenges ?? [];
    if (oldCh.length === 0) return;
    const cp = child(ip, "challenges");
    const newCh = n.challenges ?? [];
    if (oldCh.length !== newCh.length) errs.push(forbidden(cp, IMMUTABLE));
    oldCh.forEach((c, j) => {
      const d = newCh[j] ?? { url: "", token: "", type: "" };
      const chp = index(cp, j);
      if (c.url && c.url !== d.url) errs.push(forbidden(child(chp, "url"), IMMUTABLE));
      if (c.type && c.type !== d.type) errs.push(forbidden(child(chp, "type"), IMMUTABLE));
      if (c.token && c.token !== d.token) errs.push(forbidden(child(chp, "token"), IMMUTABLE));
    });
  });
  return errs;
}

export function validateOrder(obj: Order, oldObj?: Order): ValidationResult {
  if (!oldObj) return { errors: [], warnings: [] };
  const errors: FieldError[] = [];
  if (oldObj.spec.request && oldObj.spec.request !== obj.spec.request) {
    errors.push(forbidden("spec.request", IMMUTABLE));
  }
  // cert-manager checks only spec.request; certkeeper holds the whole spec immutable, as documented.
  const { request: _a, ...oldRest } = oldObj.spec;
  const { request: _b, ...newRest } = obj.spec;
  if (!jsonEqual(oldRest, newRest)) errors.push(forbidden("spec", IMMUTABLE));
  errors.push(...validateOrderStatusUpdate(oldObj.status ?? {}, obj.status ?? {}, "status"));
  return { errors, warnings: [] };
}

export function validateChallenge(obj: Challenge, oldObj?: Challenge): ValidationResult {
  if (!oldObj) return { errors: [], warnings: [] };
  const errors = jsonEqual(oldObj.spec, obj.spec)
    ? []
    : [forbidden("spec", "challenge spec is immutable after creation")];
  return { errors, warnings: [] };
}
