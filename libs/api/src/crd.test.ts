import { Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { beforeAll, describe, expect, it } from "vitest";
import { allCrds, crdFor } from "./crd.ts";
import { SchemaConversionError, toStructural, type JSONSchemaProps } from "./openapi.ts";
import { registerApiFormats } from "./formats.ts";
import { AnyObject, StringEnum } from "./schemas/common.ts";
import { CertificateSpecSchema, IssuerSpecSchema } from "./schemas/index.ts";
import { crdProblems, schemaAt, structuralProblems } from "./structural.ts";

/** Every schema node with its path, walking properties, items and additionalProperties. */
function* walk(node: JSONSchemaProps, path = ""): Generator<[string, JSONSchemaProps]> {
  yield [path, node];
  for (const [name, child] of Object.entries(node.properties ?? {})) yield* walk(child, `${path}.${name}`);
  if (node.items) yield* walk(node.items, `${path}[]`);
  if (node.additionalProperties) yield* walk(node.additionalProperties, `${path}[*]`);
}

const crds = allCrds();

describe("CRD schemas are structural", () => {
  it.each(crds.map((c) => [c.metadata.name, c] as const))("%s passes the structural checks", (_name, crd) => {
    expect(crdProblems(crd)).toEqual([]);
  });

  it.each(crds.map((c) => [c.metadata.name, c] as const))(
    "%s: every node is typed, no $ref, no junctors",
    (_, crd) => {
      const schema = crd.spec.versions[0]!.schema.openAPIV3Schema;
      expect(JSON.stringify(schema)).not.toContain("$ref");
      for (const [path, node] of walk(schema)) {
        const untypedAllowed =
          node["x-kubernetes-preserve-unknown-fields"] === true ||
          node["x-kubernetes-int-or-string"] === true;
        expect(node.type !== undefined || untypedAllowed, `${path} has a type`).toBe(true);
        expect(
          node.properties && node.additionalProperties,
          `${path} mixes properties and additionalProperties`,
        ).toBeFalsy();
        for (const key of ["anyOf", "oneOf", "allOf", "not", "const", "patternProperties", "$id"]) {
          expect(Object.keys(node), `${path} has ${key}`).not.toContain(key);
        }
      }
    },
  );

  it.each(crds.map((c) => [c.metadata.name, c] as const))(
    "%s: every spec/status field has a description",
    (_, crd) => {
      const schema = crd.spec.versions[0]!.schema.openAPIV3Schema;
      const missing = [...walk(schema)]
        .filter(([path]) => /^\.(spec|status)/.test(path) && !path.endsWith("[]") && !path.endsWith("[*]"))
        .filter(([, node]) => !node.description)
        .map(([path]) => path);
      expect(missing).toEqual([]);
    },
  );

  it("the checker catches what the API server would reject", () => {
    expect(structuralProblems({ properties: { a: { type: "string" } } })).toContain("<root>: missing type");
    expect(
      structuralProblems({
        type: "object",
        properties: { a: { type: "string" } },
        additionalProperties: { type: "string" },
      }),
    ).toContain("<root>: properties and additionalProperties are mutually exclusive");
    expect(
      structuralProblems({
        type: "array",
        items: { type: "object", properties: { type: { type: "string" } } },
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
      }),
    ).toContain("<root>: list-map key type must be required or defaulted");
    expect(structuralProblems({ type: "object", properties: { a: { type: "object" } } })).toEqual([]);
  });
});

describe("toStructural", () => {
  it("turns literal unions into enums and records into additionalProperties", () => {
    expect(toStructural(StringEnum(["A", "B"], { description: "d" }))).toEqual({
      description: "d",
      type: "string",
      enum: ["A", "B"],
    });
    expect(toStructural(Type.Record(Type.String(), Type.String()))).toEqual({
      type: "object",
      additionalProperties: { type: "string" },
    });
    expect(toStructural(AnyObject("x"))).toEqual({
      description: "x",
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    });
    expect(toStructural(Type.Integer({ exclusiveMinimum: 0 }))).toEqual({
      type: "integer",
      minimum: 0,
      exclusiveMinimum: true,
    });
  });

  it("refuses schemas that cannot be structural", () => {
    expect(() => toStructural(Type.Union([Type.String(), Type.Number()]))).toThrow(SchemaConversionError);
    expect(() => toStructural(Type.Unknown())).toThrow(/preserve unknown fields/);
    expect(() => toStructural(Type.Ref("Foo"))).toThrow(/\$ref/);
    expect(() => toStructural(Type.Object({ a: Type.String({ title: "t" }) }))).toThrow(
      /\.a: unsupported schema keyword title/,
    );
  });
});

describe("CRD metadata", () => {
  it("names, scope, short names and categories match cert-manager", () => {
    const summary = crds.map((c) => ({
      name: c.metadata.name,
      kind: c.spec.names.kind,
      listKind: c.spec.names.listKind,
      singular: c.spec.names.singular,
      shortNames: c.spec.names.shortNames ?? [],
      categories: c.spec.names.categories,
      scope: c.spec.scope,
    }));
    expect(summary).toEqual([
      {
        name: "certificates.cert-manager.io",
        kind: "Certificate",
        listKind: "CertificateList",
        singular: "certificate",
        shortNames: ["cert", "certs"],
        categories: ["cert-manager"],
        scope: "Namespaced",
      },
      {
        name: "certificaterequests.cert-manager.io",
        kind: "CertificateRequest",
        listKind: "CertificateRequestList",
        singular: "certificaterequest",
        shortNames: ["cr", "crs"],
        categories: ["cert-manager"],
        scope: "Namespaced",
      },
      {
        name: "issuers.cert-manager.io",
        kind: "Issuer",
        listKind: "IssuerList",
        singular: "issuer",
        shortNames: ["iss"],
        categories: ["cert-manager"],
        scope: "Namespaced",
      },
      {
        name: "clusterissuers.cert-manager.io",
        kind: "ClusterIssuer",
        listKind: "ClusterIssuerList",
        singular: "clusterissuer",
        shortNames: ["ciss"],
        categories: ["cert-manager"],
        scope: "Cluster",
      },
      {
        name: "orders.acme.cert-manager.io",
        kind: "Order",
        listKind: "OrderList",
        singular: "order",
        shortNames: [],
        categories: ["cert-manager", "cert-manager-acme"],
        scope: "Namespaced",
      },
      {
        name: "challenges.acme.cert-manager.io",
        kind: "Challenge",
        listKind: "ChallengeList",
        singular: "challenge",
        shortNames: [],
        categories: ["cert-manager", "cert-manager-acme"],
        scope: "Namespaced",
      },
    ]);
    for (const crd of crds) {
      const v = crd.spec.versions;
      expect(v).toHaveLength(1);
      expect(v[0]).toMatchObject({ name: "v1", served: true, storage: true, subresources: { status: {} } });
      expect(crd.metadata.labels["app.kubernetes.io/name"]).toBe("certkeeper");
    }
  });

  it("printer columns match cert-manager", () => {
    const columns = Object.fromEntries(
      crds.map((c) => [
        c.spec.names.kind,
        c.spec.versions[0]!.additionalPrinterColumns.map(
          (col) => `${col.name}|${col.type}|${col.jsonPath}|${col.priority ?? 0}`,
        ),
      ]),
    );
    const ready = '.status.conditions[?(@.type == "Ready")]';
    const age = "Age|date|.metadata.creationTimestamp|0";
    const issuerCols = [`Ready|string|${ready}.status|0`, `Status|string|${ready}.message|1`, age];
    expect(columns).toEqual({
      Certificate: [
        `Ready|string|${ready}.status|0`,
        "Secret|string|.spec.secretName|0",
        "Issuer|string|.spec.issuerRef.name|1",
        `Status|string|${ready}.message|1`,
        "Expiration|string|.status.notAfter|1",
        age,
      ],
      CertificateRequest: [
        '.status.conditions[?(@.type == "Approved")].status',
        '.status.conditions[?(@.type == "Denied")].status',
      ]
        .map((p, i) => `${["Approved", "Denied"][i]}|string|${p}|0`)
        .concat([
          `Ready|string|${ready}.status|0`,
          "Issuer|string|.spec.issuerRef.name|0",
          "Requester|string|.spec.username|0",
          `Status|string|${ready}.message|1`,
          age,
        ]),
      Issuer: issuerCols,
      ClusterIssuer: issuerCols,
      Order: [
        "State|string|.status.state|0",
        "Issuer|string|.spec.issuerRef.name|1",
        "Reason|string|.status.reason|1",
        age,
      ],
      Challenge: [
        "State|string|.status.state|0",
        "Domain|string|.spec.dnsName|0",
        "Reason|string|.status.reason|1",
        age,
      ],
    });
  });

  it("issuerRef fields are selectable on Certificate, CertificateRequest, Order and Challenge only", () => {
    for (const crd of crds) {
      const fields = crd.spec.versions[0]!.selectableFields?.map((f) => f.jsonPath) ?? [];
      const expected = ["Issuer", "ClusterIssuer"].includes(crd.spec.names.kind)
        ? []
        : [".spec.issuerRef.group", ".spec.issuerRef.kind", ".spec.issuerRef.name"];
      expect(fields, crd.metadata.name).toEqual(expected);
    }
  });

  it("conditions are list maps keyed by type", () => {
    for (const crd of crds) {
      const conditions = schemaAt(crd.spec.versions[0]!.schema.openAPIV3Schema, ".status.conditions");
      if (["Order", "Challenge"].includes(crd.spec.names.kind)) {
        expect(conditions).toBeUndefined();
        continue;
      }
      expect(conditions).toMatchObject({
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
        items: { required: ["type", "status"] },
      });
    }
  });

  it("keeps the API server's rejections cert-manager users rely on", () => {
    const schema = crdFor("Certificate").spec.versions[0]!.schema.openAPIV3Schema;
    expect(schemaAt(schema, ".spec.duration")).toMatchObject({ type: "string" });
    expect(schemaAt(schema, ".spec.privateKey.algorithm")?.enum).toEqual(["RSA", "ECDSA", "Ed25519"]);
    expect(schemaAt(schema, ".spec.usages")?.items?.enum).toHaveLength(23);
    expect(schemaAt(schema, ".spec.keystores.pkcs12.profile")?.enum).toEqual([
      "LegacyRC2",
      "LegacyDES",
      "Modern2023",
      "Modern2026",
    ]);
    expect(schema.required).toEqual(["spec"]);
    expect(schemaAt(schema, ".spec")?.required).toEqual(["secretName", "issuerRef"]);
    const issuer = crdFor("Issuer").spec.versions[0]!.schema.openAPIV3Schema;
    expect(
      schemaAt(issuer, ".spec.acme.solvers")?.items?.properties?.dns01?.properties?.webhook?.properties
        ?.config,
    ).toEqual({
      description: expect.any(String),
      "x-kubernetes-preserve-unknown-fields": true,
    });
  });
});

describe("TypeBox schemas validate objects like the CRD does", () => {
  beforeAll(() => registerApiFormats());

  it("accepts a full Certificate spec and rejects a numeric duration or unknown algorithm", () => {
    const spec = {
      secretName: "tls",
      issuerRef: { name: "ca", kind: "ClusterIssuer" },
      commonName: "example.com",
      dnsNames: ["example.com"],
      duration: "2160h0m0s",
      renewBefore: "360h",
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
      usages: ["server auth", "digital signature"],
      keystores: {
        pkcs12: { create: true, profile: "Modern2023", passwordSecretRef: { name: "p", key: "k" } },
      },
      renewal: { policy: "RenewBefore", windows: [{ cron: "0 1 * * *", windowDuration: "30m" }] },
    };
    expect([...Value.Errors(CertificateSpecSchema, spec)]).toEqual([]);
    expect(Value.Check(CertificateSpecSchema, { ...spec, duration: 2160 })).toBe(false);
    expect(Value.Check(CertificateSpecSchema, { ...spec, duration: "90d" })).toBe(false);
    expect(Value.Check(CertificateSpecSchema, { ...spec, privateKey: { algorithm: "DSA" } })).toBe(false);
  });

  it("accepts arbitrary JSON in the webhook solver config", () => {
    const spec = {
      acme: {
        server: "https://acme.example/directory",
        privateKeySecretRef: { name: "acct" },
        solvers: [
          {
            dns01: {
              webhook: { groupName: "g", solverName: "s", config: { any: ["json", 1, { x: null }] } },
            },
          },
        ],
      },
    };
    expect([...Value.Errors(IssuerSpecSchema, spec)]).toEqual([]);
  });
});
