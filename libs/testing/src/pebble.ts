/**
 * Pebble (Let's Encrypt's test ACME server) with pebble-challtestsrv as its DNS, for tests.
 *
 *   binaries: $PEBBLE_BIN / $PEBBLE_CHALLTESTSRV_BIN, else `pebble` / `pebble-challtestsrv` on $PATH
 *   DNS:      challtestsrv answers every A query with 127.0.0.1 (no AAAA), on a random loopback
 *             port; its HTTP-01/TLS-ALPN listeners are off, its management API on a random port
 *   TLS:      the Debian package lacks the listener cert its example config names, so a CA and a
 *             127.0.0.1/localhost leaf are made with openssl; `caPEM` is that CA (for ACME clients)
 *   ports:    ACME directory and management API on random loopback ports; `httpPort` is where
 *             Pebble's VA connects for HTTP-01 (point it at the acme-solver)
 *   env:      PEBBLE_VA_NOSLEEP=1 and PEBBLE_WFE_NONCEREJECT=0 unless overridden;
 *             PEBBLE_AUTHZREUSE from `authzReuse` (Pebble's default is 50)
 *
 * Pebble makes a new issuing hierarchy on every start: `rootPEM()` / `intermediatePEM()` read it
 * from the management API (/roots/0, /intermediates/0).
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, startProcess, waitFor, type ManagedProcess } from "./processes.ts";

const run = promisify(execFile);

export interface StartPebbleOptions {
  /** Port Pebble's VA connects to for HTTP-01 validation (config `httpPort`). Default 5002. */
  httpPort?: number;
  /** Port for TLS-ALPN-01 validation (config `tlsPort`). Default: a free port nobody listens on. */
  tlsPort?: number;
  /** PEBBLE_AUTHZREUSE: percentage (0..100) of orders that reuse a valid authorization. */
  authzReuse?: number;
  /** Require External Account Binding with these key IDs → base64url MAC keys. */
  externalAccountMACKeys?: Record<string, string>;
  /** PEBBLE_ALTERNATE_ROOTS: number of alternate chains offered (preferredChain tests). */
  alternateRoots?: number;
  /** PEBBLE_CHAIN_LENGTH: intermediates per chain (default 1). */
  chainLength?: number;
  /** Extra environment for the pebble process (wins over the defaults above). */
  env?: Record<string, string>;
  /** Default 30 s. */
  startTimeoutMs?: number;
}

export interface PebbleHandle {
  /** https://127.0.0.1:<port>/dir */
  readonly directoryUrl: string;
  /** https://127.0.0.1:<port> (management API) */
  readonly managementUrl: string;
  /** CA of Pebble's TLS listeners (not of the certificates it issues). */
  readonly caPEM: string;
  readonly httpPort: number;
  /** 127.0.0.1:<port> of pebble-challtestsrv's DNS server. */
  readonly dnsAddress: string;
  readonly logPath: string;
  /** The root that signs issued chains (chain 0), from the management API. */
  rootPEM(index?: number): Promise<string>;
  intermediatePEM(index?: number): Promise<string>;
  /** GET on the management API, e.g. `/cert-status-by-serial/<hex>`. */
  management(path: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

const liveDirs = new Set<string>();
let exitHooked = false;
function removeOnExit(dir: string): void {
  liveDirs.add(dir);
  if (exitHooked) return;
  exitHooked = true;
  process.once("exit", () => {
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
}

/** A CA and a listener certificate for 127.0.0.1 / localhost, made with openssl. */
async function makeListenerCert(dir: string): Promise<{ caPEM: string; certPath: string; keyPath: string }> {
  const p = (f: string) => join(dir, f);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.crt"),
    "-days",
    "30",
    "-subj",
    "/CN=certkeeper test Pebble listener CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await run("openssl", [
    "req",
    "-new",
    ...ec,
    "-keyout",
    p("key.pem"),
    "-out",
    p("cert.csr"),
    "-subj",
    "/CN=127.0.0.1",
  ]);
  await writeFile(
    p("ext.cnf"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
  );
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    p("cert.csr"),
    "-CA",
    p("ca.crt"),
    "-CAkey",
    p("ca.key"),
    "-CAcreateserial",
    "-out",
    p("cert.pem"),
    "-days",
    "30",
    "-extfile",
    p("ext.cnf"),
  ]);
  return { caPEM: await readFile(p("ca.crt"), "utf8"), certPath: p("cert.pem"), keyPath: p("key.pem") };
}

function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.end();
  });
}

