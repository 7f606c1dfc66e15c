#!/bin/sh
# As any client of a list should: each upstream in turn, the next one when a connect fails or an
# answer does not come within a second, so that one dying instance costs no request.
upstreams=$(cat /state/upstream)
tried=""
IFS=';'
for upstream in $upstreams; do
  [ -n "$upstream" ] || continue
  if body=$(timeout 1 wget -q -O - "http://$upstream/" 2>/dev/null); then
    printf 'Content-Type: text/plain\r\n\r\n%s\n' "$body"
    exit 0
  fi
  tried="$tried $upstream"
done
printf 'Status: 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\nno upstream answered (tried:%s)\n' "${tried:- none}"
