#!/usr/bin/env bash
# One-shot, run by the `es-certs` service as root in the Elasticsearch image.
#
# Makes a private CA and a certificate for the `elasticsearch` service (DNS names
# elasticsearch and localhost, IP 127.0.0.1), once: later runs keep what exists.
# The certificates volume (CA key included) is mounted only by Elasticsearch; the
# CA certificate alone is copied to the public `es-ca` volume that Kibana, the
# setup job and the Tocsin services mount to verify the server.
#
# To use certificates from your own PKI instead, put ca/ca.crt and
# elasticsearch/elasticsearch.{crt,key} into the certificates volume before the
# first start; this script then only fixes permissions and publishes ca.crt.
set -euo pipefail

cd /usr/share/elasticsearch
certs=config/certs
mkdir -p "$certs"

if [ ! -f "$certs/ca/ca.crt" ]; then
  echo "creating a CA"
  bin/elasticsearch-certutil ca --silent --pem -out "$certs/ca.zip"
  unzip -o -q "$certs/ca.zip" -d "$certs"
  rm -f "$certs/ca.zip"
fi

if [ ! -f "$certs/elasticsearch/elasticsearch.crt" ]; then
  echo "creating the certificate for elasticsearch"
  cat > "$certs/instances.yml" <<'YAML'
instances:
  - name: elasticsearch
    dns: [elasticsearch, localhost]
    ip: [127.0.0.1]
YAML
  bin/elasticsearch-certutil cert --silent --pem -out "$certs/certs.zip" --in "$certs/instances.yml" \
    --ca-cert "$certs/ca/ca.crt" --ca-key "$certs/ca/ca.key"
  unzip -o -q "$certs/certs.zip" -d "$certs"
  rm -f "$certs/certs.zip"
fi

# Elasticsearch runs as uid 1000 in group 0: root-owned, group-readable is enough.
chown -R root:root "$certs"
find "$certs" -type d -exec chmod 750 {} +
find "$certs" -type f -exec chmod 640 {} +

# The CA certificate is public; every client needs to read it.
cp "$certs/ca/ca.crt" /es-ca/ca.crt
chmod 0644 /es-ca/ca.crt
echo "certificates are in place"

# The snapshot repository (path.repo): a fresh named volume is root's; Elasticsearch
# (uid 1000, group 0) writes snapshots there.
if [ -d /es-backups ]; then
  chown 1000:0 /es-backups
  chmod 0770 /es-backups
fi
