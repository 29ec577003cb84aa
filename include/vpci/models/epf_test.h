/* SPDX-License-Identifier: MIT */
/*
 * "epf-test": Linux's PCI endpoint test function, as the host sees it.
 *
 * Linux's pci-epf-test (drivers/pci/endpoint/functions/pci-epf-test.c)
 * turns an endpoint-mode controller into a test device; the host drives it
 * with drivers/misc/pci_endpoint_test.c (/dev/pci-endpoint-test.N, the
 * `pcitest` tool, tools/pci/pcitest.sh).  This model is register-compatible
 * with the pair as shipped in Linux 6.1 (Debian 12's kernel; checked
 * against linux-source-6.1 6.1.192), so that unmodified pci_endpoint_test
 * binds to it and its BAR, INTx, MSI, MSI-X, READ, WRITE and COPY tests
 * pass.  (The first layout, 2017, differs: the MSI number sat in COMMAND
 * bits 2..7 and READ / WRITE / COPY in bits 8..10, with no IRQ_TYPE,
 * IRQ_NUMBER or FLAGS.  Kernels after 6.1 append CAPS and doorbell
 * registers, see 0x30.)
 *
 * Identity
 *   104c:b500 (PCI_DEVICE_ID_TI_DRA74x): an ID in pci_endpoint_test's
 *   table, which binds it with default_data: register BAR 0, 4 KiB buffer
 *   alignment, MSI.  (104c:b00c, AM654, would select BAR 2 and 64 KiB and
 *   skip the BAR 0 test; use reg_bar=2 with it.)  The IDs are properties,
 *   as pci-epf-test's configfs vendorid/deviceid are.  Class 0xff0000
 *   (pci-epf-test's header: base class PCI_CLASS_OTHERS, sub-class and
 *   prog-if 0), revision 0, subsystem 0000:0000, INTA.  Conventional PCI
 *   (256-byte config space): pci_endpoint_test needs nothing of PCIe.
 *
 * BARs
 *   Six 32-bit non-prefetchable memory BARs of pci-epf-test's bar_size[]:
 *   512, 512, 1 KiB, 16 KiB, 128 KiB, 1 MiB (properties bar0..bar5).
 *   The register BAR (reg_bar, default 0) holds the registers at 0x00..0x7f
 *   (pci-epf-test: ALIGN(sizeof(struct pci_epf_test_reg), 128)), then the
 *   MSI-X table at 0x80 and the PBA right after it (16 bytes per vector,
 *   then the PBA in qwords), exactly where pci-epf-test asks the
 *   controller to put them.  Unless given, its size is the larger of its
 *   bar_size[] entry and the power of two that holds all that (1 KiB with
 *   the default 32 MSI-X vectors; pci-epf-test itself sizes it the same
 *   way, from 128 bytes up); a size given too small is refused.  Bytes of
 *   the register BAR past the registers, table and PBA read 0 and ignore
 *   writes.  The other BARs are plain RAM (zero at creation): the BAR
 *   test writes 0xA0A0A0A0 over the whole of each and reads it back.
 *
 * Registers (register BAR; little endian; any access width, merged or
 * split over the registers; holes 0x34..0x7f read 0 and ignore writes)
 *   0x00 MAGIC         RW  scratch; the BAR test writes and reads back
 *                          0xA0A0A0A0 here (the only dword it tests in the
 *                          register BAR)
 *   0x04 COMMAND       RW  a non-zero write starts a command (below); the
 *                          device clears it when it takes the command
 *        bit 0 RAISE_INTX  bit 1 RAISE_MSI  bit 2 RAISE_MSIX
 *        bit 3 READ   the device reads SIZE bytes at SRC_ADDR and checks
 *                     their crc32_le(~0, buf, SIZE) against CHECKSUM
 *                     (pci_endpoint_test's *WRITE* ioctl sends it)
 *        bit 4 WRITE  the device writes SIZE pseudo-random bytes to
 *                     DST_ADDR and puts their CRC in CHECKSUM (the READ
 *                     ioctl sends it)
 *        bit 5 COPY   the device copies SIZE bytes SRC_ADDR -> DST_ADDR
 *                     (the host compares CRCs itself)
 *        When several bits are set only one runs, the first of RAISE_INTX,
 *        WRITE, READ, COPY, RAISE_MSI, RAISE_MSIX (pci-epf-test's order);
 *        other bits are taken and ignored.
 *   0x08 STATUS        RW  cleared by the device when it takes a command;
 *                          set before the interrupt is raised
 *        bit 0/1 READ_SUCCESS / READ_FAIL   bit 2/3 WRITE_SUCCESS / _FAIL
 *        bit 4/5 COPY_SUCCESS / COPY_FAIL   bit 6 IRQ_RAISED
 *        bit 7 SRC_ADDR_INVALID             bit 8 DST_ADDR_INVALID
 *   0x0c SRC_ADDR_LO   RW  \ 64-bit source bus address
 *   0x10 SRC_ADDR_HI   RW  /
 *   0x14 DST_ADDR_LO   RW  \ 64-bit destination bus address
 *   0x18 DST_ADDR_HI   RW  /
 *   0x1c SIZE          RW  bytes to transfer (0..4 GiB - 1)
 *   0x20 CHECKSUM      RW  crc32_le(~0, data, SIZE): Linux's crc32_le with
 *                          seed ~0 and no final inversion (zlib's crc32()
 *                          inverted)
 *   0x24 IRQ_TYPE      RW  interrupt for READ / WRITE / COPY: 0 INTx,
 *                          1 MSI, 2 MSI-X
 *   0x28 IRQ_NUMBER    RW  1-based vector: vector IRQ_NUMBER - 1 is sent
 *   0x2c FLAGS         RW  bit 0 USE_DMA: the endpoint's DMA engine moves
 *                          the data (only the timing differs here)
 *   0x30 CAPS          RO  not in Linux 6.1, whose pci_endpoint_test never
 *                          reads it (there it is plain register-BAR
 *                          memory).  Later hosts read it (patches of
 *                          December 2024 and March 2025): bit 0
 *                          UNALIGNED_ACCESS (always: any buffer address
 *                          works, so such a host stops padding buffers),
 *                          bit 1 MSI, bit 2 MSI-X (when the capability is
 *                          present), bit 3 INTX (always).  The later
 *                          doorbell registers (0x34..0x3c) and their
 *                          COMMAND bits are not implemented.
 *
 * Commands and timing
 *   pci-epf-test polls COMMAND from a 1 ms delayed work item and does the
 *   transfer itself, so the host always waits for an interrupt.  Here a
 *   non-zero COMMAND write, with no command pending, arms a timer on the
 *   host clock for
 *       1 ms (EPF_TEST_POLL_NS) + bytes moved x time per byte
 *   where bytes moved is SIZE for READ and WRITE, 2 x SIZE for COPY, 0 for
 *   the RAISE commands, and the time per byte 10 ns (the endpoint CPU's
 *   memcpy_fromio/toio, ~100 MB/s) or 1 ns with FLAGS.USE_DMA (~1 GB/s);
 *   SIZE and FLAGS are read at the COMMAND write.  When the timer fires
 *   the device takes whatever COMMAND holds then (a later write before
 *   that replaces the command, as with pci-epf-test's polling; COMMAND 0
 *   does nothing), clears COMMAND and STATUS, does the work with the
 *   registers as they are then, sets STATUS and raises the interrupt -
 *   all at that instant.
 *   - IRQ_TYPE above 2: the command is taken and dropped, STATUS stays 0,
 *     no interrupt (pci-epf-test: "Failed to detect IRQ type").
 *   - RAISE_INTX: STATUS = IRQ_RAISED and INTx is asserted (IRQ_TYPE and
 *     IRQ_NUMBER are not looked at).
 *   - RAISE_MSI / RAISE_MSIX: if 1 <= IRQ_NUMBER <= the vectors the host
 *     enabled (MSI: Multiple Message Enable; MSI-X: the table size) and
 *     that kind is enabled, STATUS = IRQ_RAISED and vector IRQ_NUMBER - 1
 *     is sent; otherwise nothing more happens: STATUS stays 0 and no
 *     interrupt comes (pci-epf-test checks pci_epc_get_msi/msix the same
 *     way; the host's 1 s wait times out).
 *   - READ / WRITE / COPY: the transfer runs, STATUS gets the command's
 *     SUCCESS or FAIL bit (plus an ADDR_INVALID bit, below) and
 *     IRQ_RAISED, and the interrupt IRQ_TYPE / IRQ_NUMBER is raised -
 *     on failure too: pci_endpoint_test waits for it without a timeout.
 *   WRITE data comes from a deterministic generator (xorshift64*, seeded
 *   at creation and reset), so runs are reproducible; successive WRITEs
 *   give different data.
 *
 * Interrupts
 *   An interrupt is sent only in the way the host enabled: INTx when
 *   neither MSI nor MSI-X is enabled, MSI vector IRQ_NUMBER - 1 when MSI
 *   is, MSI-X entry IRQ_NUMBER - 1 when MSI-X is (libvpci sources 0..N-1).
 *   A READ / WRITE / COPY whose IRQ_TYPE is not the enabled kind, or whose
 *   IRQ_NUMBER is 0 or above the enabled vectors, still sets STATUS but
 *   sends nothing (a warning is logged): the controller under pci-epf-test
 *   cannot raise an interrupt the host did not enable either.
 *   INTx is a level: asserted by the raise, deasserted when STATUS.IRQ_RAISED
 *   becomes clear - pci_endpoint_test's handler reads STATUS, clears
 *   IRQ_RAISED and writes STATUS back, which ends it; the device's own
 *   STATUS clear at the next command does too.  (Real endpoint
 *   controllers pulse INTx - Cadence asserts, waits 1 ms, deasserts - or
 *   cannot raise it at all, as DesignWare; a level tied to the handshake
 *   is what a level-triggered interrupt controller needs and what the
 *   6.1 handler expects.)  MSI vectors are 64-bit and maskable (masked:
 *   pending until unmasked); messages wait while bus mastering is off.
 *
 * Error behaviour (what Linux leaves open)
 *   - Invalid address: pci-epf-test reports SRC_ADDR_INVALID or
 *     DST_ADDR_INVALID when it cannot map the host address.  Here it means
 *     the DMA to that side failed: the host refused it (nothing decodes
 *     there, an IOMMU fault or permission), it lies beyond the DMA mask,
 *     or bus mastering is off.  STATUS then holds that bit with the
 *     command's FAIL bit and IRQ_RAISED, the interrupt is raised, and a
 *     warning is logged.  Data moves through a 4 KiB buffer in order,
 *     each chunk read and written page by page (libvpci's DMA: pieces that
 *     do not cross a 4 KiB boundary of the bus address), and stops at the
 *     first page that faults: for WRITE and COPY the destination bytes
 *     before that page have been written (what a faulting DMA leaves; with
 *     an unaligned buffer that includes the start of the chunk that
 *     faulted), nothing at or after it.  A COPY chunk whose source faults
 *     writes nothing and reports SRC_ADDR_INVALID.  A failed WRITE leaves
 *     CHECKSUM unchanged; the generator has still advanced by the chunks
 *     it attempted, the one that faulted included.
 *   - READ whose data does not match CHECKSUM: READ_FAIL alone.
 *   - SIZE 0: a transfer of nothing (READ then succeeds only if CHECKSUM
 *     is 0xffffffff, WRITE sets it so); pci_endpoint_test never sends it.
 *   - FLAGS.USE_DMA is always honoured (pci-epf-test without a DMA channel
 *     drops the command and never interrupts; this endpoint has DMA).
 *   - A COMMAND written while one is pending is not queued: the pending
 *     poll takes the latest value.
 *
 * Reset, save/restore
 *   Reset (conventional or FLR) returns every register to 0, cancels a
 *   pending command, deasserts INTx and re-seeds the WRITE generator; the
 *   RAM BARs keep their contents (endpoint memory).  Save/restore carries
 *   the registers, the RAM BARs, a pending command (its timer keeps its
 *   deadline) and the generator.
 *
 * Properties
 *   vendor_id (u32, 0x104c), device_id (u32, 0xb500): the IDs, 0..0xffff.
 *   bar0..bar5 (u32, 512, 512, 1K, 16K, 128K, 1M): BAR sizes in bytes, a
 *     power of two >= 16, or 0 for no BAR (not for the register BAR).
 *   reg_bar (u32, 0): which BAR holds the registers and MSI-X, 0..5.
 *   msi (bool, on), msi_vectors (u32, 32): MSI capability with 1, 2, 4,
 *     8, 16 or 32 vectors (pci_endpoint_test tests MSI 1..32).
 *   msix (bool, on), msix_vectors (u32, 32): MSI-X with 1..2048 vectors.
 *     pcitest.sh tries MSI-X 1..2048: msix_vectors=2048 lets every one
 *     pass (the register BAR then grows to 64 KiB); with 32 the ones
 *     above 32 time out, as on an endpoint configured with 32.
 */
