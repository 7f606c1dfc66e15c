#!/bin/bash
# The backup's health check: the server answers, and it replicates. A replica whose replication has
# stopped (a stopped thread, or an error such as 1236, a primary that no longer has what it needs) is
# a backup that no longer backs anything up, so it is unhealthy, and `scs ps` says so. An IO thread
# that is connecting (db restarting or moving, before the live update points it at the new address)
# is still replicating as far as the replica can.
set -uo pipefail
status=$(mariadb --protocol=socket -e 'SHOW SLAVE STATUS\G' 2>/dev/null) || exit 1
io=$(sed -n 's/^ *Slave_IO_Running: //p' <<<"$status")
sql=$(sed -n 's/^ *Slave_SQL_Running: //p' <<<"$status")
[[ $sql == Yes && ($io == Yes || $io == Connecting) ]]
