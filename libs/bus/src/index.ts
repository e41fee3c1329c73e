/**
 * @certkeeper/bus — the one way services talk to NATS: a reconnecting connection, the contract's
 * JetStream objects, buffered event publishing, live and replayed event reading, and commands
 * through the NATS services framework. Subjects and payloads come from @certkeeper/contracts.
 */
export {
  connectBus,
  type Bus,
  type BusEvent,
  type BusTlsOptions,
  type ConnectBusOptions,
} from "./connection.ts";
export { ensureEventStream, ensureKv, type EventStreamOptions, type KvBucketKey } from "./streams.ts";
export { EventPublisher, type EventPublisherOptions } from "./publisher.ts";
export {
  subscribeEvents,
  replayEvents,
  type BusEventMessage,
  type EventSubscription,
  type ReplayedEvent,
  type ReplayOptions,
} from "./events.ts";
export {
  serveCommands,
  sendCommand,
  ERROR_CODE_HEADER,
  type CommandEndpoint,
  type CommandService,
  type SendCommandOptions,
  type ServeCommandsOptions,
} from "./commands.ts";
export {
  BusError,
  BusUnavailableError,
  BusAuthError,
  BusSetupError,
  CommandError,
  COMMAND_ERROR_CODES,
  errorCode,
} from "./errors.ts";
