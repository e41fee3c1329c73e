/**
 * The two API lookups the approval guard needs: SubjectAccessReviews (authorization.k8s.io/v1) and
 * issuer kind → resource discovery for external issuer groups. cert-manager.io's own kinds are
 * known without asking; other groups are looked up once and cached (misses for 30 s).
 */
import { CERT_MANAGER_GROUP, Resources } from "@certkeeper/api";
import { isNotFound, type KubeClient, type KubeObject, type ResourceType } from "@certkeeper/kube";
import type { UserInfo } from "./admission/review.ts";
import type {
  AccessReviewer,
  ResourceAttributes,
  SignerResolver,
  SignerResource,
} from "./plugins/approval.ts";

export const SUBJECT_ACCESS_REVIEWS: ResourceType = {
  group: "authorization.k8s.io",
  version: "v1",
  plural: "subjectaccessreviews",
  namespaced: false,
  kind: "SubjectAccessReview",
};

interface SubjectAccessReview extends KubeObject {
  spec: {
    user?: string;
    uid?: string;
    groups?: string[];
    extra?: Record<string, string[]>;
    resourceAttributes: ResourceAttributes;
  };
  status?: { allowed?: boolean; denied?: boolean; reason?: string };
}

/** Answers are reused for 1 s (allow and deny alike), as cert-manager's delegating authorizer does. */
const SAR_CACHE_TTL_MS = 1000;

export class SubjectAccessReviewer implements AccessReviewer {
  private readonly cache = new Map<string, { allowed: boolean; at: number }>();

  constructor(
    private readonly client: KubeClient,
    private readonly now: () => number = Date.now,
  ) {}

  async allowed(user: UserInfo, attrs: ResourceAttributes): Promise<boolean> {
    const key = JSON.stringify([user, attrs]);
    const hit = this.cache.get(key);
    if (hit && this.now() - hit.at < SAR_CACHE_TTL_MS) return hit.allowed;
    const allowed = await this.review(user, attrs);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { allowed, at: this.now() });
    return allowed;
  }

  private async review(user: UserInfo, attrs: ResourceAttributes): Promise<boolean> {
    const sar: SubjectAccessReview = {
      metadata: {},
      spec: {
        user: user.username ?? "",
        uid: user.uid ?? "",
        groups: user.groups ?? [],
        extra: user.extra ?? {},
        resourceAttributes: { ...attrs },
      },
    };
    const res = await this.client.create<SubjectAccessReview>(SUBJECT_ACCESS_REVIEWS, sar);
    return res.status?.allowed === true;
  }
}

const BUILT_IN: ReadonlyMap<string, SignerResource> = new Map([
  ["Issuer", { resource: Resources.Issuer.plural, namespaced: Resources.Issuer.namespaced }],
  [
    "ClusterIssuer",
    { resource: Resources.ClusterIssuer.plural, namespaced: Resources.ClusterIssuer.namespaced },
  ],
]);

const NEGATIVE_TTL_MS = 30_000;

interface APIGroup {
  versions?: Array<{ groupVersion?: string }>;
}
interface APIResourceList {
  resources?: Array<{ name?: string; kind?: string; namespaced?: boolean }>;
}

export class DiscoverySignerResolver implements SignerResolver {
  private readonly found = new Map<string, SignerResource>();
  private readonly missing = new Map<string, number>();

  constructor(
    private readonly client: KubeClient,
    private readonly now: () => number = Date.now,
  ) {}

  async resolve(group: string, kind: string): Promise<SignerResource | undefined> {
    if (group === CERT_MANAGER_GROUP) return BUILT_IN.get(kind);
    const key = `${group}/${kind}`;
    const hit = this.found.get(key);
    if (hit) return hit;
    const missedAt = this.missing.get(key);
    if (missedAt !== undefined && this.now() - missedAt < NEGATIVE_TTL_MS) return undefined;
    const result = await this.discover(group, kind);
    if (result) {
      this.found.set(key, result);
      this.missing.delete(key);
    } else {
      this.missing.set(key, this.now());
    }
    return result;
  }

  private async get<T>(path: string): Promise<T | undefined> {
    try {
      const res = await this.client.transport.request({
        method: "GET",
        path,
        verb: "get",
        resource: "discovery",
      });
      return JSON.parse(res.body) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async discover(group: string, kind: string): Promise<SignerResource | undefined> {
    const apiGroup = await this.get<APIGroup>(`/apis/${encodeURIComponent(group)}`);
    for (const v of apiGroup?.versions ?? []) {
      if (!v.groupVersion) continue;
      const list = await this.get<APIResourceList>(`/apis/${v.groupVersion}`);
      for (const r of list?.resources ?? []) {
        if (r.kind === kind && r.name && !r.name.includes("/")) {
          return { resource: r.name, namespaced: r.namespaced === true };
        }
      }
    }
    return undefined;
  }
}
