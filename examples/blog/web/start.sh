#!/bin/bash
# Starts WordPress: the database's address into /run/scs/env, php-fpm, then nginx in the
# foreground. If nginx dies the container exits, so Docker restarts it.
set -euo pipefail
bash /usr/local/bin/blog-follow
php-fpm8.2 --daemonize
exec nginx -g 'daemon off;'
