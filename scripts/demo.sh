#!/usr/bin/env bash
# `make demo`: the most useful real things OpenOSD does so far — import real ConfigMgr and MDT task
# sequences, show, lint, round-trip and diff them, simulate and run them, and make one with the wizard.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${OSD_CORPUS:-../shared/corpus/public}
OSD="node bin/osd.js"
OUT=.tmp/demo
mkdir -p "$OUT"
if [ ! -d "$CORPUS" ]; then
  echo "demo: the task sequence corpus is not at $CORPUS (set OSD_CORPUS=DIR to point at a folder of task sequence XML files)" >&2
  exit 2
fi
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. The MDT ConfigMgr client template, as a tree (two levels)"
$OSD ts show "$CORPUS/mdt8456-sccm-client-template.xml" --depth 1

step "2. A ConfigMgr 3.10 export, in full, with conditions in words"
$OSD ts show "$CORPUS/cm-export-win10-inplace-upgrade.xml"

step "3. Lint every task sequence in the corpus"
for f in "$CORPUS"/*.xml; do
  $OSD ts lint "$f" --quiet --min-severity warning | tail -n 1 || true
done

step "4. Lint one with its findings"
$OSD ts lint "$CORPUS/mdt8456-sccm-client-template.xml" --quiet --min-severity warning || true

step "5. Lossless round trip: XML → JSON → XML for every corpus file"
for f in "$CORPUS"/*.xml; do
  b=$(basename "$f" .xml)
  $OSD ts export "$f" --format json --out "$OUT/$b.json" --quiet 2>/dev/null
  $OSD ts export "$OUT/$b.json" --format xml --out "$OUT/$b.xml" 2>/dev/null
  node scripts/xml-equal.mjs "$f" "$OUT/$b.xml"
done

step "6. Semantic diff: one step moved, one renamed, one condition changed"
node scripts/make-demo-revision.mjs "$CORPUS/mdt8456-sccm-client-template.xml" "$OUT/client-template-rev2.xml"
$OSD ts diff "$CORPUS/mdt8456-sccm-client-template.xml" "$OUT/client-template-rev2.xml" || true

step "7. Simulate the MDT client template on a bare-metal UEFI laptop (PXE)"
$OSD ts simulate "$CORPUS/mdt8456-sccm-client-template.xml" --machine examples/machines/uefi-x64-laptop-bare-metal.json --quiet --log "$OUT/smsts-simulated.log" | tail -n 40 || true

step "8. The same on the Windows 10 machine, with Apply Operating System made to fail"
$OSD ts simulate "$CORPUS/mdt8456-sccm-client-template.xml" --machine examples/machines/win10-x64-refresh.json --quiet \
  --media-type BootMedia --fail "Apply Operating System Image"=0x80070002 | tail -n 25 || true

step "9. Run a task sequence for real, kill it, and resume it"
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
$OSD ts run "$OUT/run.xml" --state "$OUT/run-state" --machine examples/machines/uefi-x64-laptop-bare-metal.json
cat "$OUT/run.txt"

step "10. The Create Task Sequence Wizard: a refresh with user state on the state migration point"
$OSD ts new install-image --answers examples/wizard/user-state-smp.yaml --site examples/wizard/site.json --wrapper --out "$OUT/wizard-refresh.xml"
$OSD ts show "$OUT/wizard-refresh.xml"
$OSD ts lint "$OUT/wizard-refresh.xml" --manifest examples/wizard/site.json || true

step "11. The wizard's task sequence simulated on the Windows 10 computer it would refresh"
$OSD ts simulate "$OUT/wizard-refresh.xml" --machine examples/machines/win10-x64-refresh.json --quiet | tail -n 45 || true

step "12. Wrong answers: every problem at once, nothing written (exit code 2)"
$OSD ts new install-image --answers examples/wizard/invalid-example.yaml --site examples/wizard/site.json --out "$OUT/never-written.xml" || echo "(exit code $?)"
test ! -e "$OUT/never-written.xml"

step "13. A virtual UEFI laptop: test content, the wizard's task sequence, a real install onto a disk image"
export OSD_LAB_DIR="$OUT/labs"
rm -rf "$OSD_LAB_DIR"
$OSD lab content "$OUT/content" | tail -n 3
$OSD ts new install-image --answers examples/wizard/minimal-workgroup.yaml --site "$OUT/content/site.json" --out "$OUT/lab-ts.xml"
$OSD ts simulate "$OUT/lab-ts.xml" --machine examples/machines/uefi-x64-laptop-bare-metal.json --content "$OUT/content" --quiet | sed -n '/Apply Device Drivers/,/Setup Operating System/p'
$OSD lab create laptop --profile examples/machines/uefi-x64-laptop-bare-metal.json --disk 4G
$OSD lab boot laptop --ts "$OUT/lab-ts.xml" --content "$OUT/content" --secret-var OSDLocalAdminPassword=Demo-Pa55word | tail -n 12
$OSD lab inspect laptop
echo "sgdisk -v: $(sgdisk -v "$OSD_LAB_DIR/laptop/disk0.img" | grep -o "No problems found" || echo "PROBLEMS (run sgdisk -v)")"

step "14. The site: server on the embedded database, content, drivers, collections, the wizard, a deployment"
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
export OSD_SERVER=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).url)' "$SITE/server.json")
export OSD_TOKEN=$(cat "$SITE/data/admin.token")
echo "site server on $OSD_SERVER (PGlite in $SITE/data/db); first administrator token in $SITE/data/admin.token"
IMAGE=$($OSD image add "$OUT/content/LAB00010/install.wim" --name "Windows 11 23H2" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).packageId))')
$OSD image show "$IMAGE"
BOOT=$($OSD boot-image add "$SITE/boot.wim" --pxe --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).packageId))')
$OSD driver import "$OUT/content/drivers" --category Laptops | tail -n 3
$OSD device import --name WS-0001 --mac 00-15-5D-00-00-01
$OSD collection create "Workstations" --query "select * from SMS_R_System where SMS_R_System.Name like 'WS-%'"
cat > "$SITE/answers.json" <<JSON
{ "taskSequence": { "name": "Windows 11 23H2 (site demo)", "bootImageId": "$BOOT" },
  "installWindows": { "imagePackageId": "$IMAGE", "imageIndex": 2, "configureBitLocker": false },
  "configureNetwork": { "join": "workgroup", "workgroup": "WORKGROUP" },
  "stateMigration": { "captureUserSettings": false, "captureNetworkSettings": false, "captureWindowsSettings": false } }
JSON
TS=$($OSD ts create-install-image --answers "$SITE/answers.json" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).taskSequence.id))')
$OSD ts history "$TS"
CLIENT=$($OSD package list --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).find(p=>p.name==="Configuration Manager Client Package").packageId))')
$OSD package set-content "$CLIENT" "$OUT/content/LAB00002" >/dev/null
$OSD distribute "$BOOT" "$IMAGE" "$CLIENT" --dp local --wait
DEPLOYMENT=$($OSD deploy "$TS" --collection SMS000US --available-to clients-media-pxe --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).deployment.id))')
$OSD deploy manifest "$DEPLOYMENT" --architecture x64 --firmware uefi --language en-US
kill $server_pid; wait $server_pid 2>/dev/null || true; trap - EXIT

step "Done. Outputs are in $OUT/"
