#!/bin/bash
# Writes db's current address to /run/scs/env, where WordPress reads it on every request.
#   blog-follow          the start script's first step, and the live update
# With no endpoint (db is down), the last address is kept: WordPress fails either way until db is
# back, and if db comes back at the same address nothing has to change.
set -euo pipefail
mkdir -p /run/scs
if [ -z "${SCS_REQUIRE_MYSQL:-}" ] && [ -s /run/scs/env ]; then
  echo "web: db has no endpoint; keeping the last address"
  exit 0
fi
# The address comes from disco, from outside this container: checked before it is written where
# WordPress and shells (`. /run/scs/env`) read it.
if [[ ! ${SCS_REQUIRE_MYSQL:-} =~ ^[][A-Za-z0-9.:\;-]*$ ]]; then
  echo "web: refusing an address that is not one: ${SCS_REQUIRE_MYSQL:-}" >&2
  exit 1
fi
# A new file renamed into place: a request never reads half of it.
printf 'SCS_REQUIRE_MYSQL="%s"\nSCS_REQUIRE_MYSQL_HOST="%s"\nSCS_REQUIRE_MYSQL_PORT="%s"\n' \
  "${SCS_REQUIRE_MYSQL:-}" "${SCS_REQUIRE_MYSQL_HOST:-}" "${SCS_REQUIRE_MYSQL_PORT:-}" > /run/scs/env.next
mv /run/scs/env.next /run/scs/env
echo "web: database at ${SCS_REQUIRE_MYSQL:-nothing}"
