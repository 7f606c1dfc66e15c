#!/bin/sh
upstream=$(cat /state/upstream)
first=${upstream%%;*}
if [ -n "$first" ] && body=$(timeout 2 wget -q -O - "http://$first/" 2>/dev/null); then
  printf 'Content-Type: text/plain\r\n\r\n%s\n' "$body"
else
  printf 'Status: 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\nno upstream answered (%s)\n' "${first:-none}"
fi
