#!/usr/bin/env bash
# Runs the whole KafkaMl test suite: unit, integration (real embedded broker, SQLite, TorchSharp,
# child processes), component and browser tests. Installs what the tests need first.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

configuration=Release
results="$PWD/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

dotnet build KafkaMl.sln -c "$configuration" -nologo -clp:ErrorsOnly

status=0
dotnet test KafkaMl.sln -c "$configuration" --no-build -nologo \
    --logger "console;verbosity=normal" --logger "trx;LogFileName=tests.trx" \
    --results-directory "$results" \
    --blame-hang --blame-hang-timeout 10m || status=$?

# The failures again, each with the head of its message, then one plain closing line that any CI can read:
# "N passed, N failed, N skipped". CI often keeps only the tail of the output, so the failures go last.
python3 - "$results" <<'PY' || true
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for trx in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    root = ET.parse(trx).getroot()
    for result in root.iterfind("t:Results/t:UnitTestResult", ns):
        if result.get("outcome") not in ("Failed", "Error", "Timeout"): continue
        message = result.findtext("t:Output/t:ErrorInfo/t:Message", "", ns).strip()
        print(f"FAILED {result.get('testName')}\n    " + "\n    ".join(message.splitlines()[:12]))
    c = root.find("t:ResultSummary/t:Counters", ns)
    passed += int(c.get("passed")); failed += int(c.get("failed")) + int(c.get("error")) + int(c.get("timeout"))
    skipped += int(c.get("notExecuted"))
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
