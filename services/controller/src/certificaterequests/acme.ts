/**
 * certificaterequests-issuer-acme: signs a CertificateRequest by way of an Order.
 *
 *   CSR undecodable ──────────────────────────▶ Failed RequestParsingError
 *   commonName not among dnsNames / IPs ──────▶ Failed InvalidOrder
 *   Order <cr ≤52>-<hash> missing ────────────▶ create it ─▶ Pending OrderCreated
 *   Order not controlled by this request ─────▶ Pending, retried
 *   Order failed (invalid/expired/errored) ───▶ Failed OrderFailed
 *   Order not valid yet ──────────────────────▶ Pending OrderPending (woken by Order changes)
 *   certificate undecodable / other key ──────▶ delete the Order (recreated next pass)
 *   otherwise ────────────────────────────────▶ the Order's chain
 *
 * Messages are cert-manager's ("<message>: <cause>").
 */
import {
  ACME_API_VERSION,
  CERT_MANAGER_API_VERSION,
  CertificateRequestReason,
  Resources,
  type CertificateRequest,
  type Order,
} from "@certkeeper/api";
import { isAlreadyExists, objectKey, type KubeObject } from "@certkeeper/kube";
import { parseCertificate, publicKeysEqual, type ParsedCSR } from "@certkeeper/pki";
import type { Deps } from "../context.ts";
import type { ControllerRegistration } from "../registration.ts";
import type { AcmeDeps } from "../acme/deps.ts";
import { orderName } from "../acme/names.ts";
import { isFailureState } from "../acme/states.ts";
import { isOpen, requestController, type Signer, type SignOutcome } from "./issuer-controller.ts";
import { decodeRequestCSR } from "./selfsigned.ts";

export const ACME_REQUEST_CONTROLLER = "certificaterequests-issuer-acme";

const INVALID_ORDER_MESSAGE =
  "The CSR PEM requests a commonName that is not present in the list of dnsNames or ipAddresses. If a commonName is set, ACME requires that the value is also present in the list of dnsNames or ipAddresses";

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));
/** Go's %s of a []string. */
const goList = (xs: readonly string[]) => `[${xs.join(" ")}]`;

