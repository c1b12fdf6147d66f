// Starts one Agora server for a test file: a fresh temporary data dir, demo data, a free port on
// 127.0.0.1. Builds nothing: the binary comes from AGORA_BIN (default ../../target/debug/agora).
// The database is SQLite in the data dir, or, when AGORA_BROWSER_DATABASE_URL names a PostgreSQL
// database, a fresh schema of the server's own in it (created with psql, dropped at the end).

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const TEST_ROOT = path.resolve(here, "..");
export const ARTIFACTS = path.join(TEST_ROOT, "artifacts");

export const DEMO_PASSWORD = "agora-demo-2026";
export const DEMO = {
  operator: "operator@agora.example",
  seller: "nora@nordlicht.example",
  companyAdmin: "anna@acme.example",
  purchaser: "paul@acme.example",
  buyer: "bea@buyer.example",
};

export function agoraBin() {
  const bin = path.resolve(TEST_ROOT, process.env.AGORA_BIN || "../../target/debug/agora");
  if (!existsSync(bin)) {
    throw new Error(
      `Agora binary not found at ${bin}: build it first (cargo build) or set AGORA_BIN`,
    );
  }
  return bin;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function psql(url, sql) {
  execFileSync("psql", ["-v", "ON_ERROR_STOP=1", "-q", "-d", url, "-c", sql], {
    stdio: ["ignore", "ignore", "pipe"],
  });
}

/**
 * The database of one server: null for SQLite in its data dir, or { url, drop() } for a fresh
 * PostgreSQL schema in AGORA_BROWSER_DATABASE_URL's database, so that test files running at the
 * same time never see each other's data.
 */
function freshDatabase(name) {
  const base = process.env.AGORA_BROWSER_DATABASE_URL;
  if (!base) return null;
  if (!/^postgres(ql)?:\/\//.test(base)) {
    throw new Error(`AGORA_BROWSER_DATABASE_URL must be a postgres:// URL, not ${base}`);
  }
  const schema = `browser_${name.replace(/\W/g, "_")}_${process.pid}_${Date.now().toString(36)}`.toLowerCase();
  psql(base, `CREATE SCHEMA "${schema}"`);
  const options = encodeURIComponent(`-csearch_path=${schema}`);
  return {
    url: `${base}${base.includes("?") ? "&" : "?"}options=${options}`,
    drop: () => psql(base, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`),
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function healthy(baseURL) {
  try {
    const res = await fetch(new URL("/healthz", baseURL), { signal: AbortSignal.timeout(2000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Starts the server and waits until it prints its "running" line and /healthz answers 200.
 * Returns { baseURL, port, dataDir, log(), stop() }.
 */
export async function startServer({ name = "agora", timeoutMs = 60_000 } = {}) {
  const bin = agoraBin();
  let lastError;
  // A port found free can be taken before the server binds it: try a few times.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), `agora-browser-${name}-`));
    const database = freshDatabase(name);
    const env = { ...process.env, NO_COLOR: "1" };
    // The server reads AGORA_* settings from the environment: none may leak into the test's server.
    for (const key of Object.keys(env)) if (key.startsWith("AGORA_")) delete env[key];
    const child = spawn(
      bin,
      [
        "--data-dir",
        dataDir,
        ...(database ? ["--database-url", database.url] : []),
        "serve",
        "--demo",
        "--addr",
        `127.0.0.1:${port}`,
      ],
      // Run inside the data dir so that no ./agora.toml of the caller is picked up.
      { cwd: dataDir, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    let running = false;
    const onData = (chunk) => {
      output += chunk.toString();
      if (/Agora is running at http:\/\/127\.0\.0\.1:\d+\//.test(output)) running = true;
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    let exited = null;
    const exitPromise = new Promise((resolve) =>
      child.on("exit", (code, signal) => {
        exited = { code, signal };
        resolve(exited);
      }),
    );
    const killOnExit = () => child.kill("SIGKILL");
    process.on("exit", killOnExit);

    const baseURL = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !exited) {
      if (running && (await healthy(baseURL))) break;
      await sleep(100);
    }
    if (running && !exited && (await healthy(baseURL))) {
      const stop = async () => {
        if (!exited) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
          await exitPromise;
          clearTimeout(timer);
        }
        process.off("exit", killOnExit);
        try {
          mkdirSync(ARTIFACTS, { recursive: true });
          writeFileSync(path.join(ARTIFACTS, `server-${name}.log`), output);
        } catch {
          /* the log is a convenience */
        }
        rmSync(dataDir, { recursive: true, force: true });
        database?.drop();
      };
      return { baseURL, port, dataDir, log: () => output, stop };
    }
    if (!exited) {
      child.kill("SIGKILL");
      await exitPromise;
    }
    process.off("exit", killOnExit);
    rmSync(dataDir, { recursive: true, force: true });
    database?.drop();
    lastError = new Error(
      `Agora did not start on port ${port} (attempt ${attempt}, exit ${JSON.stringify(exited)}):\n${output.slice(-4000)}`,
    );
  }
  throw lastError;
}
