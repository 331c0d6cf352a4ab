#!/bin/busybox sh
# /init of the reference guest's initramfs (busybox-static). The kernel runs it as PID 1.
# Every line a test or benchmark reads starts with "TSHV-GUEST:"; tests assert on those lines,
# so change them together with tests/guest-linux/ and tools/guest-linux/bench-bochs.sh.

/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

# The marker. The TSC is read by /bin/tsc (tools/guest-linux/tsc.asm) as the first thing after the
# mounts: the hypervisor compares it with its own counters, and the Bochs baseline reports it.
# The leading empty line: the firmware leaves the cursor after its terminal escape codes, and the
# marker should start a line of its own.
echo
echo "TSHV-GUEST: init started tsc=$(/bin/tsc)"

# The kernel's banner. `quiet` keeps the kernel from printing it on the console (it is a
# KERN_NOTICE message) and the slow emulated UART is why we want `quiet`; /proc/version is the
# same linux_banner string, so print it verbatim: the line starts with "Linux version".
cat /proc/version
echo "TSHV-GUEST: uname: $(uname -a)"
# One line for the boot CPU is enough: it shows which CPUID features the guest was offered.
echo "TSHV-GUEST: cpu flags: $(grep -m1 '^flags' /proc/cpuinfo | sed 's/^flags[[:space:]]*: *//')"
echo "TSHV-GUEST: date: $(date)"

# The virtio chain. modprobe resolves dependencies from the modules.dep that depmod wrote at build
# time. Busybox's modprobe prints nothing on success (-v included), so what each call loaded is
# read from the kernel: the names /proc/modules gained.
loaded() { cut -d' ' -f1 /proc/modules | sort; }
for m in virtio_pci virtio_blk virtio_net; do
  before=$(loaded; echo -)   # never empty: grep -F with an empty pattern matches every line
  modprobe "$m" || echo "TSHV-GUEST: modprobe $m FAILED"
  new=$(loaded | grep -vxF "$before" | tr '\n' ' ')
  echo "TSHV-GUEST: modprobe $m: loaded ${new:-nothing}"
done
echo "TSHV-GUEST: modules: $(loaded | tr '\n' ' ')"
# Second reading: module loading (allocation, relocation, driver registration) is a distinct cost
# worth comparing between the bare emulator and the hypervisor.
echo "TSHV-GUEST: modules loaded tsc=$(/bin/tsc)"

echo "TSHV-GUEST: done"
# Let the UART send everything queued before the power goes (see drain.asm).
/bin/drain || echo "TSHV-GUEST: drain failed"
# -f: no init system to stop. With ACPI (QEMU, Bochs' BIOS) this powers the machine off, so the
# emulator exits by itself; the tests treat "did not exit" as a failure.
poweroff -f
# Only reached if the platform cannot power off: say so instead of letting the kernel panic
# with "Attempted to kill init".
echo "TSHV-GUEST: poweroff failed"
while :; do sleep 3600; done
