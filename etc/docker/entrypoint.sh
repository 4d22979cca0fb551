#!/bin/sh
# mailferry container entrypoint: write the configuration from the
# MAILFERRY_* variables (mailferry-config(8)), then run the command
# (default: the queue runner, sendmail -q5m) as the app user.
#
# As root it writes the configuration and drops to APP_UID (default
# 1000); started as another user (rootless, runAsUser) it writes the
# file as that user and runs the command as itself.  With a read-only
# root file system, mount a writable directory (tmpfs, emptyDir) at
# /etc/mailferry and a volume at the spool, /var/spool/mailferry.
# KEEP_CONFIG=1 keeps a configuration file mounted there instead.
set -eu

conf=/etc/mailferry/mailferry.conf
: "${APP_UID:=1000}"
: "${APP_GID:=$APP_UID}"

if [ -z "${KEEP_CONFIG:-}" ]; then
	mailferry-config -o "$conf"
fi

if [ "$(id -u)" = 0 ] && [ "$APP_UID" != 0 ]; then
	exec setpriv --reuid="$APP_UID" --regid="$APP_GID" \
	    --clear-groups --inh-caps=-all -- "$@"
fi
exec "$@"
