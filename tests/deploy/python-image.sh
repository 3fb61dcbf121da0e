#!/usr/bin/env bash
# Build a minimal Python image FROM scratch out of this host's /usr/bin/python3 (the stdlib,
# lib-dynload and the shared libraries `ldd` lists), for the compose example's agent and tool
# where no registry is reachable. Prints the tag; an image already built for this host's
# Python is reused (the tag carries a hash of the interpreter and its stdlib listing).
#   tests/deploy/python-image.sh [TAG-PREFIX]   (default localhost/toolwall-test-python)
set -euo pipefail
prefix=${1:-localhost/toolwall-test-python}
py=$(readlink -f /usr/bin/python3)
ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
stdlib=/usr/lib/python$ver
hash=$( { sha256sum <"$py"; sha256sum <"${BASH_SOURCE[0]}"; ls -l "$stdlib" "$stdlib/lib-dynload"; } | sha256sum | cut -c1-12)
tag="$prefix:$ver-$hash"
if podman image exists "$tag"; then echo "$tag"; exit 0; fi

ctx=$(mktemp -d "${TMPDIR:-/tmp}/toolwall-python.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/usr/bin" "$root/tmp" "$root/etc" "$root$stdlib"
chmod 1777 "$root/tmp"
cp -L "$py" "$root/usr/bin/python3"
tar -C "$stdlib" --exclude=./test --exclude=./idlelib --exclude=./tkinter --exclude=./turtledemo \
  --exclude=./ensurepip --exclude=./lib2to3 --exclude=./site-packages --exclude=./dist-packages \
  --exclude=__pycache__ -cf - . | tar -C "$root$stdlib" -xf -
for lib in $(ldd "$py" "$stdlib"/lib-dynload/*.so 2>/dev/null \
    | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $2 ~ /^\(/ {print $1}' | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
cat >"$ctx/Containerfile" <<'CF'
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/bin PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 65534:65534
CF
podman build -q --format docker --isolation=chroot -t "$tag" "$ctx" >/dev/null
echo "$tag"
