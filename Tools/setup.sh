#!/usr/bin/env bash
# Installs the system libraries Fovea links against (Debian/Ubuntu), only if missing.
# Uses sudo only when not root. Safe to run again.
set -euo pipefail
need=()
for pkg in libpng-dev libjpeg-dev libopenblas-dev zlib1g-dev pkg-config; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2
fi
command -v swift >/dev/null || { echo "setup: the Swift 6 toolchain is required (swift not on PATH)" >&2; exit 1; }
