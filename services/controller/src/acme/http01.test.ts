import { describe, expect, it } from "vitest";
import { aChallenge } from "./builders.ts";
import {
  adler32,
  buildSolverIngress,
  solverLabels,
  withChallengePath,
  withoutChallengePath,
  type Ingress,
} from "./http01.ts";

const svc = { name: "certkeeper-acme-solver", port: 80 };

describe("adler32", () => {
  it.each([
    ["", 1],
    ["Wikipedia", 0x11e60398],
    ["a", 0x00620062],
  ])("%j", (s, want) => expect(adler32(s)).toBe(want));
});

describe("buildSolverIngress", () => {
  it("routes the exact challenge path on the host to the solver Service", () => {
    const ch = aChallenge(
      "c1",
      "a.example.com",
      (c) =>
        void (c.spec.solver = {
          http01: { ingress: { class: "nginx", ingressTemplate: { metadata: { labels: { extra: "1" } } } } },
        }),
    );
    const ing = buildSolverIngress(ch, svc);
    expect(ing.metadata.generateName).toBe("cm-acme-http-solver-");
    expect(ing.metadata.labels).toEqual({ ...solverLabels(ch), extra: "1" });
    expect(ing.metadata.labels?.["acme.cert-manager.io/http01-solver"]).toBe("true");
    expect(ing.metadata.annotations).toEqual({
      "nginx.ingress.kubernetes.io/whitelist-source-range": "0.0.0.0/0,::/0",
      "kubernetes.io/ingress.class": "nginx",
    });
    expect(ing.metadata.ownerReferences?.[0]).toMatchObject({
      kind: "Challenge",
      name: "c1",
      controller: true,
    });
    expect(ing.spec.rules).toEqual([
      {
        host: "a.example.com",
        http: {
          paths: [
            {
              path: "/.well-known/acme-challenge/tok-c1",
              pathType: "Exact",
              backend: { service: { name: svc.name, port: { number: 80 } } },
            },
          ],
        },
      },
    ]);
  });

  it("leaves the host empty for an IP address and honours ingressClassName", () => {
    const ch = aChallenge(
      "c2",
      "10.0.0.1",
      (c) => void (c.spec.solver = { http01: { ingress: { ingressClassName: "traefik" } } }),
    );
    const ing = buildSolverIngress(ch, svc);
    expect(ing.spec.rules?.[0]?.host).toBeUndefined();
    expect(ing.spec.ingressClassName).toBe("traefik");
  });
});

describe("edit in place", () => {
  const existing: Ingress = {
    metadata: { name: "web", namespace: "ns" },
    spec: {
      rules: [
        {
          host: "a.example.com",
          http: {
            paths: [
              { path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } },
            ],
          },
        },
      ],
    },
  };
  const ch = aChallenge(
    "c1",
    "a.example.com",
    (c) => void (c.spec.solver = { http01: { ingress: { name: "web" } } }),
  );

  it("adds the path first in the host's rule, once", () => {
    const next = withChallengePath(existing, ch, svc)!;
    expect(next.spec.rules?.[0]?.http?.paths.map((p) => p.path)).toEqual([
      "/.well-known/acme-challenge/tok-c1",
      "/",
    ]);
    expect(withChallengePath(next, ch, svc)).toBeUndefined();
    expect(existing.spec.rules?.[0]?.http?.paths).toHaveLength(1);
  });

  it("adds a rule for a new host and removes it again on cleanup", () => {
    const other = aChallenge("c9", "b.example.com");
    const added = withChallengePath(existing, other, svc)!;
    expect(added.spec.rules?.map((r) => r.host)).toEqual(["a.example.com", "b.example.com"]);
    expect(withoutChallengePath(added, other)).toEqual(existing);
  });

  it("removes only the challenge path", () => {
    const next = withChallengePath(existing, ch, svc)!;
    expect(withoutChallengePath(next, ch)).toEqual(existing);
    expect(withoutChallengePath(existing, ch)).toBeUndefined();
  });
});
