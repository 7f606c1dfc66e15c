#!/bin/bash
# Points replication at db's current address, or leaves it where it is.
#   blog-follow          the live update: SCS_REQUIRE_MYSQL_HOST/PORT are the new values
# With no endpoint (db is down) nothing changes: the replica keeps retrying the last address, which
# is right if db comes back there, and the next update moves it if db comes back elsewhere.
set -euo pipefail
host=${SCS_REQUIRE_MYSQL_HOST:-}
port=${SCS_REQUIRE_MYSQL_PORT:-}
# The address comes from disco, from outside this container: an address and a port, or nothing at all.
if [[ ! $host =~ ^[A-Za-z0-9.:-]*$ || ! $port =~ ^[0-9]{0,5}$ || ! ${SCS_REQUIRE_MYSQL:-} =~ ^[][A-Za-z0-9.:\;-]*$ ]]; then
  echo "backup: refusing an address that is not one: ${SCS_REQUIRE_MYSQL:-}" >&2
  exit 1
fi
# An SQL string literal: backslashes and quotes doubled, as MariaDB reads them.
sql_string() {
  local q="'" bs='\' s=$1
  s=${s//"$bs"/"$bs$bs"}
  s=${s//"$q"/"$q$q"}
  printf "'%s'" "$s"
}
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
if [[ ! $port =~ ^[0-9]{1,5}$ ]]; then
  echo "backup: refusing $host without a port" >&2
  exit 1
fi
password=$(tr -d '\n' < /run/secrets/replication-password)
# MASTER_USE_GTID=slave_pos: the replica carries on from the last transaction it applied, whatever
# the new address's binlog file and position are. Every string is quoted; the port is checked digits.
mariadb --protocol=socket <<SQL
STOP SLAVE;
CHANGE MASTER TO MASTER_HOST=$(sql_string "$host"), MASTER_PORT=$((10#$port)), MASTER_USER='replication',
  MASTER_PASSWORD=$(sql_string "$password"), MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
START SLAVE;
SQL
echo "backup: replicating from $host:$port"