/** Pure: the Order a request needs (cert-manager's buildOrder). */
export function buildOrder(cr: CertificateRequest, csr: ParsedCSR, enableDurationFeature: boolean): Order {
  const spec: Order["spec"] = {
    request: cr.spec.request,
    issuerRef: { ...cr.spec.issuerRef },
    ...(csr.subject.commonName ? { commonName: csr.subject.commonName } : {}),
    ...(csr.dnsNames.length ? { dnsNames: [...csr.dnsNames] } : {}),
    ...(csr.ipAddresses.length ? { ipAddresses: [...csr.ipAddresses] } : {}),
    ...(enableDurationFeature && cr.spec.duration ? { duration: cr.spec.duration } : {}),
  };
  return {
    apiVersion: ACME_API_VERSION,
    kind: "Order",
    metadata: {
      name: orderName(cr.metadata.name!, spec),
      namespace: cr.metadata.namespace!,
      ...(cr.metadata.labels ? { labels: { ...cr.metadata.labels } } : {}),
      ...(cr.metadata.annotations ? { annotations: { ...cr.metadata.annotations } } : {}),
      ownerReferences: [
        {
          apiVersion: CERT_MANAGER_API_VERSION,
          kind: "CertificateRequest",
          name: cr.metadata.name!,
          uid: cr.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec,
  };
}

/** Pure: the commonName check; undefined when fine. */
export function commonNameProblem(csr: ParsedCSR): string | undefined {
  const cn = csr.subject.commonName;
  if (!cn || csr.dnsNames.includes(cn) || csr.ipAddresses.includes(cn)) return undefined;
  return `${INVALID_ORDER_MESSAGE}: "${cn}" does not exist in ${goList(csr.dnsNames)} or ${goList(csr.ipAddresses)}`;
}

const controlledBy = (o: KubeObject, owner: KubeObject) =>
  !!o.metadata.ownerReferences?.some((r) => r.controller && r.uid === owner.metadata.uid);

export function acmeSigner(deps: Deps, acme: AcmeDeps): Signer {
  const deleteOrder = async (o: Order, why: string): Promise<SignOutcome> => {
    await deps.client.delete(Resources.Order, o.metadata.namespace, o.metadata.name!);
    acme.caches.orders.forget(o);
    return {
      kind: "pending",
      reason: CertificateRequestReason.OrderPending,
      message: `Recreating order ${o.metadata.namespace}/${o.metadata.name}: ${why}`,
      retry: new Error(why),
    };
  };

  return {
    async sign(cr, issuer): Promise<SignOutcome> {
      let csr: ParsedCSR;
      try {
        csr = decodeRequestCSR(cr);
      } catch (err) {
        return {
          kind: "failed",
          reason: CertificateRequestReason.RequestParsingError,
          message: `Failed to decode CSR in spec.request: ${errText(err)}`,
        };
      }
      const cnProblem = commonNameProblem(csr);
      if (cnProblem)
        return { kind: "failed", reason: CertificateRequestReason.InvalidOrder, message: cnProblem };

      const expected = buildOrder(cr, csr, issuer.issuer.spec.acme?.enableDurationFeature ?? false);
      const ns = expected.metadata.namespace!;
      const name = expected.metadata.name!;
      const order = acme.caches.orders.get(ns, name);
      if (!order) {
        try {
          acme.caches.orders.observe(await deps.client.create(Resources.Order, expected));
        } catch (err) {
          if (!isAlreadyExists(err)) {
            const message = `Failed create new order resource ${ns}/${name}: ${errText(err)}`;
            return {
              kind: "pending",
              reason: CertificateRequestReason.OrderCreatingError,
              message,
              retry: err as Error,
            };
          }
        }
        return {
          kind: "pending",
          reason: CertificateRequestReason.OrderCreated,
          message: `Created Order resource ${ns}/${name}`,
        };
      }
      if (!controlledBy(order, cr)) {
        const why = "found Order resource not owned by this CertificateRequest, retrying";
        return {
          kind: "pending",
          reason: CertificateRequestReason.OrderGetError,
          message: why,
          retry: new Error(why),
        };
      }
      const state = order.status?.state;
      if (isFailureState(state)) {
        return {
          kind: "failed",
          reason: CertificateRequestReason.OrderFailed,
          message: `Failed to wait for order resource "${name}" to become ready: order is in "${state}" state: ${order.status?.reason ?? ""}`,
        };
      }
      if (state !== "valid" || !order.status?.certificate) {
        return {
          kind: "pending",
          reason: CertificateRequestReason.OrderPending,
          message: `Waiting on certificate issuance from order ${ns}/${name}: "${state ?? ""}"`,
        };
      }
      const pem = Buffer.from(order.status.certificate, "base64").toString("utf8");
      let leafKey: Buffer;
      try {
        leafKey = parseCertificate(pem).publicKey;
      } catch (err) {
        return deleteOrder(
          order,
          `failed to decode x509 certificate data on Order resource: ${errText(err)}`,
        );
      }
      if (!publicKeysEqual(leafKey, csr.publicKey))
        return deleteOrder(order, "the certificate on the Order does not match the request's key");
      return { kind: "signed", certificatePEM: pem };
    },
  };
}

/** Wakes the request that owns a changed Order. */
function orderWatches(acme: AcmeDeps): (deps: Deps, enqueue: (key: string) => void) => void {
  return (deps, enqueue) => {
    const byOwner = (o: Order) => {
      const ref = o.metadata.ownerReferences?.find((r) => r.controller && r.kind === "CertificateRequest");
      if (!ref || !o.metadata.namespace) return;
      const cr = deps.caches.certificateRequests.get(o.metadata.namespace, ref.name);
      if (cr && isOpen(cr)) enqueue(objectKey(cr));
    };
    acme.caches.orders.onAdd(byOwner);
    acme.caches.orders.onUpdate((_o, n) => byOwner(n));
    acme.caches.orders.onDelete(byOwner);
  };
}

export function acmeRequestController(deps: Deps, acme: AcmeDeps): ControllerRegistration {
  return requestController(deps, {
    name: ACME_REQUEST_CONTROLLER,
    issuerType: "acme",
    signer: acmeSigner(deps, acme),
    extraWatches: orderWatches(acme),
  });
}
