/** ACME HTTP-01 solver configuration: Ingress or Gateway API HTTPRoute, plus solver pod overrides. */
import { Type, type Static } from "@sinclair/typebox";
import { AnyObject, Int32, Int64, LocalObjectReference, StringMap } from "./common.ts";

const Quantity = Type.Union([Type.Integer(), Type.String()], {
  description: "A resource quantity such as 100m or 64Mi.",
  "x-kubernetes-int-or-string": true,
});

export const ACMEChallengeSolverHTTP01IngressPodSecurityContextSchema = Type.Object(
  {
    seLinuxOptions: Type.Optional(
      Type.Object(
        {
          level: Type.Optional(Type.String({ description: "SELinux level label." })),
          role: Type.Optional(Type.String({ description: "SELinux role label." })),
          type: Type.Optional(Type.String({ description: "SELinux type label." })),
          user: Type.Optional(Type.String({ description: "SELinux user label." })),
        },
        { description: "SELinux context applied to all containers." },
      ),
    ),
    runAsUser: Type.Optional(Int64("UID the solver container runs as.")),
    runAsGroup: Type.Optional(Int64("GID the solver container runs as.")),
    runAsNonRoot: Type.Optional(Type.Boolean({ description: "Refuse to start the container as UID 0." })),
    supplementalGroups: Type.Optional(
      Type.Array(Type.Integer({ format: "int64" }), {
        description: "Extra groups for the container process.",
        "x-kubernetes-list-type": "atomic",
      }),
    ),
    fsGroup: Type.Optional(Int64("Group that owns supported volumes.")),
    sysctls: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ description: "Name of the sysctl." }),
            value: Type.String({ description: "Value of the sysctl." }),
          },
          { description: "One namespaced sysctl." },
        ),
        { description: "Namespaced sysctls for the pod.", "x-kubernetes-list-type": "atomic" },
      ),
    ),
    fsGroupChangePolicy: Type.Optional(
      Type.String({ description: "When volume ownership is changed: OnRootMismatch or Always." }),
    ),
    seccompProfile: Type.Optional(
      Type.Object(
        {
          type: Type.String({ description: "Localhost, RuntimeDefault or Unconfined." }),
          localhostProfile: Type.Optional(
            Type.String({ description: "Profile file on the node, for type Localhost." }),
          ),
        },
        { description: "Seccomp profile of the solver pod." },
      ),
    ),
  },
  { description: "Pod security context of the solver pod." },
);

export const ACMEChallengeSolverHTTP01IngressPodSpecSchema = Type.Object(
  {
    nodeSelector: Type.Optional(StringMap("Node labels the solver pod must be scheduled on.")),
    affinity: Type.Optional(AnyObject("Scheduling affinity of the solver pod (a core/v1 Affinity).")),
    tolerations: Type.Optional(
      Type.Array(
        Type.Object(
          {
            key: Type.Optional(
              Type.String({ description: "Taint key; empty matches all keys with Exists." }),
            ),
            operator: Type.Optional(Type.String({ description: "Exists or Equal (default)." })),
            value: Type.Optional(Type.String({ description: "Taint value for operator Equal." })),
            effect: Type.Optional(
              Type.String({ description: "Taint effect: NoSchedule, PreferNoSchedule or NoExecute." }),
            ),
            tolerationSeconds: Type.Optional(Int64("How long a NoExecute taint is tolerated.")),
          },
          { description: "A toleration of a node taint." },
        ),
        { description: "Tolerations of the solver pod.", "x-kubernetes-list-type": "atomic" },
      ),
    ),
    priorityClassName: Type.Optional(Type.String({ description: "PriorityClass of the solver pod." })),
    serviceAccountName: Type.Optional(Type.String({ description: "ServiceAccount of the solver pod." })),
    imagePullSecrets: Type.Optional(
      Type.Array(LocalObjectReference("A Secret used to pull the solver image."), {
        description: "Secrets used to pull the solver image.",
        "x-kubernetes-list-type": "atomic",
      }),
    ),
    securityContext: Type.Optional(ACMEChallengeSolverHTTP01IngressPodSecurityContextSchema),
    resources: Type.Optional(
      Type.Object(
        {
          limits: Type.Optional(
            Type.Record(Type.String(), Quantity, {
              description: "Maximum compute resources per resource name.",
            }),
          ),
          requests: Type.Optional(
            Type.Record(Type.String(), Quantity, {
              description: "Requested compute resources per resource name.",
            }),
          ),
        },
        { description: "Compute resources of the solver container; overrides the controller's defaults." },
      ),
    ),
  },
  { description: "Overrides for the solver pod spec. Other pod fields are not supported." },
);

