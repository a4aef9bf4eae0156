#!/usr/bin/env bash
# Installs the Debian packages the tests drive for real (only those missing), so that a fresh
# machine needs nothing done by hand. Runs as root in CI; uses sudo when available otherwise.
set -euo pipefail

# Debian packages the test suite drives for real:
#   kcat, python3-kafka: independent Kafka clients proving wire compatibility with Kafka-ML producers.
#   kubernetes-client: kubectl, which renders k8s/ offline (`kubectl kustomize k8s`) for the manifest tests.
#   chromium: the browser the Playwright tests drive (/usr/bin/chromium; Playwright never downloads one).
packages=(kcat python3-kafka kubernetes-client chromium)

missing=()
for p in "${packages[@]}"; do
    # Any kubectl renders the manifests; another package's /usr/bin/kubectl would conflict with Debian's.
    [ "$p" = kubernetes-client ] && command -v kubectl >/dev/null && continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing test dependencies: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
