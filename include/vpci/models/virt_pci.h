/* SPDX-License-Identifier: MIT */
/*
 * "virt-pci": the PCIExp experiment's device (QEMU 6.0 hw/char/virt-pci.c
 * of ConfiguresHowTo-sak52jp/PCIExp), register-compatible so that its
 * driver and sample app work unchanged, with the original's unsafe corners
 * fixed.  Spec: shared/specs/virt-pci.md.
 *
 * Identity (default: exactly the seed's)
 *   1234:0001 revision 0x00, class 0x00ff00 (PCI_CLASS_OTHERS), subsystem
 *   1af4:1100, header type 0, conventional PCI (256-byte config space),
 *   INTA, no capabilities.
 *   BAR0: 512 bytes 32-bit non-prefetchable memory.  0x00..0xff are the
 *         registers below; 0x100..0x1ff read 0 and ignore writes, except
 *         the two error registers at 0x100 and 0x104 (read-only, 0 until a
 *         job fails: a seed-era driver never sees a difference).
 *   BAR1: 512 bytes IO.  Every read returns 0xBEEFBEEF truncated to the
 *         access (a byte read gives 0xEF, a word read 0xBEEF, wherever it
 *         is: the original's handler ignored the address); writes ignored.
 *
 * Access rules (BAR0)
 *   The registers are 32-bit and the seed's software uses aligned dword
 *   accesses.  Other widths follow libvpci's register-file rules: a byte,
 *   word or misaligned access reaches the bytes of the registers it covers,
 *   a qword covers two registers.  A partial write to CTRL acts on the bits
 *   it writes; a partial write to INT_CLEAR clears the bits it writes.
 *
 * Registers (offsets in BAR0, little endian)
 *   0x00  VERSION     RO  0x12345678
 *   0x04  CTRL        WO  reads 0xBEEFBEEF.  bit0 KICK_MUL2, bit1 KICK_MUL4,
 *                         bit2 RESET (soft reset), bit3 DOINT.  Only the
 *                         lowest set bit of these four acts; other bits are
 *                         ignored.  Everything a command does is finished
 *                         when the write returns (the original worked inside
 *                         its MMIO handler).
 *   0x08  INT_STATUS  RO  bit0 MUL2 done, bit1 MUL4 done, bit3 DOINT,
 *                         bit4 ERROR (extension, see below)
 *   0x0C  INT_MASK    RW  reset 0xFFFFFFFF; a 1 in bit0 / bit1 ENABLES the
 *                         MUL2 / MUL4 interrupt.  All 32 bits read back.
 *   0x10  DMA_SRC     RW  32-bit bus address of the input
 *   0x14  DMA_DST     RW  32-bit bus address of the output
 *   0x18  DMA_SIZE    RW  length in bytes (0..4096, a multiple of 4)
 *   0x1C  INT_CLEAR   WO  reads 0xBEEFBEEF; write 1 to clear INT_STATUS bits
 *   0x20..0xFC SCRATCH RW 56 registers that read back what was written
 *   0x100 ERROR_CODE  RO  why the last MUL2/MUL4 job failed, 0 if it did
 *                         not (VIRT_PCI_ERR_*)
 *   0x104 ERROR_ADDR  RO  for ERR_SRC / ERR_DST: the bus address of the
 *                         first byte that could not be moved; else 0
 *   The error registers sit in BAR0's unused upper half because the spec
 *   gives all of 0x20..0xFC to SCRATCH, and the seed's software may use
 *   any of it.
 *
 * MUL2 / MUL4
 *   Read DMA_SIZE bytes at DMA_SRC into a 4096-byte internal buffer,
 *   multiply every 32-bit little-endian element by 2 (4) modulo 2^32, write
 *   the buffer to DMA_DST, set INT_STATUS bit0 (bit1), and interrupt if
 *   INT_MASK bit0 (bit1) is set.  The whole source is read before anything
 *   is written, so DMA_SRC == DMA_DST (the original driver's MUL2) and any
 *   overlap work.  DMA_SIZE 0 is a job that moves nothing and completes
 *   normally.
 *   DMA is 32-bit (DMA mask 2^32 - 1).
 *
 * Error behaviour (the spec's fixed corners; the original overflowed its
 * buffer or did partial DMA)
 *   A job that cannot run completely still completes: its done bit
 *   (bit0/bit1) is set together with bit4 ERROR, ERROR_CODE says why, a
 *   warning is logged, and the interrupt follows INT_MASK as for a success,
 *   so a driver waiting for the done bit never hangs.  Checked in order:
 *     ERR_SIZE   (1) DMA_SIZE > 4096: nothing is read or written
 *     ERR_ALIGN  (2) DMA_SIZE not a multiple of 4: nothing read or written
 *     ERR_MASTER (3) COMMAND.MASTER off (and DMA_SIZE > 0): nothing is
 *                    read or written
 *     ERR_SRC    (4) the source read faulted (unmapped, IOMMU fault, beyond
 *                    4 GiB): nothing is written
 *     ERR_DST    (5) the destination write faulted: it stops at the first
 *                    4 KiB page that faults.  Bytes of the destination
 *                    before that page hold the result, nothing at or after
 *                    it is touched; no byte outside [DMA_DST, DMA_DST +
 *                    DMA_SIZE) ever is.  (The source was read whole first;
 *                    whether the destination is reachable can only be
 *                    learnt by writing it.)
 *   ERROR does not hold the interrupt line by itself: INTx deasserts when
 *   no interrupt source (bits 0, 1, 3) is left in INT_STATUS.  The
 *   original driver's ISR acknowledges only bits 0, 1 and 3; if ERROR held
 *   INTx it would interrupt forever.  ERROR stays set until INT_CLEAR bit4
 *   or a reset clears it.
 *
 * Interrupts (one libvpci source, 0)
 *   An event (a job done, DOINT) sets its INT_STATUS bit; MUL2/MUL4 then
 *   interrupt if INT_MASK enables them, DOINT always.  An interrupt asserts
 *   INTx (level) or, with MSI / MSI-X enabled, sends one message per event.
 *   INT_CLEAR clears bits; when none of bits 0, 1, 3 is left the interrupt
 *   is deasserted.  A masked event sets its bit without interrupting; it
 *   keeps an asserted line asserted until cleared, as in the original.
 *   Changing INT_MASK does not by itself change the line.
 *
 * Reset
 *   CTRL.RESET and a device reset (conventional or FLR) restore every
 *   BAR0 register (SCRATCH and the error registers included) to its reset
 *   value and deassert the interrupt.  CTRL.RESET leaves config space alone.
 *
 * Differences from the original QEMU device, all deliberate
 *   - INT_MASK: the original only took a written value that cleared bit0
 *     or bit1 into effect (yet read back anything); here it is plain RW.
 *   - CTRL.RESET deasserts INTx (the original left it asserted with
 *     INT_STATUS 0).
 *   - The fixed corners above; the original had no error reporting.
 *
 * Properties
 *   msi  (bool, off) MSI capability at 0x40: 1 vector, 64-bit address,
 *        per-vector mask.
 *   msix (bool, off) MSI-X capability at 0x60: 1 vector; the table and PBA
 *        live in a new BAR2 (4 KiB 32-bit memory: table at 0, PBA at
 *        0x800), so BAR0 and BAR1 stay the seed's (PCIe forbids sharing a
 *        4 KiB page of a BAR between MSI-X structures and other registers).
 *   pcie (bool, off) a PCI Express function: 4 KiB config space and a PCI
 *        Express v2 capability at 0x70, Device/Port type Endpoint, FLR
 *        capable.  Needs msi=on or msix=on (PCIe 6.1.4: an Express function
 *        that interrupts must support MSI or MSI-X).
 *   With every property off the function is exactly the seed's.
 */
