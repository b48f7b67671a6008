#!/bin/sh
# Start Patroni once the passwords docker-compose.yml passes are all set (empty is unset: compose
# gives an empty value for a variable of a profile not in use).
set -eu
: "${PATRONI_SUPERUSER_PASSWORD:?set RC_DB_SUPERUSER_PASSWORD}"
: "${PATRONI_REPLICATION_PASSWORD:?set RC_DB_REPLICATION_PASSWORD}"
: "${RC_DB_PASSWORD:?set RC_DB_PASSWORD}"
exec patroni /etc/patroni/patroni.yml
