/**
 * A thin ACME client over acme-client 5 (JWS signing, nonces, directory), with what cert-manager's
 * client adds on top:
 *
 *   - typed errors: every failed call becomes AcmeProblemError (status + RFC 7807 problem),
 *     AcmeTransportError (no answer) or AcmeTimeoutError — acme-client itself only throws text
 *   - per-issuer TLS (caBundle / skipTLSVerify) and a request timeout (90 s), without touching
 *     process-wide settings: acme-client shares one axios instance, so each call runs inside an
 *     AsyncLocalStorage context that the instrumented transport reads
 *   - metrics per HTTP attempt with cert-manager's action names
 *   - Link: rel="alternate" chains for preferredChain
 *   - nonce reuse: acme-client fetches a fresh nonce (HEAD newNonce) before every signed request;
 *     we keep the Replay-Nonce of each successful answer and hand it to the next request, which
 *     saves one round trip per ACME call (a stale one costs a badNonce retry, which acme-client does)
 *
 *   call(action, fn) ──ctx{agent, timeout, action, nonces}──▶ acme-client ──▶ transport.ts
 *        ▲                                                                        │
 *        └──────── last response / transport error recorded in ctx ◀──────────────┘
 */
import { createHash } from "node:crypto";
import { Agent } from "node:https";
import * as acme from "acme-client";
import { AcmeProblemError, AcmeTimeoutError, AcmeTransportError, errorText, type Problem } from "./errors.ts";
import { AcmeAction, type AcmeActionName, type AcmeClientMetrics } from "./metrics.ts";
import { instrument, lastHeaders, runCall, type CallContext } from "./transport.ts";

export interface AcmeIdentifier {
  type: "dns" | "ip";
  value: string;
}

export interface AcmeOrderObject {
  url: string;
  status: string;
  identifiers?: AcmeIdentifier[];
  authorizations: string[];
  finalize: string;
  certificate?: string;
  error?: Problem;
}

export interface AcmeChallengeObject {
  url: string;
  type: string;
  token: string;
  status: string;
  error?: Problem;
}

export interface AcmeAuthorizationObject {
  url: string;
  identifier: AcmeIdentifier;
  status: string;
  wildcard?: boolean;
  challenges: AcmeChallengeObject[];
}

export interface AcmeClientOptions {
  directoryUrl: string;
  /** PEM account key (PKCS#1 RSA as cert-manager stores it). */
  accountKeyPEM: string;
  accountUrl?: string;
  /** External Account Binding: key ID and the base64url MAC key. */
  eab?: { keyID: string; hmacKey: string };
  caBundlePEM?: string;
  skipTLSVerify?: boolean;
  timeoutMs?: number;
  userAgent?: string;
  metrics?: AcmeClientMetrics;
}

/** URLs of Link: <url>;rel="alternate" headers (RFC 8555 7.4.2). */
export function alternateLinks(header: unknown): string[] {
  const values = Array.isArray(header) ? header.map(String) : header ? [String(header)] : [];
  const out: string[] = [];
  for (const v of values) {
    for (const m of v.matchAll(/<([^>]+)>\s*;[^,]*?rel="?alternate"?/g)) out.push(m[1]!);
  }
  return out;
}

