// The API group of every kind this operator serves.
export const GROUP = "montecarlo.vatic.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const CATEGORY = "montecarlo";
