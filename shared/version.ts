/** Nightshift's release version, reported by the `health` function. */
export const NIGHTSHIFT_VERSION = "0.1.0";