const mailto = (email: string | undefined) => (email ? [`mailto:${email.toLowerCase()}`] : undefined);
/** Sleeps `ms`, or less if `signal` aborts; the abort listener is removed either way (the signal is long-lived). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

export class AcmeClient {
  readonly directoryUrl: string;
  private readonly client: acme.Client;
  private readonly agent: Agent | undefined;
  private readonly timeoutMs: number;
  private readonly nonces: string[] = [];

  constructor(private readonly opts: AcmeClientOptions) {
    instrument();
    this.directoryUrl = opts.directoryUrl;
    this.timeoutMs = opts.timeoutMs ?? 90_000;
    this.agent =
      opts.caBundlePEM || opts.skipTLSVerify
        ? new Agent({
            keepAlive: true,
            ...(opts.caBundlePEM ? { ca: opts.caBundlePEM } : {}),
            rejectUnauthorized: !opts.skipTLSVerify,
          })
        : undefined;
    this.client = new acme.Client({
      directoryUrl: opts.directoryUrl,
      accountKey: opts.accountKeyPEM,
      ...(opts.accountUrl ? { accountUrl: opts.accountUrl } : {}),
      ...(opts.eab ? { externalAccountBinding: { kid: opts.eab.keyID, hmacKey: opts.eab.hmacKey } } : {}),
    });
    // acme-client 5's HttpClient (`client.http`) asks getNonce() before each signed request.
    const http = (this.client as unknown as { http?: { getNonce?: () => Promise<string> } }).http;
    if (http?.getNonce) {
      const fresh = http.getNonce.bind(http);
      http.getNonce = async () => this.nonces.pop() ?? fresh();
    }
  }

  /** The account URL once registered (or as given). */
  get accountUrl(): string | undefined {
    try {
      return this.client.getAccountUrl();
    } catch {
      return undefined;
    }
  }

  private async call<T>(action: AcmeActionName, fn: () => Promise<T>): Promise<T> {
    const ctx: CallContext = {
      action,
      agent: this.agent,
      timeoutMs: this.timeoutMs,
      userAgent: this.opts.userAgent,
      metrics: this.opts.metrics,
      nonces: this.nonces,
    };
    try {
      return await runCall(ctx, fn);
    } catch (err) {
      const res = ctx.last?.response;
      if (res && res.status >= 400)
        throw new AcmeProblemError(res.status, res.data as Problem | undefined, ctx.last?.url);
      if (ctx.last?.error)
        throw new AcmeTransportError(`${ctx.last.url ?? this.directoryUrl}: ${errorText(ctx.last.error)}`, {
          cause: ctx.last.error,
        });
      throw new AcmeTransportError(errorText(err), { cause: err });
    }
  }

  /**
   * newAccount with ToS agreed. An account that already exists for the key (200) is adopted and
   * read back with POST-as-GET, as cert-manager does; its contact is left for updateContact.
   * (acme-client's createAccount would send an update instead, which an account without email
   * turns into the "empty update" servers refuse.)
   */
  async registerAccount(email: string | undefined): Promise<{ uri: string; contact: string[] }> {
    return this.call(AcmeAction.registerAccount, async () => {
      const contact = mailto(email);
      const data = { termsOfServiceAgreed: true, ...(contact ? { contact } : {}) };
      const api = (
        this.client as unknown as {
          api?: { createAccount(d: object): Promise<{ status: number; data: { contact?: string[] } }> };
        }
      ).api;
      let account: { contact?: string[] };
      if (api?.createAccount) {
        const resp = await api.createAccount(data);
        account = resp.status === 200 ? await this.client.updateAccount({}) : resp.data;
      } else {
        account = await this.client.createAccount(data);
      }
      return { uri: this.client.getAccountUrl(), contact: account.contact ?? [] };
    });
  }

  async updateContact(email: string | undefined): Promise<{ contact: string[] }> {
    return this.call(AcmeAction.updateRegistration, async () => {
      const account = await this.client.updateAccount({ contact: mailto(email) ?? [] });
      return { contact: account.contact ?? [] };
    });
  }

  async newOrder(
    identifiers: AcmeIdentifier[],
    extra: { notAfter?: string; profile?: string } = {},
  ): Promise<AcmeOrderObject> {
    return this.call(AcmeAction.authorizeOrder, async () => {
      const order = await this.client.createOrder({ identifiers, ...extra } as Parameters<
        acme.Client["createOrder"]
      >[0]);
      return order as unknown as AcmeOrderObject;
    });
  }

  async getOrder(url: string, action: AcmeActionName = AcmeAction.getOrder): Promise<AcmeOrderObject> {
    return this.call(
      action,
      async () => (await this.client.getOrder({ url } as acme.Order)) as unknown as AcmeOrderObject,
    );
  }

  /** POST-as-GET of one URL (acme-client has no single-object getter; getAuthorizations does exactly that). */
  private async postAsGet<T>(url: string): Promise<T> {
    const [obj] = await this.client.getAuthorizations({ authorizations: [url] } as acme.Order);
    return obj as unknown as T;
  }

  async getAuthorization(
    url: string,
    action: AcmeActionName = AcmeAction.getAuthorization,
  ): Promise<AcmeAuthorizationObject> {
    return this.call(action, () => this.postAsGet<AcmeAuthorizationObject>(url));
  }

  async getChallenge(url: string): Promise<AcmeChallengeObject> {
    return this.call(AcmeAction.getChallenge, () => this.postAsGet<AcmeChallengeObject>(url));
  }

  async acceptChallenge(url: string): Promise<AcmeChallengeObject> {
    return this.call(AcmeAction.acceptChallenge, async () => {
      const ch = await this.client.completeChallenge({ url } as Parameters<
        acme.Client["completeChallenge"]
      >[0]);
      return ch as unknown as AcmeChallengeObject;
    });
  }

  /** POSTs the CSR (PEM) to the order's finalize URL. */
  async finalize(order: { url: string; finalize: string }, csrPEM: string): Promise<AcmeOrderObject> {
    return this.call(AcmeAction.finalizeOrder, async () => {
      const o = await this.client.finalizeOrder(order as acme.Order, csrPEM);
      return o as unknown as AcmeOrderObject;
    });
  }

  /** The default chain at `certURL` and, when asked, every alternate chain the server links. */
  async fetchChains(certURL: string, withAlternates: boolean): Promise<{ chains: string[] }> {
    let links: string[] = [];
    const first = await this.call(AcmeAction.fetchCert, async () => {
      const pem = await this.client.getCertificate({ status: "valid", certificate: certURL } as acme.Order);
      links = withAlternates ? alternateLinks(lastHeaders()?.link) : [];
      return pem;
    });
    const chains = [first];
    for (const url of links) {
      chains.push(
        await this.call(AcmeAction.fetchCert, () =>
          this.client.getCertificate({ status: "valid", certificate: url } as acme.Order),
        ),
      );
    }
    return { chains };
  }

  /** Polls the authorization until it leaves pending/processing, at most `timeoutMs`. */
  async waitAuthorization(
    url: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<AcmeAuthorizationObject> {
    return this.poll(
      () => this.getAuthorization(url, AcmeAction.waitAuthorization),
      ["pending", "processing"],
      timeoutMs,
      signal,
      url,
    );
  }

  /** Polls the order while it is `processing` (after finalize), at most `timeoutMs`. */
  async waitOrder(url: string, timeoutMs: number, signal?: AbortSignal): Promise<AcmeOrderObject> {
    return this.poll(() => this.getOrder(url, AcmeAction.waitOrder), ["processing"], timeoutMs, signal, url);
  }

  private async poll<T extends { status: string }>(
    get: () => Promise<T>,
    waiting: string[],
    timeoutMs: number,
    signal: AbortSignal | undefined,
    url: string,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let delay = 250;
    for (;;) {
      const obj = await get();
      if (!waiting.includes(obj.status)) return obj;
      if (Date.now() + delay > deadline || signal?.aborted) {
        throw new AcmeTimeoutError(`timed out waiting for ${url} to leave "${obj.status}"`);
      }
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 2000);
    }
  }

  /** HTTP-01: token.thumbprint. DNS-01: base64url(SHA-256(keyAuthorization)). */
  async keyAuthorization(token: string, type: "HTTP-01" | "DNS-01"): Promise<string> {
    const keyAuth = await this.client.getChallengeKeyAuthorization({ type: "http-01", token } as Parameters<
      acme.Client["completeChallenge"]
    >[0]);
    return type === "HTTP-01" ? keyAuth : createHash("sha256").update(keyAuth).digest("base64url");
  }
}