#ifndef VPCI_MODELS_VIRT_PCI_H
#define VPCI_MODELS_VIRT_PCI_H

#ifdef __cplusplus
extern "C" {
#endif

/* Register offsets in BAR0. */
enum vpci_virt_pci_reg {
    VIRT_PCI_VERSION = 0x00,
    VIRT_PCI_CTRL = 0x04,
    VIRT_PCI_INT_STATUS = 0x08,
    VIRT_PCI_INT_MASK = 0x0c,
    VIRT_PCI_DMA_SRC = 0x10,
    VIRT_PCI_DMA_DST = 0x14,
    VIRT_PCI_DMA_SIZE = 0x18,
    VIRT_PCI_INT_CLEAR = 0x1c,
    VIRT_PCI_SCRATCH = 0x20,      /* .. 0xfc */
    VIRT_PCI_ERROR_CODE = 0x100,
    VIRT_PCI_ERROR_ADDR = 0x104,
};

#define VIRT_PCI_VERSION_VALUE 0x12345678u
#define VIRT_PCI_WO_READ 0xbeefbeefu      /* CTRL, INT_CLEAR, BAR1 */
#define VIRT_PCI_SCRATCH_COUNT 56u

/* CTRL commands */
#define VIRT_PCI_CTRL_MUL2 0x1u
#define VIRT_PCI_CTRL_MUL4 0x2u
#define VIRT_PCI_CTRL_RESET 0x4u
#define VIRT_PCI_CTRL_DOINT 0x8u

/* INT_STATUS / INT_MASK / INT_CLEAR bits */
#define VIRT_PCI_INT_MUL2 0x1u
#define VIRT_PCI_INT_MUL4 0x2u
#define VIRT_PCI_INT_DOINT 0x8u
#define VIRT_PCI_INT_ERROR 0x10u

/* ERROR_CODE values */
#define VIRT_PCI_ERR_NONE 0u
#define VIRT_PCI_ERR_SIZE 1u      /* DMA_SIZE > 4096 */
#define VIRT_PCI_ERR_ALIGN 2u     /* DMA_SIZE not a multiple of 4 */
#define VIRT_PCI_ERR_MASTER 3u    /* bus master off */
#define VIRT_PCI_ERR_SRC 4u       /* source read faulted: nothing written */
#define VIRT_PCI_ERR_DST 5u       /* destination write faulted */

#define VIRT_PCI_BUF_SIZE 4096u
#define VIRT_PCI_BAR0_SIZE 512u
#define VIRT_PCI_BAR1_SIZE 512u
#define VIRT_PCI_MSIX_BAR 2u
#define VIRT_PCI_MSIX_BAR_SIZE 4096u
#define VIRT_PCI_MSIX_PBA 0x800u
#define VIRT_PCI_MSI_CAP 0x40u
#define VIRT_PCI_MSIX_CAP 0x60u
#define VIRT_PCI_PCIE_CAP 0x70u

#ifdef __cplusplus
}
#endif
#endif /* VPCI_MODELS_VIRT_PCI_H */
