#!/bin/bash
# Debian's cloud kernel for the reference guest, resolved from the linux-image-cloud-amd64
# metapackage so the guest follows Debian's current kernel without editing this file.
#
#   kernel.sh resolve          prints "PACKAGE VERSION" of the image the metapackage depends on
#   kernel.sh fetch PKGFILE OUT  downloads that package into OUT/debs (kept: reruns reuse it),
#                              unpacks it into OUT/kroot (vmlinuz in OUT/kroot/boot) and writes
#                              OUT/VERSION: the kernel release, as `uname -r` reports it
set -eo pipefail

META=linux-image-cloud-amd64

resolve() {
  # A machine whose package lists were cleaned (container images often do) knows no candidate.
  if ! apt-cache show "$META" >/dev/null 2>&1; then
    echo "kernel.sh: $META unknown to apt; running apt-get update" >&2
    SUDO=$( [ "$(id -u)" = 0 ] || echo sudo )
    $SUDO apt-get update -q >&2
  fi
  local cand dep
  cand=$(apt-cache policy "$META" | sed -n 's/^ *Candidate: *//p')
  [ -n "$cand" ] && [ "$cand" != "(none)" ] || { echo "kernel.sh: no candidate for $META" >&2; exit 1; }
  # Several versions may be listed (e.g. bookworm and bookworm-security); the candidate is the one
  # apt would install, and its Depends names the versioned image with an exact (= VERSION).
  dep=$(apt-cache show "$META=$cand" | sed -n 's/^Depends: *//p' | head -n1 | tr ',' '\n' |
        sed -n 's/^ *\(linux-image-[^ ]*\) *(= *\([^)]*\)).*/\1 \2/p' | head -n1)
  [ -n "$dep" ] || { echo "kernel.sh: cannot find the image package in $META=$cand's Depends" >&2; exit 1; }
  echo "$dep"
}

fetch() {
  local pkgfile=$1 out=$2 pkg ver deb krel
  read -r pkg ver < "$pkgfile"
  mkdir -p "$out/debs"
  # Debian file names encode the epoch's colon as %3a.
  deb="$out/debs/${pkg}_${ver/:/%3a}_amd64.deb"
  if [ ! -s "$deb" ]; then
    # apt-get download writes into the current directory and verifies the file against the
    # signed package index. Running as root it warns that the _apt sandbox user cannot write
    # here; that warning is expected, so it is filtered.
    (cd "$out/debs" && apt-get download -q "$pkg=$ver" 2>&1 | grep -v "couldn't be accessed by user '_apt'" || true)
    [ -s "$deb" ] || { echo "kernel.sh: apt-get download $pkg=$ver produced no $deb" >&2; exit 1; }
  fi
  rm -rf "$out/kroot"
  dpkg-deb -x "$deb" "$out/kroot"
  # The image package holds exactly one kernel: boot/vmlinuz-RELEASE, modules in lib/modules/RELEASE.
  local images=("$out"/kroot/boot/vmlinuz-*)
  [ ${#images[@]} = 1 ] && [ -f "${images[0]}" ] || { echo "kernel.sh: expected one vmlinuz in $deb" >&2; exit 1; }
  krel=${images[0]##*/vmlinuz-}
  [ -d "$out/kroot/lib/modules/$krel" ] || { echo "kernel.sh: no lib/modules/$krel in $deb" >&2; exit 1; }
  echo "$krel" > "$out/VERSION"
  echo "kernel.sh: $pkg $ver -> release $krel"
}

case "${1:-}" in
  resolve) resolve ;;
  fetch)   [ $# = 3 ] || { echo "usage: $0 fetch PKGFILE OUTDIR" >&2; exit 2; }; fetch "$2" "$3" ;;
  *)       echo "usage: $0 resolve | fetch PKGFILE OUTDIR" >&2; exit 2 ;;
esac
