#!/bin/bash
# Starts WordPress: the database's address into /run/scs/env, php-fpm, then nginx in the
# foreground. If nginx dies the container exits, so Docker restarts it.
set -euo pipefail
bash /usr/local/bin/blog-follow
# A setting that does not change while the container runs can go through php-fpm's env[] (its
# clear_env passes only those); db's address changes, so it goes through /run/scs/env instead.
wait=${BLOG_DB_WAIT:-5}
[[ $wait =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "web: BLOG_DB_WAIT must be a number of seconds, not \"$wait\"" >&2; exit 1; }
sed -i "s|^env\[BLOG_DB_WAIT\] = .*|env[BLOG_DB_WAIT] = $wait|" /etc/php/8.2/fpm/pool.d/www.conf
php-fpm8.2 --daemonize
exec nginx -g 'daemon off;'
