#!/usr/bin/env bash
# Build the toolwall container image, the same way for users and CI.
#
#   deploy/build-image.sh [--binary PATH] [--base scratch|IMAGE] [--tag TAG]
#
#   --binary PATH  the toolwall binary to package (default: `cargo build --profile production
#                  --locked`, the release profile with LTO, and target/production/toolwall)
#   --base BASE    `scratch`: an image from nothing but this host's files (the binary, the
#                  shared libraries `ldd` lists, /etc/passwd and /etc/group with the nonroot
#                  user, /tmp, CA certificates); no registry is needed. Any other value is
#                  a glibc base image that already has those
#                  (default gcr.io/distroless/cc-debian12:nonroot).
#   --tag TAG      default localhost/toolwall:dev
#
# Either way the image carries iptables-restore / ip6tables-restore (this host's xtables
# binaries, their extension modules and libraries) for the injector's enforcing init
# container. Set ENGINE=docker to build with Docker (default: podman if installed). On hosts
# like the CI machines podman also needs CONTAINERS_CONF=deploy/containers.conf.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
binary=""
base="gcr.io/distroless/cc-debian12:nonroot"
tag="localhost/toolwall:dev"

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --base) base=${2:?--base needs scratch or an image}; shift 2 ;;
    --tag) tag=${2:?--tag needs a tag}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "build-image.sh: unknown argument $1" >&2; usage ;;
  esac
done

engine=${ENGINE:-}
if [ -z "$engine" ]; then
  if command -v podman >/dev/null 2>&1; then engine=podman
  elif command -v docker >/dev/null 2>&1; then engine=docker
  else echo "build-image.sh: neither podman nor docker is installed" >&2; exit 1; fi
fi

if [ -z "$binary" ]; then
  (cd "$repo" && cargo build --profile production --locked --bin toolwall)
  binary="${CARGO_TARGET_DIR:-$repo/target}/production/toolwall"
fi
[ -x "$binary" ] || { echo "build-image.sh: $binary is not an executable" >&2; exit 1; }

ctx=$(mktemp -d "${TMPDIR:-/tmp}/toolwall-image.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/usr/local/bin" "$root/usr/sbin" \
  "$root/etc/toolwall/config" "$root/etc/toolwall/policies" "$root/etc/toolwall/adapters" \
  "$root/etc/toolwall/schemas" "$root/etc/toolwall/keys"
# The places the container writes, owned by its user (a fresh named volume copies this).
mkdir -p "$ctx/writable/var/lib/toolwall/state" "$ctx/writable/var/lib/toolwall/audit" \
  "$ctx/writable/var/run/toolwall/ca" "$ctx/writable/home/nonroot"

# The binary (a debug build's debug info is dropped: it is most of its size).
if command -v objcopy >/dev/null 2>&1; then
  objcopy --strip-debug "$binary" "$root/usr/local/bin/toolwall"
else
  cp -L "$binary" "$root/usr/local/bin/toolwall"
fi
chmod 0755 "$root/usr/local/bin/toolwall"

# iptables-restore / ip6tables-restore for the enforcing init container (nft backend).
xtables=""
for c in /usr/sbin/xtables-nft-multi /sbin/xtables-nft-multi; do
  [ -x "$c" ] && { xtables=$c; break; }
done
if [ -z "$xtables" ]; then
  echo "build-image.sh: xtables-nft-multi (Debian package iptables) is not installed" >&2
  exit 1
fi
cp -L "$xtables" "$root/usr/sbin/xtables-nft-multi"
for n in iptables-restore ip6tables-restore iptables ip6tables iptables-save ip6tables-save; do
  ln -s xtables-nft-multi "$root/usr/sbin/$n"
done
# The extension modules' directory as libxtables was built with it (XTABLES_LIBDIR), e.g.
# /usr/lib/x86_64-linux-gnu/xtables (ldd may name the library by its /lib path).
modules=$(readlink -f "$(dirname "$(ldd "$xtables" | awk '/libxtables/ {print $3}')")/xtables")
# Only the modules the enforcing rules use: tcp/udp/owner/multiport matches, REDIRECT/REJECT.
mkdir -p "$root$modules"
for m in libxt_tcp libxt_udp libxt_owner libxt_multiport libxt_REDIRECT libipt_REJECT \
  libip6t_REJECT libxt_standard libxt_comment libxt_conntrack libxt_mark libxt_MARK; do
  [ -f "$modules/$m.so" ] && cp -L "$modules/$m.so" "$root$modules/"
done

# Shared libraries, copied to the paths the loader looks in. On a glibc base only those it
# lacks (all but glibc's own); on scratch all of them, the loader included.
glibc_re='/(ld-linux[^/]*|libc|libm|libdl|libpthread|librt|libresolv)\.so'
libs() {
  ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $2 ~ /^\(/ {print $1}' | sort -u
}
for lib in $(libs "$binary" "$xtables" "$root$modules"/*.so); do
  if [ "$base" != scratch ] && [[ "$lib" =~ $glibc_re ]]; then continue; fi
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

if [ "$base" = scratch ]; then
  # What a distroless base brings: the nonroot user, /tmp, CA certificates.
  mkdir -p "$root/etc/ssl/certs" "$root/tmp"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
  ca=""
  for c in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
    [ -f "$c" ] && { ca=$c; break; }
  done
  [ -n "$ca" ] || { echo "build-image.sh: no CA bundle on this host" >&2; exit 1; }
  cp -L "$ca" "$root/etc/ssl/certs/ca-certificates.crt"
fi

cp "$repo/Containerfile" "$ctx/Containerfile"
args=(build -f "$ctx/Containerfile" --build-arg "BASE=$base" -t "$tag")
if [ "$engine" = podman ] || [ "$engine" = buildah ]; then
  # HEALTHCHECK is kept in the docker image format only; chroot isolation works unprivileged.
  args+=(--format docker --isolation=chroot)
fi
"$engine" "${args[@]}" "$ctx"
echo "built $tag (base $base)" >&2
