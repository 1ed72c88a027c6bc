import { describe, expect, it } from "vitest";
import { isLoopbackHost, isPublicAddress, parseIPv6, webhookUrlProblem } from "../src/webhook-target.ts";

describe("isPublicAddress", () => {
  it.each(["8.8.8.8", "1.1.1.1", "203.0.114.1", "2606:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8"])(
    "allows %s",
    (ip) => {
      expect(isPublicAddress(ip)).toBe(true);
    },
  );

  it.each([
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fd00:ec2::254",
    "::ffff:127.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "2002:c0a8:101::",
    "2001:db8::1",
    "ff02::1",
    "not an ip",
  ])("refuses %s", (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it("parses IPv6 forms", () => {
    expect(parseIPv6("::1")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6("[::ffff:10.0.0.1]")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0a00, 1]);
    expect(parseIPv6("1:2:3:4:5:6:7:8:9")).toBeUndefined();
    expect(parseIPv6("1::2::3")).toBeUndefined();
  });
});

describe("webhookUrlProblem", () => {
  it("allows public https URLs", () => {
    expect(webhookUrlProblem("https://hooks.example.com/ganvas?x=1", { dev: false })).toBeUndefined();
  });

  it("allows loopback, over http too, only in development", () => {
    for (const url of ["http://127.0.0.1:9000/h", "http://localhost:3000/h", "http://[::1]/h"]) {
      expect(webhookUrlProblem(url, { dev: true }), url).toBeUndefined();
      expect(webhookUrlProblem(url, { dev: false }), url).toBeDefined();
    }
    expect(webhookUrlProblem("http://10.0.0.1/h", { dev: true })).toBeDefined();
    expect(isLoopbackHost("127.9.9.9")).toBe(true);
  });

  it("sees through the URL parser's number forms", () => {
    for (const host of ["0x7f000001", "2130706433", "0177.0.0.1", "127.1", "0x7f.1"]) {
      expect(webhookUrlProblem(`https://${host}/`, { dev: false }), host).toMatch(/loopback, private/);
    }
  });
});
