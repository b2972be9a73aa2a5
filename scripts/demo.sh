#!/usr/bin/env bash
# `make demo`: OpenOSD's main job on the embedded defaults — a site deploys the wizard's task
# sequence to three lab machines that boot against it concurrently, download their content from its
# distribution point, install onto real disk images and report every step, then refreshes a computer
# in use (its users' files and settings captured to the site's state migration point, Windows
# reinstalled, everything restored and compared) — after a short tour of
# what the rest of the project does (real ConfigMgr and MDT task sequences: show, lint, round trip,
# diff, simulate, run and resume, the wizard).
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${OSD_CORPUS:-../shared/corpus/public}
OSD="node bin/osd.js"
OUT=.tmp/demo
# The demo's OS image: 3 editions of ~170 MiB of incompressible payload each (a ~500 MB WIM).
IMAGE_MB=${OSD_DEMO_IMAGE_MB:-170}
mkdir -p "$OUT"
if [ ! -d "$CORPUS" ]; then
  echo "demo: the task sequence corpus is not at $CORPUS (set OSD_CORPUS=DIR to point at a folder of task sequence XML files)" >&2
  exit 2
fi
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);process.stdout.write(String(eval(process.argv[1])))})' "$1"; }
demo_start=$(date +%s)

step "1. A real MDT task sequence as a tree, and lint over the whole corpus"
$OSD ts show "$CORPUS/mdt8456-sccm-client-template.xml" --depth 1
for f in "$CORPUS"/*.xml; do
  $OSD ts lint "$f" --quiet --min-severity warning | tail -n 1 || true
done

step "2. Lossless round trip (XML → JSON → XML) for every corpus file, and a semantic diff"
for f in "$CORPUS"/*.xml; do
  b=$(basename "$f" .xml)
  $OSD ts export "$f" --format json --out "$OUT/$b.json" --quiet 2>/dev/null
  $OSD ts export "$OUT/$b.json" --format xml --out "$OUT/$b.xml" 2>/dev/null
  node scripts/xml-equal.mjs "$f" "$OUT/$b.xml"
done
node scripts/make-demo-revision.mjs "$CORPUS/mdt8456-sccm-client-template.xml" "$OUT/client-template-rev2.xml"
$OSD ts diff "$CORPUS/mdt8456-sccm-client-template.xml" "$OUT/client-template-rev2.xml" || true

step "3. Simulate it on a bare-metal UEFI laptop (PXE): every decision explained, nothing done"
$OSD ts simulate "$CORPUS/mdt8456-sccm-client-template.xml" --machine examples/machines/uefi-x64-laptop-bare-metal.json --quiet --log "$OUT/smsts-simulated.log" | tail -n 12 || true

step "4. Run a task sequence for real, kill it, and resume it"
cat > "$OUT/run.xml" <<XML
<sequence version="3.10"><group name="Demo" description="">
<step type="SMS_TaskSequence_RunCommandLineAction" name="Slow step 1" description="" successCodeList="0" retryCount="3"><action>smsswd.exe /run: sleep 1; echo step 1 done &gt;&gt; $OUT/run.txt</action></step>
<step type="SMS_TaskSequence_RunCommandLineAction" name="Slow step 2" description="" successCodeList="0" retryCount="3"><action>smsswd.exe /run: sleep 1; echo step 2 done, %Greeting% &gt;&gt; $OUT/run.txt</action></step>
</group></sequence>
XML
rm -rf "$OUT/run-state" "$OUT/run.txt"
# In its own process group, so kill -9 takes the engine and the step it runs, as a power cut would.
setsid $OSD ts run "$OUT/run.xml" --state "$OUT/run-state" --machine examples/machines/uefi-x64-laptop-bare-metal.json --var Greeting=hello &
pid=$!; sleep 1.6; kill -9 -- -$pid 2>/dev/null || true; wait $pid 2>/dev/null || true
echo "killed the engine (and its step) at 1.6 s; resuming in a new process:"
$OSD ts run "$OUT/run.xml" --state "$OUT/run-state" --machine examples/machines/uefi-x64-laptop-bare-metal.json | tail -n 3
cat "$OUT/run.txt"

step "5. The Create Task Sequence Wizard: wrong answers get every problem at once, nothing written (exit code 2)"
$OSD ts new install-image --answers examples/wizard/invalid-example.yaml --site examples/wizard/site.json --out "$OUT/never-written.xml" || echo "(exit code $?)"
test ! -e "$OUT/never-written.xml"

step "6. The site on the embedded database: a server with a distribution point, and the content"
export OSD_LAB_DIR="$OUT/labs"
rm -rf "$OSD_LAB_DIR"
$OSD lab content "$OUT/content" --image-size-mb "$IMAGE_MB" | tail -n 2
SITE="$OUT/site"
rm -rf "$SITE"; mkdir -p "$SITE"
# A small WinPE boot image (wimlib: a real WIM whose metadata says Windows PE x64).
mkdir -p "$SITE/winpe/Windows/System32" && echo "winpe" > "$SITE/winpe/Windows/System32/winpeshl.ini"
wimlib-imagex capture "$SITE/winpe" "$SITE/boot.wim" "Microsoft Windows PE (x64)" --compress=none >/dev/null
wimlib-imagex info "$SITE/boot.wim" 1 --image-property WINDOWS/ARCH=9 --image-property WINDOWS/INSTALLATIONTYPE=WindowsPE \
  --image-property WINDOWS/VERSION/MAJOR=10 --image-property WINDOWS/VERSION/MINOR=0 --image-property WINDOWS/VERSION/BUILD=22621 >/dev/null
$OSD server --data "$SITE/data" --port 0 --local-dp-port 0 --json > "$SITE/server.json" 2> "$SITE/server.log" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true' EXIT
# A new embedded database takes a few seconds to create.
for _ in $(seq 1 600); do [ -s "$SITE/server.json" ] && break; kill -0 $server_pid 2>/dev/null || { cat "$SITE/server.log"; exit 1; }; sleep 0.1; done
export OSD_SERVER=$(json v.url < "$SITE/server.json")
export OSD_TOKEN=$(cat "$SITE/data/admin.token")
echo "site server on $OSD_SERVER (PGlite in $SITE/data/db), distribution point \"local\"; first administrator token in $SITE/data/admin.token"
IMAGE=$($OSD image add "$OUT/content/LAB00010/install.wim" --name "Windows 11 23H2" --json | json v.packageId)
$OSD image show "$IMAGE"
BOOT=$($OSD boot-image add "$SITE/boot.wim" --pxe --json | json v.packageId)
$OSD driver import "$OUT/content/drivers" --category Laptops | tail -n 2
DRIVERS=$($OSD driver-package create "Lab drivers" --json | json 'v.packageId ?? v.driverPackage.packageId')
$OSD driver-package add "$DRIVERS" $($OSD driver list --json | json 'v.map(d=>d.ciId).join(" ")') >/dev/null
CLIENT=$($OSD package list --json | json 'v.find(p=>p.name==="Configuration Manager Client Package").packageId')
$OSD package set-content "$CLIENT" "$OUT/content/LAB00002" >/dev/null
$OSD distribute "$BOOT" "$IMAGE" "$CLIENT" "$DRIVERS" --dp local --wait

step "7. The wizard's task sequence on the site, deployed Required to three lab machines (media and PXE)"
cat > "$SITE/answers.json" <<JSON
{ "taskSequence": { "name": "Windows 11 23H2 (site demo)", "bootImageId": "$BOOT" },
  "installWindows": { "imagePackageId": "$IMAGE", "imageIndex": 2, "configureBitLocker": false },
  "configureNetwork": { "join": "workgroup", "workgroup": "WORKGROUP" },
  "stateMigration": { "captureUserSettings": false, "captureNetworkSettings": false, "captureWindowsSettings": false } }
JSON
TS=$($OSD ts create-install-image --answers "$SITE/answers.json" --json | json v.taskSequence.id)
$OSD ts list
COLLECTION=$($OSD collection create "Lab machines" --json | json v.collection.collectionId)
# The machines as Import Computer Information would record them (their MACs); the third gets its name from a device variable.
$OSD device import --name LAB-UEFI --mac F8:CA:B8:5A:1E:2C --collection "$COLLECTION" >/dev/null
$OSD device import --name LAB-BIOS --mac B8:CA:3A:6E:21:04 --collection "$COLLECTION" >/dev/null
KNOWN=$($OSD device import --name LAB-KNOWN --mac 00:15:5D:00:00:03 --collection "$COLLECTION" --json | json 'v.resourceId ?? v.device.resourceId')
$OSD device set-variable "$KNOWN" OSDComputerName WS-KNOWN-01
DEPLOYMENT=$($OSD deploy "$TS" --collection "$COLLECTION" --purpose required --available-to media-pxe --confirm-high-risk --json | json v.deployment.id)
$OSD deploy show "$DEPLOYMENT"
$OSD lab create uefi --profile examples/machines/uefi-x64-laptop-bare-metal.json --disk 4G 2>/dev/null
$OSD lab create bios --profile examples/machines/bios-x64-desktop-bare-metal.json --disk 4G 2>/dev/null
$OSD lab create known --profile examples/machines/uefi-x64-laptop-bare-metal.json --disk 4G --mac 00:15:5D:00:00:03 --smbios-guid 4C4C4544-0058-4B10-8039-B7C04F513533 2>/dev/null

step "8. The three machines boot against the site at the same time (each: register, policy, download, install, report)"
boots_start=$(date +%s)
pids=()
for m in uefi bios known; do
  (
    start=$(date +%s.%N); rc=0
    $OSD lab boot "$m" --site "$OSD_SERVER" > "$OUT/$m.boot.txt" 2> >(sed -u "s/^osd: /[$m] /; /^\[$m\]/!s/^/[$m] /" >&2) || rc=$?
    echo "$m $rc $start $(date +%s.%N)" > "$OUT/$m.exit"
  ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
boots_end=$(date +%s)

step "9. What happened: one line per machine, then the deployment's status as the console shows it"
for m in uefi bios known; do
  cat "$OUT/$m.exit"
done > "$OUT/machines.txt"
$OSD device history LAB-UEFI --json > "$OUT/LAB-UEFI.history.json"
$OSD device history LAB-BIOS --json > "$OUT/LAB-BIOS.history.json"
$OSD device history LAB-KNOWN --json > "$OUT/LAB-KNOWN.history.json"
node - "$OUT" <<'NODE'
const fs = require('fs');
const out = process.argv[2];
const devices = { uefi: 'LAB-UEFI', bios: 'LAB-BIOS', known: 'LAB-KNOWN' };
const seconds = (a, b) => (a && b ? (Date.parse(b) - Date.parse(a)) / 1000 : 0);
const table = (rows) => {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log('  ' + r.map((x, i) => x.padEnd(w[i])).join('  '));
};
const results = [['machine', 'device', 'result', 'steps done/predicted/skipped/failed', 'duration', 'downloaded']];
const time = [['machine', 'run', 'content download', 'apply OS (less its download)', 'other steps', 'engine and agent overhead']];
for (const line of fs.readFileSync(`${out}/machines.txt`, 'utf8').trim().split('\n')) {
  const [m, rc, t0, t1] = line.split(' ');
  const run = JSON.parse(fs.readFileSync(`${out}/${devices[m]}.history.json`, 'utf8')).runs[0];
  if (!run) {
    results.push([m, devices[m], `no run (exit ${rc})`, '-', `${(Number(t1) - Number(t0)).toFixed(1)} s`, '-']);
    continue;
  }
  const steps = run.steps.filter((s) => s.kind === 'step');
  // The site counts steps, not entries (a step completing after its restart counts once); predicted ones apart.
  const c = run.stepCounts;
  results.push([m, devices[m], run.result.toUpperCase(), `${c.run - c.failed}/${c.predicted}/${c.skipped}/${c.failed}`,
    `${(Number(t1) - Number(t0)).toFixed(1)} s`, `${(run.bytesDownloaded / 1e6).toFixed(1)} MB`]);
  // Content is downloaded as each step needs it: the image's download happens inside Apply Operating System.
  const apply = steps.filter((s) => s.name === 'Apply Operating System').reduce((n, s) => n + seconds(s.startedAt, s.endedAt), 0);
  const others = steps.filter((s) => s.name !== 'Apply Operating System').reduce((n, s) => n + seconds(s.startedAt, s.endedAt), 0);
  const applyOnly = Math.max(0, apply - run.downloadSeconds);
  const overhead = Math.max(0, run.durationSeconds - run.downloadSeconds - applyOnly - others);
  time.push([m, `${run.durationSeconds.toFixed(1)} s`, `${run.downloadSeconds.toFixed(1)} s`, `${applyOnly.toFixed(1)} s`, `${others.toFixed(1)} s`, `${overhead.toFixed(1)} s`]);
}
table(results);
console.log('\n  Where each run\'s time went (from the site\'s status messages; the three ran at once on this machine\'s cores):');
table(time);
// Which steps were only predicted (none, when every handler could do its step here): from the runs, not a fixed list.
const predicted = new Set();
for (const m of Object.keys(devices)) {
  const run = JSON.parse(fs.readFileSync(`${out}/${devices[m]}.history.json`, 'utf8')).runs[0];
  for (const s of run?.steps ?? []) if (s.kind === 'step' && (s.predicted === true || s.outcome === 'predicted')) predicted.add(s.name);
}
console.log(predicted.size
  ? `\n  "predicted": steps no handler could do on these lab machines (${[...predicted].join(', ')}) — reported as predicted, not done.`
  : '\n  Every step that ran was done on the lab machines, none only predicted (Setup Windows and ConfigMgr included: the OS\'s registry and the client are on C:).');
NODE
echo "  (three machines at once in $((boots_end - boots_start)) s)"
$OSD deploy status "$DEPLOYMENT" | sed -n 1,8p
$OSD lab inspect known | sed -n 1,8p
echo "sgdisk -v (uefi): $(sgdisk -v "$OSD_LAB_DIR/uefi/disk0.img" | grep -o "No problems found" || echo "PROBLEMS (run sgdisk -v)")"
echo "LAB-KNOWN's smsts.log on the site: $($OSD device log LAB-KNOWN | grep -o "Policy variable OSDComputerName = [^]]*" | sed -n 1,1p)"

step "10. A refresh: a user's computer reinstalled, its users' files and settings back through the state migration point"
USMT=$($OSD package list --json | json 'v.find(p=>/User State Migration Tool/.test(p.name)).packageId')
$OSD package set-content "$USMT" "$OUT/content/LAB00003" >/dev/null
$OSD distribute "$USMT" --dp local --wait >/dev/null 2>&1
$OSD smp set --folder "$(pwd)/$SITE/smp,max-clients=100,min-free=100MB" --delete-after 1d | sed -n 1,4p
cat > "$SITE/refresh.json" <<JSON
{ "taskSequence": { "name": "Windows 11 23H2 refresh (site demo)", "bootImageId": "$BOOT" },
  "installWindows": { "imagePackageId": "$IMAGE", "imageIndex": 2, "configureBitLocker": false },
  "configureNetwork": { "join": "workgroup", "workgroup": "WORKGROUP" },
  "stateMigration": { "captureUserSettings": true, "saveTo": "stateMigrationPoint", "usmtPackageId": "$USMT",
                      "captureNetworkSettings": true, "captureWindowsSettings": true } }
JSON
REFRESH_TS=$($OSD ts create-install-image --answers "$SITE/refresh.json" --json | json v.taskSequence.id)
REFRESH_COL=$($OSD collection create "Refresh" --json | json v.collection.collectionId)
$OSD device import --name CTS-PC-0423 --mac 00:15:5D:00:00:42 --collection "$REFRESH_COL" >/dev/null
$OSD deploy "$REFRESH_TS" --collection "$REFRESH_COL" --purpose required --available-to clients --confirm-high-risk --json >/dev/null
# A computer in use: Windows installed, two users with their files (examples/lab-users/refresh.json).
$OSD lab create refresh --profile examples/machines/win10-x64-refresh.json --disk 4G --mac 00:15:5D:00:00:42 \
  --preinstalled-os "$OUT/content/LAB00010/install.wim:2" --users examples/lab-users/refresh.json 2>/dev/null | tail -n 1
sums() { node scripts/user-files.mjs "$OSD_LAB_DIR/refresh" examples/lab-users/refresh.json; }
sums > "$OUT/refresh-before.txt"
refresh_start=$(date +%s)
$OSD lab boot refresh --site "$OSD_SERVER" > "$OUT/refresh.boot.txt" || { cat "$OUT/refresh.boot.txt"; exit 1; }
tail -n 2 "$OUT/refresh.boot.txt"
sums > "$OUT/refresh-after.txt"
if cmp -s "$OUT/refresh-before.txt" "$OUT/refresh-after.txt"; then
  echo "the users' $(wc -l < "$OUT/refresh-after.txt") files are back in the new OS: same SHA-256, modification time and attributes (before: $OUT/refresh-before.txt, after: $OUT/refresh-after.txt)"
else
  echo "the users' files differ after the refresh:"; diff "$OUT/refresh-before.txt" "$OUT/refresh-after.txt" || true; exit 1
fi
$OSD device log CTS-PC-0423 | grep -o "Uploaded store [^:]*: [^,]*, [0-9]* bytes" | sed -n 1,1p
$OSD userstate stores
$OSD lab inspect refresh | grep "OS:"
echo "  (the refresh in $(( $(date +%s) - refresh_start )) s)"
kill $server_pid; wait $server_pid 2>/dev/null || true; trap - EXIT

step "Done in $(( $(date +%s) - demo_start )) s. Where to look next"
cat <<TEXT
  the site again:    $OSD server --data $SITE/data --local-dp-port 0   (then, with OSD_SERVER/OSD_TOKEN set:)
  deployment status: $OSD deploy status $DEPLOYMENT
  one machine's run: $OSD device history LAB-KNOWN      its smsts.log: $OSD device log LAB-KNOWN
  the disks:         OSD_LAB_DIR=$OSD_LAB_DIR $OSD lab inspect bios
  everything else:   outputs in $OUT/
TEXT
