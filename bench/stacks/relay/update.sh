#!/bin/sh
# The live update: the next request already goes to the new address. Written beside and renamed, so
# that a request reading it meanwhile never sees it half-written (empty).
echo "$SCS_REQUIRE_HTTP" > /state/upstream.new && mv /state/upstream.new /state/upstream
