#!/bin/bash
# Starts the replica: MariaDB on its own data volume, replication from db's address in the
# environment, and a logical dump every DUMP_EVERY seconds. If mariadbd dies the container exits,
# so Docker restarts it.
set -euo pipefail
datadir=/var/lib/mysql
dumps=/var/backups/blog
install -d -o mysql -g mysql /run/mysqld
if [ ! -d "$datadir/mysql" ]; then
  echo "backup: first start, making the data folder"
  chown mysql:mysql "$datadir"
  mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db >/dev/null
fi
mariadbd --user=mysql &
mariadbd=$!
trap 'kill -TERM $mariadbd 2>/dev/null; wait $mariadbd; exit 0' TERM INT
until mariadb-admin --protocol=socket ping --silent 2>/dev/null; do
  kill -0 $mariadbd 2>/dev/null || { wait $mariadbd; exit 1; }
  sleep 0.1
done
bash /usr/local/bin/blog-follow

dump() {
  local name
  name="blog-$(date -u +%Y%m%dT%H%M%SZ).sql.gz"
  # --single-transaction: a consistent snapshot without locking replication out.
  if mariadb-dump --protocol=socket --all-databases --single-transaction --gtid | gzip > "$dumps/.$name"; then
    mv "$dumps/.$name" "$dumps/$name"
    echo "backup: wrote $dumps/$name"
    ls -1 "$dumps"/blog-*.sql.gz | head -n -"$DUMP_KEEP" | xargs -r rm -f
  else
    rm -f "$dumps/.$name"
    echo "backup: the dump failed; the next one is in $DUMP_EVERY s"
  fi
}
(
  while sleep "$DUMP_EVERY"; do dump; done
) &
wait $mariadbd
