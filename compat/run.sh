#!/usr/bin/env bash
# Compatibility jobs: `npm pack` the library from a fresh, unbuilt clone, check the tarball
# (file list, types under every resolution mode, no import-time side effects), install it into
# freshly generated NestJS apps and run HTTP tests there, the way a user would consume the
# package; then run the README's quick start, as written, in an empty directory.
#
#   nest11-cjs  Nest 11 app from `@nestjs/cli@11 new`: CommonJS, Jest + ts-jest, Express;
#               README quick start as CommonJS with Nest 11, from the tarball
#   (both)      the package's bin, `npx nest-cross-origin probe --help`, as npm links it
#   nest12-esm  Nest 12 app from `@nestjs/cli@12 new`: ESM ("type": "module"), Vitest,
#               Express and Fastify; README quick start as ESM with Nest 12, from git
#
# Usage: bash compat/run.sh [job ...]      (no argument: every job)
# Env:   COMPAT_KEEP=1 keeps the temp directory (apps, logs) for debugging.
set -euo pipefail

COMPAT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$COMPAT_DIR")
ALL_JOBS=(nest11-cjs nest12-esm)
# A hung install or test run must not eat the whole CI budget.
JOB_TIMEOUT=${COMPAT_JOB_TIMEOUT:-15m}

export CI=true
# No prompts, no audit/fund/update chatter; warnings (mostly EBADENGINE from Nest 12's tooling on
# Node 20) are not what these jobs check, errors still show.
export npm_config_yes=true npm_config_audit=false npm_config_fund=false
export npm_config_update_notifier=false npm_config_loglevel=error
export NO_COLOR=1 FORCE_COLOR=0

log() { printf '\n=== %s\n' "$*"; }

# Generated devDependencies that no step here uses (linters, formatters, the CLI itself,
# bundler loaders, coverage). Dropping them keeps each install well under a minute; anything
# else the generator adds (e.g. a Vitest plugin its config imports) is kept.
prune_dev_dependencies() {
  node - <<'EOF'
const fs = require('node:fs');
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const unused = /^(@nestjs\/(cli|schematics|mau)|@eslint\/.*|eslint(-.*)?|typescript-eslint|globals|prettier|oxlint(-.*)?|ts-loader|ts-node|tsconfig-paths|source-map-support|@vitest\/coverage-.*)$/;
const dropped = Object.keys(pkg.devDependencies ?? {}).filter((name) => unused.test(name));
for (const name of dropped) delete pkg.devDependencies[name];
fs.writeFileSync('package.json', JSON.stringify(pkg, null, 2) + '\n');
console.log(`pruned devDependencies: ${dropped.join(', ') || '(none)'}`);
EOF
}

# Fails the job early if the generator stopped producing the kind of app the job is about,
# rather than letting it pass while testing something else.
#   $1: expected module system (commonjs|module)  $2: test runner that must be a devDependency
expect_app_shape() {
  node - "$1" "$2" <<'EOF'
const fs = require('node:fs');
const [type, runner] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const actualType = pkg.type ?? 'commonjs';
const problems = [];
if (actualType !== type) problems.push(`package.json "type" is ${actualType}, expected ${type}`);
if (!pkg.devDependencies?.[runner]) problems.push(`no ${runner} in devDependencies`);
if (problems.length) {
  console.error(`the generated app changed shape: ${problems.join('; ')}`);
  process.exit(1);
}
console.log(`generated app: "type" ${actualType}, tests with ${runner}`);
EOF
}

