/** The ACME client against a real Pebble (External Account Binding required). */
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPebble, type PebbleHandle } from "../../../../libs/testing/src/pebble.ts";
import { AcmeClient } from "./client.ts";
import { AcmeProblemError } from "./errors.ts";

const KID = "kid-1";
const MAC = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";
const key = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs1", format: "pem" })
  .toString();

let pebble: PebbleHandle;
beforeAll(async () => {
  pebble = await startPebble({ externalAccountMACKeys: { [KID]: MAC } });
});
afterAll(async () => {
  await pebble?.stop();
});

const client = (extra: Partial<ConstructorParameters<typeof AcmeClient>[0]> = {}) =>
  new AcmeClient({
    directoryUrl: pebble.directoryUrl,
    accountKeyPEM: key,
    caBundlePEM: pebble.caPEM,
    ...extra,
  });

describe("AcmeClient against Pebble", () => {
  it("needs External Account Binding when the server says so", async () => {
    const err = await client()
      .registerAccount("a@example.com")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeProblemError);
    expect((err as AcmeProblemError).isClientError).toBe(true);
    expect((err as AcmeProblemError).type).toBe("urn:ietf:params:acme:error:externalAccountRequired");
  });

  it("registers with EAB, adopts the existing account for the same key, and updates the contact", async () => {
    const first = await client({ eab: { keyID: KID, hmacKey: MAC } }).registerAccount("A@Example.com");
    expect(first.contact).toEqual(["mailto:a@example.com"]);
    const again = client({ eab: { keyID: KID, hmacKey: MAC }, skipTLSVerify: true });
    const second = await again.registerAccount("b@example.com");
    expect(second).toEqual({ uri: first.uri, contact: ["mailto:a@example.com"] });
    expect((await again.updateContact("c@example.com")).contact).toEqual(["mailto:c@example.com"]);
  });

  it("creates an order with one authorization per identifier, offering HTTP-01", async () => {
    const c = client({ eab: { keyID: KID, hmacKey: MAC } });
    await c.registerAccount(undefined);
    const order = await c.newOrder([
      { type: "dns", value: "x.example.com" },
      { type: "dns", value: "y.example.com" },
    ]);
    expect(order.status).toBe("pending");
    expect(order.authorizations).toHaveLength(2);
    const authz = await c.getAuthorization(order.authorizations[0]!);
    const http = authz.challenges.find((ch) => ch.type === "http-01")!;
    expect(await c.keyAuthorization(http.token, "HTTP-01")).toMatch(
      new RegExp(`^${http.token}\\.[A-Za-z0-9_-]{43}$`),
    );
    expect((await c.getChallenge(http.url)).status).toBe("pending");
    const fetched = await c.getOrder(order.url);
    expect(fetched).toMatchObject({ url: order.url, status: "pending", finalize: order.finalize });
  });
});
