/**
 * @certkeeper/kube: Kubernetes client, informers, work queue, reconcile contract, status and
 * condition helpers, Event recording and Lease leader election.
 */
export {
  loadKubeConfig,
  KubeClient,
  resourcePath,
  type LoadKubeConfigOptions,
  type KubeClientOptions,
  type ListOptions,
  type WatchOptions,
  type WriteOptions,
  type PatchType,
  type PatchOptions,
  type ApplyOptions,
  type DeleteOptions,
} from "./client.ts";
export { RequestCounter, type RequestCounts, type Verb } from "./transport.ts";
export {
  KubeApiError,
  NotFoundError,
  AlreadyExistsError,
  ConflictError,
  InvalidError,
  ForbiddenError,
  GoneError,
  TransportError,
  findError,
  isNotFound,
  isAlreadyExists,
  isConflict,
  isInvalid,
  isForbidden,
  isGone,
  isTooLarge,
  type ApiStatus,
  type StatusCause,
} from "./errors.ts";
export {
  CoreResources,
  apiVersionOf,
  objectKey,
  splitKey,
  type KubeObject,
  type KubeList,
  type ObjectMeta,
  type OwnerReference,
  type PartialObjectMetadata,
  type ResourceType,
  type Secret,
} from "./types.ts";
export { systemClock, FakeClock, sleep, flushMicrotasks, type Clock, type TimerHandle } from "./clock.ts";
export {
  TokenBucket,
  ItemExponentialBackoff,
  DEFAULT_ITEM_BACKOFF,
  CERTIFICATE_ITEM_BACKOFF,
  type BackoffOptions,
} from "./ratelimit.ts";
export {
  Informer,
  type InformerOptions,
  type AddHandler,
  type UpdateHandler,
  type DeleteHandler,
} from "./informer.ts";
export { indexByOwnerUID, indexByAnnotation, indexByLabel, type IndexFunc } from "./store.ts";
export { SecretCache, FULL_CACHE_LABEL, type SecretCacheOptions } from "./secretcache.ts";
export { WorkQueue, type WorkQueueOptions } from "./workqueue.ts";
export {
  Controller,
  SyncCounters,
  TerminalError,
  type ControllerOptions,
  type Reconcile,
  type ReconcileContext,
  type Result,
} from "./reconciler.ts";
export {
  updateStatusWithRetry,
  setCondition,
  getCondition,
  removeCondition,
  formatTime,
  formatMicroTime,
  type Condition,
  type ConditionInput,
  type ConditionStatus,
  type StatusRetryOptions,
} from "./status.ts";
export {
  KubeEventRecorder,
  MemoryEventRecorder,
  type EventRecorder,
  type EventType,
  type KubeEventRecorderOptions,
} from "./events.ts";
export {
  LeaderElector,
  defaultIdentity,
  type LeaderElectionOptions,
  type Lease,
  type LeaseSpec,
} from "./leaderelection.ts";
