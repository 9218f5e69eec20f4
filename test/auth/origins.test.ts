import { describe, expect, it } from "vitest";
import { checkOrigin, parseOrigins } from "../../src/auth/origins";
import { HttpError } from "../../src/http/errors";

describe("ALLOWED_ORIGINS", () => {
  it("empty allows any origin (local development)", () => {
    expect(() => checkOrigin("https://evil.example", "")).not.toThrow();
    expect(() => checkOrigin("https://evil.example", undefined)).not.toThrow();
  });

  it("a list allows its origins and refuses a browser from any other with a 403", () => {
    const list = "https://app.example.com, https://staging.example.com/";
    expect(parseOrigins(list)).toEqual(["https://app.example.com", "https://staging.example.com"]);
    expect(() => checkOrigin("https://app.example.com", list)).not.toThrow();
    expect(() => checkOrigin("https://staging.example.com", list)).not.toThrow();
    try {
      checkOrigin("https://evil.example", list);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 403, code: "origin_not_allowed" });
    }
  });

  it("a client that sends no Origin (a server, Node) is judged by its token alone", () => {
    expect(() => checkOrigin(null, "https://app.example.com")).not.toThrow();
  });
});