export const ACMEChallengeSolverHTTP01IngressPodTemplateSchema = Type.Object(
  {
    metadata: Type.Optional(
      Type.Object(
        {
          annotations: Type.Optional(StringMap("Annotations added to the solver pod.")),
          labels: Type.Optional(StringMap("Labels added to the solver pod.")),
        },
        { description: "Labels and annotations for the solver pod; they win over built-in values." },
      ),
    ),
    spec: Type.Optional(ACMEChallengeSolverHTTP01IngressPodSpecSchema),
  },
  { description: "Customises the pods that answer HTTP-01 challenges." },
);
export type ACMEChallengeSolverHTTP01IngressPodTemplate = Static<
  typeof ACMEChallengeSolverHTTP01IngressPodTemplateSchema
>;

export const ACMEChallengeSolverHTTP01IngressSchema = Type.Object(
  {
    serviceType: Type.Optional(
      Type.String({ description: "Type of the solver Service: NodePort (default) or ClusterIP." }),
    ),
    ingressClassName: Type.Optional(
      Type.String({
        description: "ingressClassName of the solver Ingress. Only one of ingressClassName, class and name.",
      }),
    ),
    class: Type.Optional(
      Type.String({
        description:
          "Value of the kubernetes.io/ingress.class annotation on the solver Ingress. Only one of " +
          "ingressClassName, class and name.",
      }),
    ),
    name: Type.Optional(
      Type.String({
        description:
          "Existing Ingress to edit in place by adding the challenge path, instead of creating one. Only one " +
          "of ingressClassName, class and name.",
      }),
    ),
    podTemplate: Type.Optional(ACMEChallengeSolverHTTP01IngressPodTemplateSchema),
    ingressTemplate: Type.Optional(
      Type.Object(
        {
          metadata: Type.Optional(
            Type.Object(
              {
                annotations: Type.Optional(StringMap("Annotations added to the solver Ingress.")),
                labels: Type.Optional(StringMap("Labels added to the solver Ingress.")),
              },
              {
                description: "Labels and annotations for the solver Ingress; they win over built-in values.",
              },
            ),
          ),
        },
        { description: "Customises the Ingress that routes HTTP-01 challenge requests." },
      ),
    ),
  },
  {
    description: "Solve HTTP-01 by routing /.well-known/acme-challenge/ through an Ingress to a solver pod.",
  },
);
export type ACMEChallengeSolverHTTP01Ingress = Static<typeof ACMEChallengeSolverHTTP01IngressSchema>;

export const ParentReferenceSchema = Type.Object(
  {
    group: Type.Optional(
      Type.String({ description: "API group of the parent.", default: "gateway.networking.k8s.io" }),
    ),
    kind: Type.Optional(Type.String({ description: "Kind of the parent.", default: "Gateway" })),
    namespace: Type.Optional(
      Type.String({ description: "Namespace of the parent; defaults to the HTTPRoute's namespace." }),
    ),
    name: Type.String({ description: "Name of the parent." }),
    sectionName: Type.Optional(
      Type.String({ description: "Section of the parent, e.g. a Gateway listener name." }),
    ),
    port: Type.Optional(Int32("Port of the parent to attach to.", { minimum: 1, maximum: 65535 })),
  },
  { description: "A Gateway API parent (usually a Gateway) the solver HTTPRoute attaches to." },
);
export type ParentReference = Static<typeof ParentReferenceSchema>;

export const ACMEChallengeSolverHTTP01GatewayHTTPRouteSchema = Type.Object(
  {
    serviceType: Type.Optional(
      Type.String({ description: "Type of the solver Service: NodePort (default) or ClusterIP." }),
    ),
    labels: Type.Optional(StringMap("Labels added to the solver HTTPRoute.")),
    parentRefs: Type.Optional(
      Type.Array(ParentReferenceSchema, {
        description: "Parents (usually Gateways) the solver HTTPRoute attaches to.",
        "x-kubernetes-list-type": "atomic",
      }),
    ),
    podTemplate: Type.Optional(ACMEChallengeSolverHTTP01IngressPodTemplateSchema),
  },
  { description: "Solve HTTP-01 by creating a Gateway API HTTPRoute to a solver pod." },
);
export type ACMEChallengeSolverHTTP01GatewayHTTPRoute = Static<
  typeof ACMEChallengeSolverHTTP01GatewayHTTPRouteSchema
>;

export const ACMEChallengeSolverHTTP01Schema = Type.Object(
  {
    ingress: Type.Optional(ACMEChallengeSolverHTTP01IngressSchema),
    gatewayHTTPRoute: Type.Optional(ACMEChallengeSolverHTTP01GatewayHTTPRouteSchema),
  },
  {
    description:
      "Solve challenges with HTTP-01 (not possible for wildcard names). Set exactly one of ingress and " +
      "gatewayHTTPRoute.",
  },
);
export type ACMEChallengeSolverHTTP01 = Static<typeof ACMEChallengeSolverHTTP01Schema>;
