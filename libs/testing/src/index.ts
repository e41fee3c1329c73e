export * from "./control-plane.ts";
export * from "./processes.ts";
export * from "./nats.ts";
export * from "./pebble.ts";
export * from "./kube-helpers.ts";
