# The reference Linux guest: Debian's unmodified cloud kernel + a busybox initramfs.
#   make guest-linux        build/guest-linux/{vmlinuz,initrd.img,cmdline,VERSION}
#   make test-guest-linux   boot it on QEMU TCG, assert on the serial output (in TEST_TARGETS)
#   make bench-linux-bare   boot it on bare Bochs, print the marker's TSC (in BENCH_TARGETS)
# See tools/guest-linux/README.md.

DEB_PACKAGES += busybox-static cpio kmod xz-utils gzip dpkg apt coreutils \
                grub-pc-bin grub-common xorriso mtools bochs bochsbios vgabios \
                qemu-system-x86 nasm lld binutils
TEST_TARGETS += test-guest-linux
BENCH_TARGETS += bench-linux-bare

GL := $(BUILD)/guest-linux
GL_SRC := tools/guest-linux
GUEST_LINUX := $(GL)/vmlinuz $(GL)/initrd.img $(GL)/cmdline $(GL)/VERSION

.PHONY: guest-linux test-guest-linux bench-linux-bare guest-linux-FORCE
guest-linux: $(GUEST_LINUX)

# Which image linux-image-cloud-amd64 points at today ("PACKAGE VERSION"). Resolved on every run
# (apt-cache, offline, fast) but rewritten only when it changes: an unchanged Debian kernel
# rebuilds nothing, a new one rebuilds everything that depends on it.
$(GL)/kernel.pkg: guest-linux-FORCE | deps
	@mkdir -p $(@D)
	@$(GL_SRC)/kernel.sh resolve > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; echo "guest-linux: kernel $$(cat $@)"; fi

# Download (kept in $(GL)/debs), unpack into $(GL)/kroot, write VERSION (the kernel release).
$(GL)/VERSION: $(GL)/kernel.pkg $(GL_SRC)/kernel.sh | deps
	$(GL_SRC)/kernel.sh fetch $< $(GL)
$(GL)/vmlinuz: $(GL)/VERSION
	cp $(GL)/kroot/boot/vmlinuz-$$(cat $<) $@

# The initramfs' static helpers (no libc): /bin/tsc, /bin/drain.
$(GL)/bin/%: $(GL_SRC)/%.asm | deps
	@mkdir -p $(@D)
	nasm -f elf64 -o $@.o $<
	ld.lld -static -nostdlib --strip-all -o $@ $@.o

$(GL)/initrd.img: $(GL)/VERSION $(GL_SRC)/mkinitrd.sh $(GL_SRC)/init.sh $(GL)/bin/tsc $(GL)/bin/drain | deps
	$(GL_SRC)/mkinitrd.sh $(GL)/kroot "$$(cat $(GL)/VERSION)" $(GL_SRC)/init.sh $(GL)/bin $@

# Comments and blank lines dropped, the rest joined by single spaces.
$(GL)/cmdline: $(GL_SRC)/cmdline.txt | deps
	@mkdir -p $(@D)
	grep -v '^[[:space:]]*\(#\|$$\)' $< | xargs > $@

test-guest-linux: $(GUEST_LINUX) tests/guest-linux/boot-qemu.sh | deps
	tests/guest-linux/boot-qemu.sh $(GL)

bench-linux-bare: $(GUEST_LINUX) $(GL_SRC)/bench-bochs.sh $(GL_SRC)/mkiso.sh | deps
	@$(GL_SRC)/bench-bochs.sh $(GL)