#ifndef VPCI_MODELS_EPF_TEST_H
#define VPCI_MODELS_EPF_TEST_H

#ifdef __cplusplus
extern "C" {
#endif

/* Register offsets in the register BAR (struct pci_epf_test_reg). */
enum vpci_epf_test_reg {
    EPF_TEST_MAGIC = 0x00,
    EPF_TEST_COMMAND = 0x04,
    EPF_TEST_STATUS = 0x08,
    EPF_TEST_SRC_ADDR_LO = 0x0c,
    EPF_TEST_SRC_ADDR_HI = 0x10,
    EPF_TEST_DST_ADDR_LO = 0x14,
    EPF_TEST_DST_ADDR_HI = 0x18,
    EPF_TEST_SIZE = 0x1c,
    EPF_TEST_CHECKSUM = 0x20,
    EPF_TEST_IRQ_TYPE = 0x24,
    EPF_TEST_IRQ_NUMBER = 0x28,
    EPF_TEST_FLAGS = 0x2c,
    EPF_TEST_CAPS = 0x30,
};

#define EPF_TEST_CMD_RAISE_INTX 0x01u
#define EPF_TEST_CMD_RAISE_MSI 0x02u
#define EPF_TEST_CMD_RAISE_MSIX 0x04u
#define EPF_TEST_CMD_READ 0x08u
#define EPF_TEST_CMD_WRITE 0x10u
#define EPF_TEST_CMD_COPY 0x20u

#define EPF_TEST_STATUS_READ_SUCCESS 0x001u
#define EPF_TEST_STATUS_READ_FAIL 0x002u
#define EPF_TEST_STATUS_WRITE_SUCCESS 0x004u
#define EPF_TEST_STATUS_WRITE_FAIL 0x008u
#define EPF_TEST_STATUS_COPY_SUCCESS 0x010u
#define EPF_TEST_STATUS_COPY_FAIL 0x020u
#define EPF_TEST_STATUS_IRQ_RAISED 0x040u
#define EPF_TEST_STATUS_SRC_ADDR_INVALID 0x080u
#define EPF_TEST_STATUS_DST_ADDR_INVALID 0x100u

#define EPF_TEST_IRQ_INTX 0u
#define EPF_TEST_IRQ_MSI 1u
#define EPF_TEST_IRQ_MSIX 2u

#define EPF_TEST_FLAG_USE_DMA 0x1u

#define EPF_TEST_CAP_UNALIGNED_ACCESS 0x1u
#define EPF_TEST_CAP_MSI 0x2u
#define EPF_TEST_CAP_MSIX 0x4u
#define EPF_TEST_CAP_INTX 0x8u

#define EPF_TEST_VENDOR_ID 0x104c   /* PCI_VENDOR_ID_TI */
#define EPF_TEST_DEVICE_ID 0xb500   /* PCI_DEVICE_ID_TI_DRA74x */
#define EPF_TEST_CLASS 0xff0000u    /* PCI_CLASS_OTHERS << 16 */
#define EPF_TEST_REG_SPAN 0x80u     /* registers; the MSI-X table follows */
#define EPF_TEST_MSIX_TABLE EPF_TEST_REG_SPAN
#define EPF_TEST_MAX_MSIX 2048u

/* Timing (see above). */
#define EPF_TEST_POLL_NS 1000000ull
#define EPF_TEST_CPU_NS_PER_BYTE 10ull
#define EPF_TEST_DMA_NS_PER_BYTE 1ull

#ifdef __cplusplus
}
#endif
#endif /* VPCI_MODELS_EPF_TEST_H */
