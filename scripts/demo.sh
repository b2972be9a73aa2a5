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

step "Done. Outputs are in $OUT/"
