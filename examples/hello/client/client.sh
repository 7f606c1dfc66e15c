#!/bin/sh
# Fetches the page of the first http endpoint every second; SIGHUP makes it re-read where that is.
echo "$SCS_REQUIRE_HTTP" > /state/upstream
upstream="$SCS_REQUIRE_HTTP"
trap 'upstream=$(cat /state/upstream); echo "reconfigured: ${upstream:-nothing}"' HUP
echo "client started, upstream: ${upstream:-nothing}"
while true; do
  first=${upstream%%;*}
  # busybox-static's own wget -T crashes; the timeout applet bounds it instead.
  if [ -n "$first" ] && timeout 3 wget -q -O /state/last "http://$first/" 2>/dev/null; then
    echo "$(date +%T) $(cat /state/last)"
  fi
  sleep 1 & wait $!
done
