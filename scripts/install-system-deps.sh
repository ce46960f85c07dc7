#!/usr/bin/env bash
# Debian packages the engine and its tests need on the host (the Asterisk sandbox brings its
# own packages inside its chroot). Installs only what is missing; needs root.
#
# Runs on every `make test` / `make demo`: when everything is installed it costs one
# dpkg-query call. RHVoice (the natural offline Russian voice) is in Debian's non-free
# component; a sources file for it is added on the mirror debian.sources already uses.
set -euo pipefail

# Speech: sox converts to Asterisk formats, espeak-ng and RHVoice synthesise Russian.
SPEECH_MAIN=(sox libsox-fmt-all espeak-ng)
SPEECH_NON_FREE=(rhvoice rhvoice-russian)
# The web console's browser tests: Debian's Chromium (driven by Playwright) and a font with
# Cyrillic glyphs.
BROWSER=(chromium fonts-dejavu-core)
# Metrics and scale-out: Prometheus (and its promtool) checks the rendered configuration and
# scrapes the engine in the end-to-end tests; Kamailio parses its rendered configuration and
# proxies SIP callers to the sandbox in them.
MONITORING=(prometheus kamailio)
# SMS: Kannel's bearerbox and smsbox; kannel-extras brings fakesmsc
# (/usr/lib/kannel/test/fakesmsc), the test SMSC the sandbox and the tests send through.
SMS=(kannel kannel-extras)
# `hotline deploy render`'s tests: the nginx site passes `nginx -t` (Debian's nginx) and the
# units pass `systemd-analyze verify` (the systemd package).  Only checked, never started.
SERVER=(nginx)
MAIN_SOURCES=/etc/apt/sources.list.d/debian.sources
NON_FREE_SOURCES=/etc/apt/sources.list.d/debian-non-free.sources

need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
[ -x /usr/lib/postgresql/*/bin/postgres ] 2>/dev/null || need+=(postgresql)
# `hotline backup`/`restore` on PostgreSQL run pg_dump and pg_restore.
command -v pg_dump >/dev/null || need+=(postgresql-client)

command -v systemd-analyze >/dev/null || need+=(systemd)

# One dpkg-query for all these packages: prints "name installed" for each installed one.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' \
  "${SPEECH_MAIN[@]}" "${SPEECH_NON_FREE[@]}" "${BROWSER[@]}" "${MONITORING[@]}" "${SMS[@]}" "${SERVER[@]}" 2>/dev/null || true)
is_installed() { grep -qx "$1 installed" <<<"$installed"; }
for pkg in "${SPEECH_MAIN[@]}" "${BROWSER[@]}" "${MONITORING[@]}" "${SMS[@]}" "${SERVER[@]}"; do
  is_installed "$pkg" || need+=("$pkg")
done
need_non_free=0
for pkg in "${SPEECH_NON_FREE[@]}"; do
  is_installed "$pkg" || { need+=("$pkg"); need_non_free=1; }
done

[ ${#need[@]} -eq 0 ] && exit 0

# Does some apt source already give the non-free component (not only non-free-firmware)?
has_non_free() {
  grep -rhsE '^[[:space:]]*(Components:.*[[:space:]]non-free([[:space:]]|$)|deb[[:space:]].*[[:space:]]non-free([[:space:]]|$))' \
    /etc/apt/sources.list /etc/apt/sources.list.d/ >/dev/null
}

# Add <codename> non-free on the mirror and keyring of the first debian.sources stanza
# that serves <codename> itself (not -security).
add_non_free() {
  local codename uris signed_by
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  if [ ! -r "$MAIN_SOURCES" ]; then
    echo "cannot enable Debian non-free for rhvoice: $MAIN_SOURCES not found" >&2
    exit 1
  fi
  read -r uris signed_by < <(awk -v suite="$codename" '
    function flush() {
      if (!done && uris != "" && (" " suites " ") ~ (" " suite " ")) {
        print uris, signed; done = 1
      }
      uris = ""; suites = ""; signed = ""
    }
    /^[[:space:]]*#/ { next }
    /^[[:space:]]*$/ { flush(); next }
    /^URIs:/ { uris = $2 }
    /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
    /^Signed-By:/ { signed = $2 }
    END { flush() }
  ' "$MAIN_SOURCES") || true
  if [ -z "${uris:-}" ]; then
    echo "cannot enable Debian non-free for rhvoice: no $codename stanza in $MAIN_SOURCES" >&2
    exit 1
  fi
  echo "adding Debian $codename non-free (for rhvoice) on $uris: $NON_FREE_SOURCES"
  {
    echo "Types: deb"
    echo "URIs: $uris"
    echo "Suites: $codename $codename-updates"
    echo "Components: non-free"
    [ -n "${signed_by:-}" ] && echo "Signed-By: $signed_by"
  } >"$NON_FREE_SOURCES"
}

if [ "$need_non_free" -eq 1 ] && [ ! -e "$NON_FREE_SOURCES" ] && ! has_non_free; then
  add_non_free
fi

# Unique, in order (postgresql may be listed twice).
mapfile -t need < <(printf '%s\n' "${need[@]}" | awk '!seen[$0]++')
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The kannel package may start a system bearerbox (/etc/kannel/kannel.conf, ports
# 13000-13013); the engine's sandbox Kannel runs its own on other ports and is unaffected.
# Debian starts the daemons it installs (nginx on port 80, Kamailio on 5060, Prometheus on
# 9090, Kannel's bearerbox); the tests run their own on other ports or only check
# configurations, so a daemon this script installed is stopped and not started at boot.
for daemon in nginx kamailio prometheus kannel; do
  if printf '%s\n' "${need[@]}" | grep -qx "$daemon" && [ -d /run/systemd/system ]; then
    systemctl disable --now "$daemon" >/dev/null 2>&1 || true
  fi
done
