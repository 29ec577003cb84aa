/* SPDX-License-Identifier: MIT */
/*
 * "dma-engine": the memory-copy engine of the article "如何在qemu里增加一个
 * 虚拟设备" (QEMU hw/misc/dma_engine.c of wangzhou/qemu, driver
 * drivers/misc/dma_engine/dma_engine.c of wangzhou/linux).  Software writes
 * a source, a destination and a length, sets START, and the engine copies
 * source -> 4 KiB internal buffer -> destination through the platform's
 * IOMMU, if it has one.  Spec: shared/specs/dma-engine.md.
 *
 * Identity (the article's lspci)
 *   1234:3456 revision 0x10, class 0x00ff00, subsystem 1af4:1100, header
 *   type 0, PCI Express (4 KiB config space), INTA.
 *   BAR0: 16 KiB 32-bit non-prefetchable memory; the registers are at
 *         0x1000..0x103f, everything else reads 0 and ignores writes.
 *   Capabilities, in list order:
 *     0xC0 PCI Express v2, Root Complex Integrated Endpoint (property
 *          type), MaxPayload 128 bytes, no FLR.  The article shows it at
 *          0xE0, but a v2 capability is 60 bytes: at 0xE0 it would run to
 *          0x11B, past the 256-byte PCI-compatible space into the extended
 *          space whose 0x100 must hold an extended capability header (QEMU
 *          lets it overlap; libvpci refuses).  0xC0 is the nearest place
 *          where it fits.  The list still starts with it, as in the article.
 *     0x40 MSI: 1 vector, 64-bit address, no per-vector mask.
 *   DMA mask: 64 bits (the driver sets DMA_BIT_MASK(64)).
 *
 * Registers (BAR0 + 0x1000; 64-bit, little endian)
 *   Accesses must be 4 or 8 bytes and naturally aligned: a dword reaches
 *   either half of a register, a qword all of it.  Any other access reads
 *   all ones and is ignored.  The driver's writeq/writel/readl all work:
 *   SIZE by a dword write at 0x1014, START by a dword write of 1 at 0x1018,
 *   DONE by polling a dword read of 0x101C for 1.
 *   0x00 SRC      RW  source bus address (IOVA behind an IOMMU).  The
 *                     article calls it write-only; reading back is ours.
 *   0x08 DST      RW  destination bus address
 *   0x10 SIZE     RW  bits 63:32 length in bytes; bits 31:0 reserved, read 0
 *   0x18 CTRL         bit0  START   W: 1 starts a copy; reads 0
 *                     bit1  IRQ_EN  RW: interrupt on completion
 *                     bit2  IRQ_ACK W: 1 deasserts the completion interrupt;
 *                                   reads 0
 *                     bit32 DONE    RO: the last copy ended (cleared by
 *                                   START)
 *                     bit33 ERROR   RO: ... and it failed (ERR_CODE says why)
 *                     bit34 BUSY    RO: a copy is in progress
 *   0x20 ERR_CODE RO  why the last copy failed, 0 if it did not: bits 7:0
 *                     DMA_ENGINE_ERR_*, bits 15:8 for READ/WRITE the host's
 *                     errno (14 EFAULT: unmapped / no IOMMU entry, 13
 *                     EACCES: IOMMU permission, 34 ERANGE: unreachable)
 *   0x28 ERR_ADDR RO  bus address of the first byte that could not be
 *                     moved (READ, MASTER: on the source side, WRITE: on
 *                     the destination side); 0 for LENGTH or success
 *   0x30 COPIED   RO  bytes of the current / last copy written to the
 *                     destination so far
 *   0x38 IGNORED  RO  STARTs ignored because a copy was in progress
 *
 * The copy
 *   START latches SRC, DST and the length (later writes to them do not
 *   disturb a copy in progress), clears DONE, ERROR, ERR_*, COPIED and a
 *   pending completion interrupt, and sets BUSY.  The copy then moves in
 *   chunks of 4 KiB (the last one shorter), in address order: each chunk
 *   is read from the source into the internal buffer and written to the
 *   destination, and takes 1 us of the host's virtual clock (4 GB/s): a
 *   copy of n bytes ends ceil(n / 4096) us after START (16 MiB: 4.096 ms).
 *   DONE polling therefore sees the copy run; COPIED shows its progress.
 *   Overlapping ranges give the result of this forward, chunk-wise copy.
 *   When it ends: BUSY clears, DONE sets (with ERROR on failure) and, with
 *   IRQ_EN, the interrupt is raised: one MSI message if MSI is enabled,
 *   else INTx, held until IRQ_ACK, the next START, a CTRL write that
 *   leaves IRQ_EN clear, or a reset.
 *   START while BUSY is ignored and counted in IGNORED.
 *
 * Error behaviour
 *   ERR_LENGTH (1)  length 0, or above max-size: ends at once (at the START
 *                   write) with DONE|ERROR; nothing is read or written.
 *   ERR_MASTER (2)  COMMAND.MASTER was off when a chunk ran: it stops there.
 *   ERR_READ   (3)  the source faulted: the copy stops at the first faulting
 *                   4 KiB page of the source.
 *   ERR_WRITE  (4)  the destination faulted: it stops at the first faulting
 *                   4 KiB page of the destination.
 *   ERR_NO_IOMMU (5) iommu-required=on and the host says no IOMMU
 *                   translates the engine's DMA (or cannot say): ends at
 *                   once with DONE|ERROR; nothing is read or written.
 *   A copy that stops does so exactly at the fault: the destination holds
 *   the first COPIED bytes of the source (a chunk that faulted on its read
 *   still delivers the bytes before the fault); no destination byte at or
 *   after that point, and none outside [DST, DST + length), is touched.
 *   DONE|ERROR are set and the interrupt follows IRQ_EN as for a success.
 *   The host (e.g. the mock host's IOMMU) records the fault itself.
 *
 * Reset and save/restore
 *   A reset (conventional or FLR through the core) returns every register
 *   to 0 and drops a copy in progress and the interrupt.  Save/restore
 *   carries the registers, the latched copy and its timer, so a copy
 *   resumes where it was.
 *
 * Properties
 *   type     (string, "rciep") PCI Express Device/Port type: "rciep" (Root
 *            Complex Integrated Endpoint, the function on a root bus, as in
 *            the article) or "endpoint" (behind a root or switch port).  A
 *            model cannot see where it is plugged, so the user says it.
 *   max-size (u32, 64M) the longest copy accepted, 1..0xFFFFFFFF bytes.
 *   iommu-required (bool, off) copy only behind an IOMMU: the engine asks
 *            the host (vpci_dma_translated()) at every START and refuses
 *            with ERR_NO_IOMMU when its DMA would reach memory untranslated.
 */
