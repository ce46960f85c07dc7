#!/usr/bin/env bash
# Installs (or upgrades) hotline on a Debian server next to an Asterisk 22 the administrator
# installed and started (its `asterisk` user and group must exist), with PostgreSQL or SQLite.
# Run as root from a release checkout; every argument is passed to `hotline` as a global
# option, e.g.:
#
#   scripts/install-server.sh --set deploy.server_name=hotline.example.ru \
#       --set dialer.trunk='PJSIP/{number}@carrier' --set sandbox.sip_host=203.0.113.10
#
# What it does, in order (README, "Production"): Debian packages; a virtualenv in
# /opt/hotline/venv with this checkout installed; prompts/, menus/, asterisk_conf/ copied to
# /opt/hotline/share; secrets generated once into /etc/hotline/secrets.env; `hotline deploy
# render`; the system user (sysusers.d) and folders (tmpfiles.d); the units, the logrotate rule,
# the nginx site; the Asterisk configuration (replaced files kept as *.~N~); the database
# migrated and the prompts built; both services enabled and (re)started.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=/opt/hotline
ENV_FILE=/etc/hotline/secrets.env
CONFIG_FILE=/etc/hotline/hotline.toml
ASTERISK_DIR=/etc/asterisk

[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 1; }
getent group asterisk >/dev/null || {
  echo "no 'asterisk' group: install and start Asterisk 22 first (README, Production)" >&2
  exit 1
}

echo "== Debian packages"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends \
  python3 python3-venv nginx logrotate sox libsox-fmt-all espeak-ng openssl >/dev/null
# RHVoice (the natural voice) is in Debian's non-free component; espeak-ng works without it.
apt-get install -y -qq --no-install-recommends rhvoice rhvoice-russian >/dev/null 2>&1 ||
  echo "rhvoice not installable (enable Debian non-free); set speech.backend = \"espeak\""

echo "== hotline into $PREFIX"
[ -x "$PREFIX/venv/bin/python" ] || python3 -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/pip" install --quiet --upgrade pip
"$PREFIX/venv/bin/pip" install --quiet "$SRC"
install -d -m 0755 "$PREFIX/share"
for part in prompts menus asterisk_conf; do
  rm -rf "${PREFIX:?}/share/$part"
  cp -r "$SRC/$part" "$PREFIX/share/$part"
done
install -m 0644 "$SRC/README.md" "$PREFIX/share/README.md"
# The Asterisk templates from their installed copy, whatever the working directory.
HOTLINE=("$PREFIX/venv/bin/hotline" --set "paths.asterisk_conf_dir=$PREFIX/share/asterisk_conf" "$@")

echo "== secrets ($ENV_FILE)"
install -d -m 0750 /etc/hotline
if [ ! -e "$ENV_FILE" ]; then
  token() { "$PREFIX/venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))'; }
  umask 077
  {
    echo "# hotline's secrets (EnvironmentFile of its units); root:hotline 0640"
    echo "HOTLINE_AMI__SECRET=$(token)"
    echo "HOTLINE_AMI__CONSOLE_SECRET=$(token)"
    echo "HOTLINE_AMI__CLI_SECRET=$(token)"
    echo "# PostgreSQL (unset: a SQLite file in /var/lib/hotline):"
    echo "# HOTLINE_STORE__URL=postgresql+psycopg://hotline:PASSWORD@127.0.0.1/hotline"
  } >"$ENV_FILE"
  umask 022
fi
set -a
# shellcheck disable=SC1090
. "$ENV_FILE"
set +a

echo "== hotline deploy render"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
HOTLINE_CONFIG='' "${HOTLINE[@]}" deploy render "$work"

echo "== user, folders"
install -m 0644 "$work/sysusers.d/hotline.conf" /etc/sysusers.d/hotline.conf
systemd-sysusers /etc/sysusers.d/hotline.conf
install -m 0644 "$work/tmpfiles.d/hotline.conf" /etc/tmpfiles.d/hotline.conf
systemd-tmpfiles --create /etc/tmpfiles.d/hotline.conf
chgrp hotline /etc/hotline "$ENV_FILE"
chmod 0640 "$ENV_FILE"
if [ -e "$CONFIG_FILE" ]; then
  install -m 0640 -g hotline "$work/hotline/hotline.toml" "$CONFIG_FILE.new"
  echo "kept $CONFIG_FILE; the rendered layout is in $CONFIG_FILE.new"
else
  install -m 0640 -g hotline "$work/hotline/hotline.toml" "$CONFIG_FILE"
fi
"$PREFIX/venv/bin/hotline" config check "$CONFIG_FILE"

echo "== units, logrotate, nginx, the hotline command"
install -m 0644 "$work"/systemd/*.service /etc/systemd/system/
install -m 0644 "$work/logrotate.d/hotline" /etc/logrotate.d/hotline
install -m 0644 "$work/nginx/hotline.conf" /etc/nginx/sites-available/hotline.conf
ln -sf ../sites-available/hotline.conf /etc/nginx/sites-enabled/hotline.conf
install -m 0755 "$work/bin/hotline" /usr/local/bin/hotline
systemctl daemon-reload

echo "== Asterisk configuration ($ASTERISK_DIR; replaced files kept as *.~N~)"
for file in "$work"/asterisk/*.conf; do
  install --backup=numbered -m 0644 "$file" "$ASTERISK_DIR/"
done
chown root:asterisk "$ASTERISK_DIR/manager.conf"
chmod 0640 "$ASTERISK_DIR/manager.conf"
systemctl restart asterisk || echo "restart Asterisk yourself to load the new configuration"

echo "== database and prompts"
/usr/local/bin/hotline db upgrade
/usr/local/bin/hotline prompts build

echo "== services"
systemctl enable hotline.service hotline-web.service
systemctl restart hotline.service hotline-web.service
if nginx -t 2>/dev/null; then
  systemctl reload nginx
else
  echo "nginx -t fails (the TLS certificate of deploy.tls_certificate missing?): fix it," \
    "then: systemctl reload nginx" >&2
fi
echo "installed; check it with: hotline calls list, journalctl -u hotline -u hotline-web"
