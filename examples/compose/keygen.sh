#!/bin/sh
# Write the audit signing key, its public half and the audit HMAC key into ./secrets/ for the
# compose secrets, readable by the container user 65532 only. Never commit ./secrets/.
#   ./keygen.sh                 uses `toolwall` from PATH (or $TOOLWALL), else the image
#   TOOLWALL_IMAGE=… ENGINE=docker ./keygen.sh
set -eu
cd "$(dirname "$0")"
image=${TOOLWALL_IMAGE:-localhost/toolwall:dev}
engine=${ENGINE:-podman}
tw=${TOOLWALL:-$(command -v toolwall || true)}
if [ -e secrets/audit.key ]; then
  echo "keygen.sh: secrets/audit.key exists; move ./secrets away to make new keys" >&2
  exit 1
fi
mkdir -p secrets
if [ -n "$tw" ]; then
  "$tw" keygen --out secrets --name toolwall-compose
else
  "$engine" run --rm --user 0 --read-only -v "$PWD/secrets:/out" "$image" \
    keygen --out /out --name toolwall-compose
fi
# The secrets are bind-mounted as they are: their owner must be the container's user.
if [ "$(id -u)" = 0 ]; then
  chown 65532:65532 secrets/audit.key secrets/hmac.key
elif [ "$engine" = podman ]; then
  podman unshare chown 65532:65532 secrets/audit.key secrets/hmac.key
else
  echo "keygen.sh: now run: sudo chown 65532:65532 secrets/audit.key secrets/hmac.key" >&2
fi
echo "keys in ./secrets (audit.pub is public: give it to whoever verifies the audit stream)"
