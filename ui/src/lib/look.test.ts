import { describe, expect, it } from "vitest";
import { isDark } from "./look";

describe("theme", () => {
  it("is dark when chosen, or when following a dark system", () => {
    expect(isDark("dark", false)).toBe(true);
    expect(isDark("light", true)).toBe(false);
    expect(isDark("system", true)).toBe(true);
    expect(isDark("system", false)).toBe(false);
  });
});
