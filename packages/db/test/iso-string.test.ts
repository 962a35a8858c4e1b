import { dateFromTimestampText, isoString } from "@groundwork/db";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("isoString", () => {
  it("writes every date as toISOString does, across and beyond the four-digit years", () => {
    const edges = [
      -62_167_219_200_001, -62_167_219_200_000, -1, 0, 951_782_400_000, 253_402_300_799_999, 253_402_300_800_000,
    ];
    for (const ms of edges) expect(isoString(new Date(ms)), String(ms)).toBe(new Date(ms).toISOString());
    expect(isoString(new Date(Number.NaN))).toBeNull();
    fc.assert(
      fc.property(fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }), (ms) => {
        expect(isoString(new Date(ms))).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => {
        expect(isoString(new Date(ms))).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 50_000 },
    );
  });
});

describe("isoString, called again", () => {
  it("writes each date of a sequence right, however often a time repeats or an invalid date comes between", () => {
    const times = [0, 1, 1_764_633_600_000, 1_764_633_600_001, -62_167_219_200_001, 253_402_300_800_000, Number.NaN];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...times), { maxLength: 40 }), (sequence) => {
        for (const ms of sequence) {
          const date = new Date(ms);
          expect(isoString(date)).toBe(Number.isNaN(ms) ? null : date.toISOString());
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

/** A moment as PostgreSQL writes a timestamptz in UTC: `0099-06-01 12:00:00.25+00`, ` BC` before year 1. */
function postgresText(ms: number): string {
  const iso = new Date(ms).toISOString();
  const [, sign, digits, rest] = /^([+-]?)(\d+)(-.*)$/.exec(iso) as RegExpExecArray;
  const astronomical = sign === "-" ? -Number(digits) : Number(digits);
  const year = astronomical <= 0 ? 1 - astronomical : astronomical;
  const [date, time] = (rest as string).replace("Z", "").split("T") as [string, string];
  const fraction = time.replace(/\.?0+$/, "");
  return `${String(year).padStart(4, "0")}${date} ${fraction}+00${astronomical <= 0 ? " BC" : ""}`;
}

describe("dateFromTimestampText", () => {
  it("reads PostgreSQL's text of every moment it can hold, before the year 1000 and BC included", () => {
    expect(postgresText(Date.parse("0099-06-01T12:00:00.250Z"))).toBe("0099-06-01 12:00:00.25+00");
    for (const text of ["0099-06-01 12:00:00.25+00", "2026-01-31 09:00:00+00", "1930-06-01 00:19:32+00:19:32"]) {
      expect(Number.isNaN(dateFromTimestampText(text).getTime()), text).toBe(false);
    }
    expect(dateFromTimestampText("0099-06-01 12:00:00.25+00").toISOString()).toBe("0099-06-01T12:00:00.250Z");
    expect(dateFromTimestampText("0001-01-01 00:00:00+00 BC").toISOString()).toBe("0000-01-01T00:00:00.000Z");
    expect(dateFromTimestampText("1930-06-01 00:19:32+00:19:32").toISOString()).toBe("1930-06-01T00:00:00.000Z");
    expect(dateFromTimestampText("2026-01-31T09:00:00.123+02:00").toISOString()).toBe("2026-01-31T07:00:00.123Z");
    expect(Number.isNaN(dateFromTimestampText("infinity").getTime())).toBe(true);
    // From 4713 BC, PostgreSQL's first year, to the last year a Date holds.
    fc.assert(
      fc.property(fc.integer({ min: -210_866_760_000_000, max: 8_640_000_000_000_000 }), (ms) => {
        expect(dateFromTimestampText(postgresText(ms)).getTime()).toBe(ms);
      }),
      { numRuns: 20_000 },
    );
  });

  it("reads microseconds and offsets other than UTC, whichever way the text is read", () => {
    expect(dateFromTimestampText("2026-12-01 05:19:13.403999+00").toISOString()).toBe("2026-12-01T05:19:13.403Z");
    expect(dateFromTimestampText("2026-12-01 05:19:13.4+00").toISOString()).toBe("2026-12-01T05:19:13.400Z");
    expect(dateFromTimestampText("2026-12-01 05:19:13.04+00").toISOString()).toBe("2026-12-01T05:19:13.040Z");
    expect(dateFromTimestampText("2026-12-01 05:19:13.000001+00").toISOString()).toBe("2026-12-01T05:19:13.000Z");
    expect(dateFromTimestampText("2026-12-01 05:19:13+01").toISOString()).toBe("2026-12-01T04:19:13.000Z");
    expect(dateFromTimestampText("2026-12-01 05:19:13+05:30").toISOString()).toBe("2026-11-30T23:49:13.000Z");
    fc.assert(
      fc.property(
        fc.integer({ min: -30_610_224_000_000, max: 253_402_300_799_999 }),
        fc.integer({ min: 0, max: 999 }),
        (ms, micros) => {
          const text = postgresText(ms).replace(/(:\d\d)(?:\.(\d+))?\+00$/, (_, seconds: string, fraction = "") => {
            return `${seconds}.${fraction.padEnd(3, "0")}${String(micros).padStart(3, "0")}+00`.replace(
              /\.?0+\+00$/,
              "+00",
            );
          });
          expect(dateFromTimestampText(text).getTime(), text).toBe(ms);
        },
      ),
      { numRuns: 20_000 },
    );
  });
});
