#!/bin/sh
# The live update: runs inside the container with the new SCS_REQUIRE_* values.
echo "$SCS_REQUIRE_HTTP" > /state/upstream
echo "$(date +%T) ${SCS_REQUIRE_HTTP:-nothing}" >> /state/updates
kill -HUP 1
