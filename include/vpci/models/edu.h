/* SPDX-License-Identifier: MIT */
/*
 * "edu": QEMU's educational PCI device, register-compatible with QEMU 7.2's
 * hw/misc/edu.c (docs/specs/edu.rst), so that the same MMIO and config
 * sequence gives the same answers from QEMU's edu and from this model.
 *
 * Identity (as QEMU 7.2 builds it)
 *   1234:11e8 revision 0x10, class 0x00ff00 (PCI_CLASS_OTHERS), subsystem
 *   1af4:1100 (QEMU's pci.c default for devices that name none), header
 *   type 0, conventional PCI (256-byte config space), INTA.
 *   BAR0: 1 MiB 32-bit non-prefetchable memory.
 *   MSI capability at 0x40 (QEMU's msi_init(dev, 0, 1, true, false)): one
 *   vector, 64-bit address, no per-vector masking; the list ends there.
 *   QEMU's generic PCI core shows through config space too, and the model
 *   copies what it can see: COMMAND writable bits IO|MEM|MASTER|SERR|
 *   INTX_DISABLE (Parity Error Response reads 0), Latency Timer read-only
 *   zero, and the bytes after the MSI capability (0x4e..0xff) plain
 *   read/write storage (QEMU's pci_init_wmask makes the device-specific
 *   area writable and only capabilities take that away).
 *
 * MMIO access rules (QEMU's MemoryRegionOps: valid and impl 4..8 bytes,
 * aligned; QEMU's memory core in front of it)
 *   An access is cut into naturally aligned pieces of at most 8 bytes
 *   (physmem.c memory_access_size()); a piece under 4 bytes is invalid
 *   (memory.c memory_region_access_valid()): it reads 0 and its write is
 *   dropped.  So a byte or word access reads 0, a dword read at 0x02 reads
 *   0 (two invalid words), and a qword read at 0x84 is a dword read at
 *   0x84 (all ones) below a dword read at 0x88.
 *   Each valid piece then follows edu_mmio_read/write: below 0x80 only
 *   4-byte pieces count, from 0x80 on 4- or 8-byte ones; any other piece,
 *   an unknown offset, a write-only register and the upper half of a
 *   64-bit register (0x84, 0x8c, 0x94, 0x9c) read all ones (~0, truncated
 *   to the piece) and ignore writes.
 *
 * Registers (offsets in BAR0)
 *   0x00 ID          RO  0x010000ed (version 1.0, 0xed)
 *   0x04 LIVENESS    RW  reads the bitwise inverse of the value written
 *   0x08 FACTORIAL   RW  a write starts n! mod 2^32 (QEMU's uint32 loop:
 *                        13! wraps, 34! and above are 0); the result is
 *                        there before the next access: QEMU computes on a
 *                        thread that wins every qtest race, this model
 *                        computes inside the write.  So STATUS.COMPUTING is
 *                        never seen set, and a write is never refused for
 *                        it (QEMU ignores a write while it is set).  When
 *                        STATUS.IRQFACT is set, completion raises 0x1.
 *   0x20 STATUS      RW  bit 0 COMPUTING (RO), bit 7 IRQFACT; others RO 0
 *   0x24 INTR_STATUS RO  the raised interrupt bits
 *   0x60 INTR_RAISE  WO  ORs the value into INTR_STATUS; if the result is
 *                        non-zero the interrupt is signalled (again)
 *   0x64 INTR_ACK    WO  clears the bits written; INTx deasserts at zero
 *   0x80 DMA_SRC     RW  64-bit; a 4-byte write at 0x80 sets the whole
 *   0x88 DMA_DST     RW  register, zero-extended (QEMU stores the access's
 *   0x90 DMA_CNT     RW  value); ignored while DMA_CMD.RUN is set
 *   0x98 DMA_CMD     RW  bit 0 RUN, bit 1 DIR (0: RAM -> buffer, 1: buffer
 *                        -> RAM), bit 2 IRQ (raise 0x100 when done).  A
 *                        write without RUN, or while RUN is set, is
 *                        ignored; otherwise the value is stored and the
 *                        transfer runs on the host clock (below)
 *   Reads of the DMA registers always work, RUN or not.
 *
 * Interrupts
 *   One source (libvpci source 0).  As in QEMU's edu_raise_irq: with MSI
 *   enabled every raise with INTR_STATUS non-zero sends one message and
 *   leaves no level behind; otherwise INTx is asserted.  INTR_STATUS
 *   reaching zero deasserts INTx.
 *
 * DMA
 *   The 4 KiB buffer lives at device address 0x40000.  A command completes
 *   at QEMU's deadline: 100 ms after the start on the host clock, counted
 *   from the start time truncated to a whole millisecond (QEMU's
 *   timer_init_ms / qemu_clock_get_ms(): started at 0.5 ms, it completes
 *   at 100 ms).  Then the transfer happens, RUN clears, and with
 *   DMA_CMD.IRQ the interrupt 0x100 is raised.  The RAM side goes through
 *   the host (libvpci's DMA helpers: bus mastering, the DMA mask, the
 *   host's IOMMU).
 *
 * Error behaviour (what QEMU 7.2 leaves to us)
 *   - Buffer range: the buffer side [addr, addr + count) must lie inside
 *     [0x40000, 0x41000).  QEMU 7.2's edu_check_range() calls hw_error(),
 *     which aborts the whole VM, for any range outside it, for count 0 and,
 *     by an off-by-one, for any range that ends at the buffer's last byte.
 *     Here a range that fits (ending at 0x41000 included) is a normal
 *     transfer, count 0 is a transfer of nothing, and a range that does not
 *     fit is refused: nothing is read or written, neither RAM nor buffer.
 *   - RAM side: QEMU clamps the RAM address to dma_mask (address & mask,
 *     printing a message) and transfers to the aliased address.  Here a
 *     range beyond the mask is refused by libvpci (-ERANGE); nothing moves.
 *   - Host faults (bus mastering off, unmapped, IOMMU fault): the transfer
 *     stops at the first page that faults; bytes before it have moved,
 *     nothing at or after it is touched in RAM.  Buffer bytes a read from
 *     RAM did not deliver become 0, which is what QEMU's edu gets from
 *     unassigned memory (QEMU also carries on with later pages; this model
 *     stops at the fault).
 *   In each of these cases the command still completes on time: RUN
 *   clears, DMA_CMD.IRQ raises 0x100, a warning is logged and the model's
 *   DMA error count (vpci_edu_dma_errors) goes up.  No register reports
 *   the failure: QEMU's edu has none to put it in.
 *
 * Reset, save/restore
 *   Reset (conventional or FLR) returns every register to its reset value,
 *   cancels a DMA in flight and deasserts INTx; the DMA buffer keeps its
 *   contents (device SRAM).  QEMU 7.2's edu has no reset handler: there
 *   registers and a DMA in flight survive a system reset and only config
 *   space is reset - a deliberate difference.  Save/restore carries the
 *   registers, the buffer, the error count and a DMA in flight (its timer
 *   keeps its absolute deadline).
 *
 * Other differences that config or MMIO sequences can show
 *   - With MSI enabled and bus mastering off, QEMU's MSI write is lost;
 *     libvpci holds it and sends it when bus mastering is enabled.
 *   - INTx raised, then MSI enabled, then disabled again while INTR_STATUS
 *     is non-zero: QEMU dropped the INTx level when MSI was enabled;
 *     libvpci asserts INTx again (the interrupt is still pending).
 *
 * Properties
 *   dma_mask (u64, default 0xfffffff = 28 bits, as QEMU's edu): the DMA
 *   address mask; must be 2^n - 1 (QEMU accepts any value and ANDs it).
 */