# ---------------------------------------------------------------------------------------------
# One job, run in its own bash process (see main) so that `set -e` applies inside it.
# $1: job name  $2: library tarball  $3: empty temp directory for the app  $4: the clone packed
run_job() {
  local job=$1 tarball=$2 workdir=$3 clone=$4
  local app="$workdir/app"
  local failed=()
  # A test step that fails is recorded and the other steps still run, so one CI log shows
  # every problem; generation and install failures stop the job.
  step() {
    local label=$1
    shift
    log "[$job] $label: $*"
    if ! "$@"; then
      failed+=("$label")
      echo "[$job] step failed: $label"
    fi
  }

  cd "$workdir"
  case $job in
    nest11-cjs)
      log "[$job] generate: @nestjs/cli@11 new"
      npx -y @nestjs/cli@11 new app --package-manager npm --skip-git --skip-install </dev/null
      cd "$app"
      expect_app_shape commonjs ts-jest
      prune_dev_dependencies
      log "[$job] install: tarball + Nest 11"
      # typescript@^5: ts-jest does not work with TypeScript 7 (the npm "latest"); the
      # generator asks for ^5 today, this keeps it so.
      npm install --no-audit --no-fund "$tarball" \
        '@nestjs/common@^11' '@nestjs/core@^11' '@nestjs/platform-express@^11' '@nestjs/testing@^11' \
        'typescript@^5'
      ;;
    nest12-esm)
      log "[$job] generate: @nestjs/cli@12 new"
      # --no-observe: otherwise Nest 12's `new` asks whether to set up @nestjs/observe. It has no
      # module-system option: ESM + Vitest is its default app, checked just below.
      npx -y @nestjs/cli@12 new app --package-manager npm --skip-git --skip-install --no-observe </dev/null
      cd "$app"
      expect_app_shape module vitest
      prune_dev_dependencies
      log "[$job] install: tarball + Nest 12 (+ Fastify)"
      npm install --no-audit --no-fund "$tarball" \
        '@nestjs/common@^12' '@nestjs/core@^12' '@nestjs/platform-express@^12' '@nestjs/testing@^12' \
        '@nestjs/platform-fastify@^12'
      ;;
    *)
      echo "unknown job: $job (known: ${ALL_JOBS[*]})" >&2
      return 2
      ;;
  esac
  npm ls --depth=0 nest-cross-origin @nestjs/common @nestjs/core typescript || true

  log "[$job] add the CORS module, controller and tests from compat/templates/{shared,$job}"
  # The controller is the same source in both apps; module, specs and smoke differ by module system.
  cp -R "$COMPAT_DIR/templates/shared/." "$app/"
  cp -R "$COMPAT_DIR/templates/$job/." "$app/"

  # The app's own scripts, as generated: the CLI's sample specs plus ours in test/, with every
  # test named in the log.
  case $job in
    nest11-cjs) local verbose=--verbose ;;
    nest12-esm) local verbose=--reporter=verbose ;;
  esac
  step unit-tests npm test -- "$verbose"
  step e2e-tests npm run test:e2e -- "$verbose"
  # Type-checks everything (tests included) against the package's published .d.ts with the
  # generated tsconfig, and emits JS for the plain-Node run below.
  step typecheck-and-build npx tsc -p tsconfig.json --rootDir . --outDir .compat-out
  case $job in
    nest11-cjs) step plain-node-smoke node smoke.cjs ;;
    nest12-esm) step plain-node-smoke node smoke.mjs ;;
  esac
  # The bin as npm links it into an app (node_modules/.bin): `npx nest-cross-origin` runs the probe.
  step probe-bin npx --no-install nest-cross-origin probe --help

  # The README's own text, in an empty directory of its own so that nothing the generated app
  # installed can make up for something the README leaves out. The same Nest major as the job;
  # the ESM one installs the package from git (`npm i git+…`: npm clones, installs the dev
  # dependencies, runs prepare and packs), the other from the tarball: both ways Install gives.
  local quickstart=(node "$COMPAT_DIR/readme-quickstart.mjs" "$clone/README.md" "$workdir/readme-app")
  case $job in
    nest11-cjs) step readme-quickstart "${quickstart[@]}" --package "$tarball" --module cjs --nest 11 ;;
    nest12-esm) step readme-quickstart "${quickstart[@]}" --package "git+file://$clone" --module esm --nest 12 ;;
  esac

  if ((${#failed[@]})); then
    echo "[$job] failed steps: ${failed[*]}"
    return 1
  fi
}

if [[ ${1:-} == --job ]]; then
  shift
  run_job "$@"
  exit
fi

# ---------------------------------------------------------------------------------------------
JOB_PID=
on_signal() {
  if [[ -n $JOB_PID ]]; then
    kill -TERM "$JOB_PID" 2>/dev/null || true
    wait "$JOB_PID" 2>/dev/null || true
  fi
  exit "$1"
}

main() {
  local jobs=("$@")
  ((${#jobs[@]})) || jobs=("${ALL_JOBS[@]}")
  local job
  for job in "${jobs[@]}"; do
    [[ " ${ALL_JOBS[*]} " == *" $job "* ]] || { echo "unknown job: $job (known: ${ALL_JOBS[*]})" >&2; exit 2; }
  done

  # Global, not local: the EXIT trap reads it after main has returned.
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/nest-cross-origin-compat.XXXXXX")
  # Apps inside the repo would resolve packages from the repo's node_modules by walking up,
  # hiding a missing dependency; they must live outside it.
  case "$WORK/" in
    "$ROOT"/*) echo "temp dir $WORK is inside the repo; set TMPDIR elsewhere" >&2; exit 2 ;;
  esac
  if [[ ${COMPAT_KEEP:-} == 1 ]]; then
    trap 'echo "kept $WORK"' EXIT
  else
    trap 'rm -rf "$WORK"' EXIT
  fi
  # On INT/TERM, stop the running job and exit normally so the EXIT trap still cleans up.
  # `timeout` puts each job in its own process group (a group kill aimed at this script misses
  # it), and passes a signal it receives on to that whole group.
  trap 'on_signal 130' INT
  trap 'on_signal 143' TERM

  # Packed from a fresh clone that was never built, as `npm pack`/`npm publish` run on a
  # release machine and as npm does for `npm i git+…`: dist/ must come from the prepare script.
  # A clone has only what is committed: uncommitted changes are not in it.
  log "clone (unbuilt), pack and check nest-cross-origin"
  local clone="$WORK/clone"
  git clone --quiet --no-hardlinks "$ROOT" "$clone"
  echo "cloned $(git -C "$clone" log -1 --format='%h %s')"
  if [[ -n $(git -C "$ROOT" status --porcelain | grep -v ' node_modules$' || true) ]]; then
    echo "note: $ROOT has uncommitted changes; they are not in the clone, so not in the package"
  fi
  [[ ! -e "$clone/dist" ]] || { echo "the clone has a dist/ already: it is committed" >&2; exit 1; }
  # The repo's own devDependencies build the clone: reuse an install when there is one (a
  # clone's lockfile is the same), else install them in the clone without running prepare.
  if [[ -x "$ROOT/node_modules/.bin/tsc" && -x "$ROOT/node_modules/.bin/attw" ]]; then
    ln -s "$ROOT/node_modules" "$clone/node_modules"
  else
    (cd "$clone" && npm ci --no-audit --no-fund --ignore-scripts)
  fi
  local tarball
  tarball="$WORK/$(cd "$clone" && npm pack --pack-destination "$WORK" --json | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8"))[0].filename)')"
  echo "packed $tarball"
  node "$COMPAT_DIR/check-package.mjs" "$tarball" "$clone"

  local started elapsed rc results=() status=0 dir
  for job in "${jobs[@]}"; do
    dir=$(mktemp -d "$WORK/$job.XXXXXX")
    started=$SECONDS
    # In the background + wait, so that a signal runs the trap now, not when the job ends.
    timeout --kill-after=30s "$JOB_TIMEOUT" bash "$COMPAT_DIR/run.sh" --job "$job" "$tarball" "$dir" "$clone" &
    JOB_PID=$!
    rc=0
    wait "$JOB_PID" || rc=$?
    elapsed=$((SECONDS - started))
    if ((rc == 0)); then
      results+=("PASS $job (${elapsed}s)")
    elif ((rc == 124 || rc == 137)); then
      results+=("FAIL $job (${elapsed}s, timed out after $JOB_TIMEOUT)")
      status=1
    else
      results+=("FAIL $job (${elapsed}s)")
      status=1
    fi
    JOB_PID=
    log "${results[-1]}"
    # Each job's app (and its node_modules) goes as soon as the job is done.
    [[ ${COMPAT_KEEP:-} == 1 ]] || rm -rf "$dir"
  done

  log "compat summary"
  printf '%s\n' "${results[@]}"
  return "$status"
}

main "$@"
