#!/bin/bash
# Builds the reference guest's initramfs: busybox-static, /bin/tsc, /init and the kernel's virtio
# modules with a modules.dep from depmod, as a gzip-compressed cpio "newc" archive.
#
#   mkinitrd.sh KROOT RELEASE INIT BINDIR OUT.img
#     KROOT    the unpacked linux-image package (has lib/modules/RELEASE)
#     INIT     the script that becomes /init
#     BINDIR   holds the static helpers tsc and drain (tsc.asm, drain.asm), copied to /bin
set -eo pipefail
[ $# = 5 ] || { echo "usage: $0 KROOT RELEASE INIT BINDIR OUT.img" >&2; exit 2; }
KROOT=$1 KREL=$2 INIT=$3 BINDIR=$4 OUT=$5
KMOD=$KROOT/lib/modules/$KREL
PATH=$PATH:/sbin:/usr/sbin   # depmod lives in /sbin; non-root shells may not have it on PATH

# The chain virtio_net and virtio_blk need over PCI, in load order. depmod computes the real
# order; this list decides what goes into the image, and the check after depmod proves it is
# complete for this kernel.
MODULES="virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk
         failover net_failover virtio_net"

BUSYBOX=/bin/busybox
# busybox-static and busybox both install /bin/busybox; only the static one runs without a libc.
if readelf -l "$BUSYBOX" | grep -q 'Requesting program interpreter'; then
  echo "mkinitrd: $BUSYBOX is dynamically linked; install busybox-static" >&2; exit 1
fi

STAGE=$OUT.root
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,proc,sys,dev,lib/modules/"$KREL"}
cp "$BUSYBOX" "$STAGE/bin/busybox"
cp "$BINDIR/tsc" "$BINDIR/drain" "$STAGE/bin/"
cp "$INIT" "$STAGE/init"
chmod 755 "$STAGE/init" "$STAGE/bin/tsc" "$STAGE/bin/drain"
# depmod and modprobe consult these to tell built-in modules from missing ones.
cp "$KMOD/modules.builtin" "$KMOD/modules.builtin.modinfo" "$KMOD/modules.order" "$STAGE/lib/modules/$KREL/"

# Module signatures: the kernel verifies a signed module's RSA signature at load time, which
# costs about 10 million emulated instructions per module (on bare Bochs loading these nine
# took 132 M instructions signed, 39 M unsigned), and this kernel does not require them
# (CONFIG_MODULE_SIG_FORCE is off). So the trailer is cut off: "~Module signature appended~\n"
# (28 bytes), preceded by struct module_signature (12 bytes, big-endian sig_len in its last 4)
# and the signature itself. The kernel then loads the module, noting the taint once.
MAGIC='~Module signature appended~'
strip_signature() {
  local f=$1 size len
  [ "$(tail -c 28 "$f" | head -c 27)" = "$MAGIC" ] || return 0
  size=$(stat -c %s "$f")
  len=$(tail -c 32 "$f" | head -c 4 | od -An -tu1 | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
  [ "$len" -gt 0 ] && [ $((len + 40)) -lt "$size" ] || { echo "mkinitrd: bad signature trailer in $f" >&2; exit 1; }
  truncate -s $((size - 40 - len)) "$f"
}

for m in $MODULES; do
  # Debian ships .ko (bookworm) or .ko.xz (later releases); the kernel's own decompression is
  # not assumed, the image always carries plain .ko files.
  mapfile -t found < <(find "$KMOD/kernel" \( -name "$m.ko" -o -name "$m.ko.xz" \))
  [ ${#found[@]} = 1 ] || { echo "mkinitrd: expected one $m.ko[.xz] in $KMOD, found ${#found[@]}" >&2; exit 1; }
  src=${found[0]} rel=${found[0]#"$KMOD/"}
  dst=$STAGE/lib/modules/$KREL/${rel%.xz}
  mkdir -p "$(dirname "$dst")"
  case $src in
    *.ko.xz) xz -dc "$src" > "$dst" ;;
    *)       cp "$src" "$dst" ;;
  esac
  strip_signature "$dst"
done

# The image's modules.dep must list, for each module, the same dependencies as the full kernel
# tree's: otherwise a module this list forgot would only show up as a failed modprobe at boot.
# (depmod -e cannot check this: Debian's System.map is a placeholder, the real one is in -dbg.)
# Running depmod on the unpacked package writes modules.* there, which is build output too.
depmod -a -b "$KROOT" "$KREL"
depmod -a -b "$STAGE" "$KREL"
for m in $MODULES; do
  # Compared as sorted word lists: depmod's order within a line depends on modules.order.
  want=$(grep -E "/$m\.ko(\.xz)?:" "$KMOD/modules.dep" | sed 's/\.xz//g' | tr ' ' '\n' | sort | xargs)
  have=$(grep -E "/$m\.ko:" "$STAGE/lib/modules/$KREL/modules.dep" | tr ' ' '\n' | sort | xargs)
  [ -n "$want" ] && [ "$want" = "$have" ] || {
    echo "mkinitrd: dependencies of $m differ from the kernel's:" >&2
    echo "  kernel: $want" >&2; echo "  image:  $have" >&2; exit 1; }
done

# Fixed owner and timestamps make the archive depend on its contents only.
find "$STAGE" -exec touch -h -d @0 {} +
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet --reproducible) | gzip -9n > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkinitrd: $OUT ($(stat -c %s "$OUT") bytes, modules: $(echo $MODULES))"
