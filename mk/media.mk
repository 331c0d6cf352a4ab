# Boot media for build/hypervisor.elf (mk/image.mk's `make image`):
#   make iso   build/hypervisor.iso  hybrid GRUB image: CD + USB stick, BIOS + UEFI
#   make pxe   build/pxe/            TFTP root for BIOS and UEFI PXE clients
#   make efi   build/hypervisor.efi  UEFI application with the image inside (boot/efi/)
#   make test-media                  boots each of them in QEMU TCG / OVMF / Bochs
# Scripts: tools/media/ (builders), tests/media/ (tests).

DEB_PACKAGES += grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools \
                nasm lld binutils qemu-system-x86 ipxe-qemu ovmf \
                bochs bochsbios vgabios bochs-term
TEST_TARGETS += test-media

MEDIA_ELF := $(BUILD)/hypervisor.elf
MEDIA_ISO := $(BUILD)/hypervisor.iso
MEDIA_PXE := $(BUILD)/pxe
MEDIA_EFI := $(BUILD)/hypervisor.efi
MEDIA_GRUB_INPUTS := tools/media/grub.cfg tools/media/check-elf.sh

.PHONY: iso pxe efi media test-media

iso: deps image $(MEDIA_ISO)
pxe: deps image $(MEDIA_PXE)/boot/hypervisor.elf
efi: deps image $(MEDIA_EFI)
media: iso pxe efi

$(MEDIA_ISO): $(MEDIA_ELF) tools/media/mkiso.sh $(MEDIA_GRUB_INPUTS) | deps
	tools/media/mkiso.sh $< $@

# mkpxe.sh writes the image into the tree last, so it stands for the whole tree.
$(MEDIA_PXE)/boot/hypervisor.elf: $(MEDIA_ELF) tools/media/mkpxe.sh $(MEDIA_GRUB_INPUTS) | deps
	tools/media/mkpxe.sh $< $(MEDIA_PXE)

$(MEDIA_EFI): $(MEDIA_ELF) tools/media/mkefi.sh tools/media/check-elf.sh \
              $(wildcard boot/efi/*.asm boot/efi/*.inc) | deps
	tools/media/mkefi.sh $< $@

# Every script runs even when an earlier one failed, so one run reports every path;
# the target fails if any did. Depending on `image` makes a missing or broken image
# fail here, with the image build's own error, rather than skip anything.
MEDIA_TESTS := iso pxe efi-app bochs-iso
MEDIA_TEST_ENV := MEDIA_ELF=$(MEDIA_ELF) MEDIA_ISO=$(MEDIA_ISO) MEDIA_PXE=$(MEDIA_PXE) \
                  MEDIA_EFI=$(MEDIA_EFI) MEDIA_TEST_DIR=$(BUILD)/media-test
test-media: deps image iso pxe efi
	@rc=0; for t in $(MEDIA_TESTS); do $(MEDIA_TEST_ENV) tests/media/$$t.sh || rc=1; done; exit $$rc