#ifndef VPCI_MODELS_EDU_H
#define VPCI_MODELS_EDU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpci_dev;

/* Register offsets in BAR0. */
enum vpci_edu_reg {
    EDU_ID = 0x00,
    EDU_LIVENESS = 0x04,
    EDU_FACTORIAL = 0x08,
    EDU_STATUS = 0x20,
    EDU_INTR_STATUS = 0x24,
    EDU_INTR_RAISE = 0x60,
    EDU_INTR_ACK = 0x64,
    EDU_DMA_SRC = 0x80,
    EDU_DMA_DST = 0x88,
    EDU_DMA_CNT = 0x90,
    EDU_DMA_CMD = 0x98,
};

#define EDU_ID_VALUE 0x010000edu
#define EDU_STATUS_COMPUTING 0x01u
#define EDU_STATUS_IRQFACT 0x80u
#define EDU_IRQ_FACT 0x00000001u   /* INTR_STATUS bit: factorial done */
#define EDU_IRQ_DMA 0x00000100u    /* INTR_STATUS bit: DMA done */
#define EDU_DMA_RUN 0x1u
#define EDU_DMA_TO_RAM 0x2u        /* DIR: 1 = buffer -> RAM */
#define EDU_DMA_IRQ 0x4u
#define EDU_DMA_BUF_ADDR 0x40000u  /* device address of the buffer */
#define EDU_DMA_BUF_SIZE 4096u
#define EDU_DMA_DELAY_MS 100u
#define EDU_MSI_CAP 0x40u          /* where QEMU's msi_init puts it */
#define EDU_BAR_SIZE (1u << 20)

/* DMA commands that failed (range, mask or host fault) since creation;
 * 0 for a function that is not an edu. */
uint64_t vpci_edu_dma_errors(const struct vpci_dev *dev);

#ifdef __cplusplus
}
#endif
#endif /* VPCI_MODELS_EDU_H */