#ifndef VPCI_MODELS_DMA_ENGINE_H
#define VPCI_MODELS_DMA_ENGINE_H

#ifdef __cplusplus
extern "C" {
#endif

/* Register offsets, relative to DMA_ENGINE_REGS in BAR0. */
enum vpci_dma_engine_reg {
    DMA_ENGINE_SRC = 0x00,
    DMA_ENGINE_DST = 0x08,
    DMA_ENGINE_SIZE = 0x10,
    DMA_ENGINE_CTRL = 0x18,
    DMA_ENGINE_ERR_CODE = 0x20,
    DMA_ENGINE_ERR_ADDR = 0x28,
    DMA_ENGINE_COPIED = 0x30,
    DMA_ENGINE_IGNORED = 0x38,
};

#define DMA_ENGINE_REGS 0x1000u            /* register block in BAR0 */
#define DMA_ENGINE_REGS_SIZE 0x40u
#define DMA_ENGINE_BAR_SIZE 0x4000u

#define DMA_ENGINE_SIZE_SHIFT 32           /* SIZE: length in bits 63:32 */
#define DMA_ENGINE_CTRL_START 0x1ull
#define DMA_ENGINE_CTRL_IRQ_EN 0x2ull
#define DMA_ENGINE_CTRL_IRQ_ACK 0x4ull
#define DMA_ENGINE_CTRL_DONE (1ull << 32)
#define DMA_ENGINE_CTRL_ERROR (1ull << 33)
#define DMA_ENGINE_CTRL_BUSY (1ull << 34)

/* ERR_CODE bits 7:0 */
#define DMA_ENGINE_ERR_NONE 0u
#define DMA_ENGINE_ERR_LENGTH 1u
#define DMA_ENGINE_ERR_MASTER 2u
#define DMA_ENGINE_ERR_READ 3u
#define DMA_ENGINE_ERR_WRITE 4u
#define DMA_ENGINE_ERR_NO_IOMMU 5u
#define DMA_ENGINE_ERR_ERRNO_SHIFT 8       /* bits 15:8: host errno */

#define DMA_ENGINE_CHUNK 4096u             /* internal buffer */
#define DMA_ENGINE_CHUNK_NS 1000u          /* virtual time per chunk */
#define DMA_ENGINE_MSI_CAP 0x40u
#define DMA_ENGINE_PCIE_CAP 0xc0u

#ifdef __cplusplus
}
#endif
#endif /* VPCI_MODELS_DMA_ENGINE_H */
