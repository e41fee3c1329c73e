/** Applies the six cert-manager CRDs and waits until they are servable (see libs/testing). */
export { applyCrds } from "@certkeeper/testing";
