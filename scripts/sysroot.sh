#!/usr/bin/env bash
# A target-architecture folder of Debian 12 libraries for the 32-bit and ARM builds (scripts/build_i386.sh,
# scripts/build_arm.sh): the Vulkan loader, lavapipe (Mesa's CPU driver), the validation layer, libjpeg and libpng,
# with everything they depend on.  The packages are fetched by a private apt (its own lists and cache in DIR/apt)
# and unpacked with `dpkg -x`, so the host's dpkg is left alone: no `dpkg --add-architecture`, and no multiarch
# co-installation, whose Multi-Arch: same packages must match the host's versions exactly (they do not while a
# mirror syncs, and mesa for three architectures would have to be upgraded in lock step).  The C library and the
# compiler's runtime come from the toolchain (g++-multilib, the cross compilers), so they are left out when
# NO_LIBC=1 (i386: the binaries run natively and find the host's /usr/lib32 glibc).  docs/hardening.md.
#
#   scripts/sysroot.sh ARCH DIR      ARCH: i386 | arm64 | armhf
set -euo pipefail
arch=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
stamp="$dir/.complete"
[ -f "$stamp" ] && exit 0

apt_root="$dir/apt"
mkdir -p "$apt_root/lists/partial" "$apt_root/archives/partial" "$dir/root"
touch "$apt_root/status"
cat >"$apt_root/sources.list" <<EOF
deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main
deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-updates main
EOF
opts=(-o "APT::Architecture=$arch" -o "APT::Architectures::=$arch" -o "Dir::State::status=$apt_root/status"
      -o "Dir::State::Lists=$apt_root/lists" -o "Dir::Cache=$apt_root" -o "Dir::Cache::archives=$apt_root/archives"
      -o "Dir::Etc::SourceList=$apt_root/sources.list" -o "Dir::Etc::SourceParts=-" -o "Debug::NoLocking=1"
      -o "APT::Get::List-Cleanup=0" -q)
apt-get "${opts[@]}" update >/dev/null

wanted=(libvulkan1 mesa-vulkan-drivers vulkan-validationlayers libjpeg62-turbo-dev libpng-dev zlib1g-dev)
# Every package they depend on (recursively; no recommends), less virtual names, the C library's headers and
# development files (the toolchain has its own), and what only a package's maintainer scripts use.
skip='^(libc6-dev|libc-dev-bin|linux-libc-dev|libcrypt-dev|libnsl-dev|libtirpc-dev|rpcsvc-proto|libgcc-.*-dev|'
skip+='debconf|cdebconf|perl-base|dpkg|tar)$'
[ "${NO_LIBC:-0}" = 1 ] && skip="${skip%)\$}|libc6|libgcc-s1|libstdc\+\+6)\$"
mapfile -t pkgs < <(apt-cache "${opts[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances "${wanted[@]}" | grep -E '^[a-z0-9]' | sort -u | grep -Ev "$skip")
echo "sysroot $arch: ${#pkgs[@]} packages"
(cd "$apt_root/archives" && apt-get "${opts[@]}" download "${pkgs[@]}" >/dev/null)
for deb in "$apt_root"/archives/*.deb; do dpkg -x "$deb" "$dir/root"; done

# The ICD manifest names its driver by an absolute path: point it into the folder.
for json in "$dir"/root/usr/share/vulkan/icd.d/lvp_icd.*.json; do
  sed -i "s|\"library_path\": *\"/|\"library_path\": \"$dir/root/|" "$json"
done
touch "$stamp"
