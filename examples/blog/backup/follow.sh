#!/bin/bash
# Points replication at db's current address, or leaves it where it is.
#   blog-follow          the live update: SCS_REQUIRE_MYSQL_HOST/PORT are the new values
# With no endpoint (db is down) nothing changes: the replica keeps retrying the last address, which
# is right if db comes back there, and the next update moves it if db comes back elsewhere.
set -euo pipefail
host=${SCS_REQUIRE_MYSQL_HOST:-}
port=${SCS_REQUIRE_MYSQL_PORT:-}
mkdir -p /run/scs
# `docker exec` (and so `scs exec`) sees the environment of the container's creation, which goes
# stale as db moves: the current values are kept here for anyone who needs them.
printf 'SCS_REQUIRE_MYSQL="%s"\nSCS_REQUIRE_MYSQL_HOST="%s"\nSCS_REQUIRE_MYSQL_PORT="%s"\n' \
  "${SCS_REQUIRE_MYSQL:-}" "$host" "$port" > /run/scs/env.next
mv /run/scs/env.next /run/scs/env
if [ -z "$host" ]; then
  echo "backup: db has no endpoint; replication keeps its last address"
  exit 0
fi
password=$(sed "s/'/''/g" /run/secrets/replication-password | tr -d '\n')
# MASTER_USE_GTID=slave_pos: the replica carries on from the last transaction it applied, whatever
# the new address's binlog file and position are.
mariadb --protocol=socket <<SQL
STOP SLAVE;
CHANGE MASTER TO MASTER_HOST='$host', MASTER_PORT=$port, MASTER_USER='replication',
  MASTER_PASSWORD='$password', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
START SLAVE;
SQL
echo "backup: replicating from $host:$port"
