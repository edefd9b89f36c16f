/**
 * Properties of `isTimeZoneName`: total over any string, never accepts an
 * abbreviation-shaped or lower-cased name, and whatever it accepts is a zone
 * the runtime can format dates in.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { isTimeZoneName, timeZoneNameSchema } from "../../shared/time_zone.ts";

const zones = Intl.supportedValuesOf("timeZone");

Deno.test("isTimeZoneName accepts the runtime's canonical zone names", () => {
  const refused = zones.filter((zone) => !isTimeZoneName(zone));
  assert.deepEqual(refused, []);
});

Deno.test("isTimeZoneName never accepts abbreviations or case variants", () => {
  fc.assert(fc.property(fc.stringMatching(/^[A-Z]{1,6}([+-]\d{1,2})?$/), (abbreviation) => {
    assert.equal(isTimeZoneName(abbreviation), abbreviation === "UTC");
  }));
  fc.assert(fc.property(fc.constantFrom(...zones), (zone) => {
    const lower = zone.toLowerCase();
    if (lower !== zone) assert.equal(isTimeZoneName(lower), false, lower);
  }));
});

Deno.test("isTimeZoneName is total, and what it accepts formats dates", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 40 }), (name) => {
      if (!isTimeZoneName(name)) {
        assert.equal(timeZoneNameSchema.safeParse(name).success, false);
        return;
      }
      assert.doesNotThrow(() => new Intl.DateTimeFormat("en-US", { timeZone: name }).format(0));
    }),
    { numRuns: 1_000 },
  );
});
