#!/bin/sh
# The live update: runs inside the container with the new SCS_REQUIRE_* values.
# Written aside, then renamed into place: a reader never sees the file empty or half-written.
echo "$SCS_REQUIRE_HTTP" > /state/upstream.new && mv /state/upstream.new /state/upstream
echo "$(date +%T) ${SCS_REQUIRE_HTTP:-nothing}" >> /state/updates
kill -HUP 1