async function tail(path: string): Promise<string> {
  const text = await readFile(path, "utf8").catch(() => "");
  return text.split("\n").slice(-20).join("\n");
}

export async function startPebble(opts: StartPebbleOptions = {}): Promise<PebbleHandle> {
  const dir = await mkdtemp(join(tmpdir(), "ck-pebble-"));
  removeOnExit(dir);
  const procs: ManagedProcess[] = [];
  const stopAll = async () => {
    await Promise.all(procs.map((p) => p.stop(2000)));
    await rm(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  };
  try {
    const { caPEM, certPath, keyPath } = await makeListenerCert(dir);
    const [dnsPort, dnsMgmtPort, acmePort, mgmtPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const httpPort = opts.httpPort ?? 5002;
    const tlsPort = opts.tlsPort ?? (await freePort());
    const dnsAddress = `127.0.0.1:${dnsPort}`;

    const challLog = join(dir, "challtestsrv.log");
    const chall = startProcess(
      process.env.PEBBLE_CHALLTESTSRV_BIN || "pebble-challtestsrv",
      [
        "-defaultIPv4",
        "127.0.0.1",
        "-defaultIPv6",
        "",
        "-dns01",
        dnsAddress,
        "-http01",
        "",
        "-https01",
        "",
        "-tlsalpn01",
        "",
        "-management",
        `127.0.0.1:${dnsMgmtPort}`,
      ],
      { logPath: challLog },
    );
    procs.push(chall);

    const configPath = join(dir, "pebble-config.json");
    const eab = opts.externalAccountMACKeys;
    await writeFile(
      configPath,
      JSON.stringify(
        {
          pebble: {
            listenAddress: `127.0.0.1:${acmePort}`,
            managementListenAddress: `127.0.0.1:${mgmtPort}`,
            certificate: certPath,
            privateKey: keyPath,
            httpPort,
            tlsPort,
            ocspResponderURL: "",
            externalAccountBindingRequired: eab !== undefined,
            ...(eab ? { externalAccountMACKeys: eab } : {}),
          },
        },
        null,
        2,
      ),
    );
    const env: Record<string, string> = {
      PEBBLE_VA_NOSLEEP: "1",
      PEBBLE_WFE_NONCEREJECT: "0",
      ...(opts.authzReuse !== undefined ? { PEBBLE_AUTHZREUSE: String(opts.authzReuse) } : {}),
      ...(opts.alternateRoots !== undefined ? { PEBBLE_ALTERNATE_ROOTS: String(opts.alternateRoots) } : {}),
      ...(opts.chainLength !== undefined ? { PEBBLE_CHAIN_LENGTH: String(opts.chainLength) } : {}),
      ...opts.env,
    };
    const logPath = join(dir, "pebble.log");
    const pebble = startProcess(
      process.env.PEBBLE_BIN || "pebble",
      ["-config", configPath, "-dnsserver", dnsAddress],
      {
        logPath,
        env: { ...process.env, ...env },
      },
    );
    procs.push(pebble);

    const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
    const managementUrl = `https://127.0.0.1:${mgmtPort}`;
    await waitFor(
      "Pebble directory",
      async () =>
        (await get(directoryUrl, caPEM).catch(() => undefined))?.status === 200 ? true : undefined,
      {
        timeoutMs: opts.startTimeoutMs ?? 30_000,
        intervalMs: 100,
        abortIf: () =>
          pebble.exited() || chall.exited() ? `pebble or challtestsrv exited; see ${dir}` : undefined,
      },
    ).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}\n${await tail(logPath)}\n${await tail(challLog)}`, {
        cause: err,
      });
    });

    const pem = async (path: string) => {
      const r = await get(`${managementUrl}${path}`, caPEM);
      if (r.status !== 200) throw new Error(`GET ${path} on Pebble's management API: HTTP ${r.status}`);
      return r.body;
    };
    let stopped = false;
    return {
      directoryUrl,
      managementUrl,
      caPEM,
      httpPort,
      dnsAddress,
      logPath,
      rootPEM: (i = 0) => pem(`/roots/${i}`),
      intermediatePEM: (i = 0) => pem(`/intermediates/${i}`),
      management: (path) => get(`${managementUrl}${path}`, caPEM),
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
