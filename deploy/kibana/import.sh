#!/bin/sh
# Import Tocsin's Kibana saved objects (data views, charts, map, the "Tocsin overview"
# dashboard). Re-running it replaces them with the shipped versions (overwrite=true).
#
#   KIBANA_URL=http://127.0.0.1:5601 KIBANA_USERNAME=elastic KIBANA_PASSWORD=... deploy/kibana/import.sh
#
# Environment:
#   KIBANA_URL                         default http://127.0.0.1:5601
#   KIBANA_API_KEY                     an Elasticsearch API key (encoded), or
#   KIBANA_USERNAME / KIBANA_PASSWORD  a Kibana user allowed to manage saved objects
#   KIBANA_SPACE                       import into this space instead of the default one
#   KIBANA_CA_CERT                     PEM of the CA behind an https:// KIBANA_URL
# Credentials are handed to curl on its standard input, never on its command line
# (where other users of the host could read them in the process list).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
file=${1:-$here/tocsin.ndjson}
url=${KIBANA_URL:-http://127.0.0.1:5601}
url=${url%/}
if [ -n "${KIBANA_SPACE:-}" ]; then
    url="$url/s/$KIBANA_SPACE"
fi
[ -f "$file" ] || { echo "import.sh: no such file: $file" >&2; exit 2; }

quote() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
config() {
    if [ -n "${KIBANA_API_KEY:-}" ]; then
        printf 'header = "Authorization: ApiKey %s"\n' "$(quote "$KIBANA_API_KEY")"
    elif [ -n "${KIBANA_USERNAME:-}" ]; then
        printf 'user = "%s:%s"\n' "$(quote "$KIBANA_USERNAME")" "$(quote "${KIBANA_PASSWORD:-}")"
    fi
    if [ -n "${KIBANA_CA_CERT:-}" ]; then
        printf 'cacert = "%s"\n' "$(quote "$KIBANA_CA_CERT")"
    fi
}

response=$(mktemp)
trap 'rm -f "$response"' EXIT
status=$(config | curl -sS -K - -o "$response" -w '%{http_code}' -X POST \
    "$url/api/saved_objects/_import?overwrite=true" -H 'kbn-xsrf: true' -F "file=@$file")
if [ "$status" != 200 ] || ! grep -q '"success":true' "$response"; then
    echo "import.sh: Kibana did not import everything (HTTP $status):" >&2
    cat "$response" >&2
    echo >&2
    exit 1
fi
count=$(sed -n 's/.*"successCount":\([0-9]*\).*/\1/p' "$response")
echo "imported ${count:-?} saved objects into $url"
