#!/bin/bash
# Starts MariaDB. On the first start (an empty data volume) it makes the data folder and, through
# --init-file, the accounts: the blog's own user and the replica's. The passwords are secrets
# (files in /run/secrets), never in the image or the environment.
set -euo pipefail
datadir=/var/lib/mysql
install -d -o mysql -g mysql /run/mysqld
rm -f /run/mysqld/init.sql # the first start's, which holds the passwords
init=()
if [ ! -d "$datadir/mysql" ]; then
  echo "db: first start, making the data folder and the accounts"
  chown mysql:mysql "$datadir"
  mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db >/dev/null
  # SQL strings: a backslash or a quote in a password is doubled, as MariaDB reads string literals.
  quote() { tr -d '\n' < "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g"; }
  db_password=$(quote /run/secrets/db-password)
  replication_password=$(quote /run/secrets/replication-password)
  cat > /run/mysqld/init.sql <<SQL
CREATE DATABASE IF NOT EXISTS wordpress;
CREATE USER IF NOT EXISTS 'wordpress'@'%' IDENTIFIED BY '$db_password';
GRANT ALL ON wordpress.* TO 'wordpress'@'%';
CREATE USER IF NOT EXISTS 'replication'@'%' IDENTIFIED BY '$replication_password';
GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'replication'@'%';
SQL
  chown mysql /run/mysqld/init.sql
  init=(--init-file=/run/mysqld/init.sql)
fi
exec mariadbd --user=mysql "${init[@]}"
