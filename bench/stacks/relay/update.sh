#!/bin/sh
# The live update: the next request already goes to the new address.
echo "$SCS_REQUIRE_HTTP" > /state/upstream
