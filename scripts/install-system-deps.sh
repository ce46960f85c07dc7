#!/usr/bin/env bash
# Debian packages the engine and its tests need on the host (the Asterisk sandbox brings its
# own packages inside its chroot). Installs only what is missing; needs root.
set -euo pipefail
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
[ -x /usr/lib/postgresql/*/bin/postgres ] 2>/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
