#!/usr/bin/env bash
# One-shot, run by the `es-setup` service once Elasticsearch is healthy.
#
# Idempotent; every `docker compose up` runs it again:
#   - sets the password of the built-in kibana_system user (Kibana logs in with it);
#   - creates the role tocsin_writer and the user Tocsin's services log in with.
#
# tocsin_writer holds what Tocsin does and nothing more: install its index
# templates (tocsin init, and each worker at start), create its indices, index
# and read documents. It covers the indices tocsin-*; if you rename
# TOCSIN_SEARCH__ITEMS_INDEX or TOCSIN_SEARCH__ALERTS_INDEX outside that pattern,
# change INDEX_PATTERN below.
#
# Passwords are put into JSON as they are: use letters and digits
# (e.g. `openssl rand -hex 24`), no quotes or backslashes.
set -euo pipefail

: "${ELASTIC_PASSWORD:?}" "${KIBANA_PASSWORD:?}" "${ES_TOCSIN_USERNAME:?}" "${ES_TOCSIN_PASSWORD:?}"
ES=https://elasticsearch:9200
CA=/es-ca/ca.crt
INDEX_PATTERN='tocsin-*'

# es METHOD PATH BODY: one authenticated call; fails with the server's answer.
es() {
  local code
  code=$(curl -sS -o /tmp/es-answer -w '%{http_code}' --cacert "$CA" -u "elastic:${ELASTIC_PASSWORD}" \
    -H 'Content-Type: application/json' -X "$1" "$ES$2" -d "$3") || code=000
  case "$code" in
    2??) return 0 ;;
    *) echo "$1 $2 answered HTTP $code: $(cat /tmp/es-answer 2>/dev/null)" >&2; return 1 ;;
  esac
}

# Elasticsearch is healthy before this runs; retry anyway, the security index may lag.
for attempt in $(seq 1 30); do
  if es POST /_security/user/kibana_system/_password "{\"password\":\"${KIBANA_PASSWORD}\"}"; then
    break
  fi
  [ "$attempt" -lt 30 ] || exit 1
  sleep 5
done
echo "kibana_system password set"

# manage_ilm and manage: tocsin init installs the archive's lifecycle policy and its
# write alias, and ILM rolls over and deletes with the privileges of who installed it.
es PUT /_security/role/tocsin_writer "{
  \"cluster\": [\"monitor\", \"manage_index_templates\", \"manage_ilm\"],
  \"indices\": [{
    \"names\": [\"${INDEX_PATTERN}\"],
    \"privileges\": [\"create_index\", \"view_index_metadata\", \"read\", \"write\", \"manage\"]
  }]
}"
echo "role tocsin_writer in place"

es PUT "/_security/user/${ES_TOCSIN_USERNAME}" "{
  \"password\": \"${ES_TOCSIN_PASSWORD}\",
  \"roles\": [\"tocsin_writer\"],
  \"full_name\": \"Tocsin pipeline services\"
}"
echo "user ${ES_TOCSIN_USERNAME} in place"
