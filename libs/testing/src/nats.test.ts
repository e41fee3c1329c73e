import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { startNats, type NatsServerHandle } from "./nats.ts";

describe("startNats", () => {
  let nats: NatsServerHandle;
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it("serves JetStream on random loopback ports", async () => {
    expect(nats.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const varz = (await (await fetch(`${nats.monitorUrl}/varz`)).json()) as {
      port: number;
      host: string;
      jetstream?: { config?: { store_dir?: string } };
    };
    expect(varz.host).toBe("127.0.0.1");
    expect(varz.port).toBe(nats.port);
    expect(varz.jetstream?.config?.store_dir).toContain(nats.storeDir);
    expect(await greeting(nats.port)).toMatch(/^INFO /);
  });

  it("restarts on the same port and store, and comes back after a kill", async () => {
    const firstPid = nats.pid;
    await nats.restart();
    expect(nats.pid).not.toBe(firstPid);
    expect(await greeting(nats.port)).toMatch(/^INFO /);

    let sawDown = false;
    nats.kill();
    await nats.restart({
      whileDown: async () => {
        sawDown = !nats.running && (await greeting(nats.port).catch(() => "refused")) === "refused";
      },
    });
    expect(sawDown).toBe(true);
    expect(nats.running).toBe(true);
    expect(await greeting(nats.port)).toMatch(/^INFO /);
  });
});

describe("startNats lifecycle", () => {
  it("stop() ends the process and removes its temp dirs", async () => {
    const nats = await startNats({ jetstream: false });
    const pid = nats.pid as number;
    expect(alive(pid)).toBe(true);
    await nats.stop();
    expect(alive(pid)).toBe(false);
    expect(existsSync(nats.storeDir)).toBe(false);
    await nats.stop(); // idempotent
  });

  it("requires the configured users", async () => {
    const nats = await startNats({ jetstream: false, users: [{ user: "ctl", pass: "s3cret" }] });
    try {
      expect(await exchange(nats.port, 'CONNECT {"verbose":false}\r\nPING\r\n')).toMatch(
        /Authorization Violation/,
      );
      expect(
        await exchange(nats.port, 'CONNECT {"verbose":false,"user":"ctl","pass":"s3cret"}\r\nPING\r\n'),
      ).toMatch(/PONG/);
    } finally {
      await nats.stop();
    }
  });

  it("explains a missing binary", async () => {
    const saved = process.env.NATS_SERVER_BIN;
    process.env.NATS_SERVER_BIN = "/nonexistent/nats-server";
    try {
      await expect(startNats()).rejects.toThrow(/could not start \/nonexistent\/nats-server/);
    } finally {
      if (saved === undefined) delete process.env.NATS_SERVER_BIN;
      else process.env.NATS_SERVER_BIN = saved;
    }
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function greeting(port: number): Promise<string> {
  return exchange(port, "");
}

/** Sends `input` after the server's INFO; returns what was read once it shows PONG or -ERR (or 2 s passed). */
function exchange(port: number, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect({ host: "127.0.0.1", port });
    let text = "";
    const finish = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(text);
    };
    const timer = setTimeout(finish, 2000);
    sock.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on("data", (buf) => {
      const first = text === "";
      text += buf.toString("utf8");
      if (first) {
        if (input === "") return finish();
        sock.write(input);
      }
      if (/PONG|-ERR/.test(text)) finish();
    });
  });
}
