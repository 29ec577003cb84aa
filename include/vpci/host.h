/* SPDX-License-Identifier: MIT */
/*
 * Host services: the whole contract between a libvpci device and the world
 * outside it.
 *
 * A model never touches memory, interrupt controllers or clocks directly; it
 * asks the host through this table.  The mock host implements it with guest
 * RAM, an IOMMU and a virtual clock; the QEMU adapter with pci_dma_rw(),
 * msi_send_message() and QEMU_CLOCK_VIRTUAL; a unit test with a small double.
 *
 * Every member may be NULL.  The core then behaves as a function that is
 * plugged into nothing: DMA fails with -ENODEV, interrupts change only the
 * device's own state, the clock reads 0 and timers never fire, and log
 * messages go to stderr.
 */
#ifndef VPCI_HOST_H
#define VPCI_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpci_dev;
struct vpci_timer;

enum vpci_dma_dir {
    VPCI_DMA_TO_DEVICE,   /* the device reads system memory */
    VPCI_DMA_FROM_DEVICE, /* the device writes system memory */
};

enum vpci_log_level {
    VPCI_LOG_ERROR,
    VPCI_LOG_WARN,  /* a guest did something a real device would ignore */
    VPCI_LOG_INFO,
    VPCI_LOG_TRACE, /* one line per register access when tracing is on */
};

struct vpci_host_ops {
    /*
     * Move @len bytes between @buf and bus address @addr on behalf of @dev.
     * The core never calls this with a range that crosses a 4 KiB page
     * boundary, so a host can translate once per call.  The call is all or
     * nothing: return 0 when every byte moved, or a negative errno and
     * move nothing:
     *   -EFAULT  nothing decodes the address (unmapped, IOMMU has no entry)
     *   -EACCES  an IOMMU entry exists but forbids this direction
     *   -ERANGE  the address is beyond what the host can reach
     */
    int (*dma_rw)(void *host, struct vpci_dev *dev, uint64_t addr, void *buf,
                  size_t len, enum vpci_dma_dir dir);

    /*
     * 1 when an IOMMU sits in front of the function, so its DMA addresses
     * are IOVAs that the IOMMU decodes; 0 when they reach system memory as
     * they are.  It says where the IOMMU is, not how its software set it
     * up: a pass-through context or a bypass STE still answers 1, as a
     * real device cannot tell either.  Models that need isolation ask
     * through vpci_dma_translated().
     */
    int (*dma_translated)(void *host, struct vpci_dev *dev);

    /* Drive the function's INTx pin (the one in config INTERRUPT_PIN). */
    void (*set_intx)(void *host, struct vpci_dev *dev, bool level);

    /* Deliver one MSI or MSI-X message: a dword write of @data to @addr. */
    void (*msi_send)(void *host, struct vpci_dev *dev, uint64_t addr,
                     uint32_t data);

    /* The host's clock, in nanoseconds; must never go backwards. */
    uint64_t (*clock_ns)(void *host);

    /*
     * Arm @timer to fire at absolute time @deadline_ns of clock_ns(); the
     * host calls vpci_timer_fire(timer) then.  Arming an armed timer moves
     * it.  timer_cancel() disarms; it is called for every armed timer before
     * the device is freed.
     */
    void (*timer_arm)(void *host, struct vpci_timer *timer,
                      uint64_t deadline_ns);
    void (*timer_cancel)(void *host, struct vpci_timer *timer);

    /* One formatted line (no trailing newline). */
    void (*log)(void *host, struct vpci_dev *dev, enum vpci_log_level level,
                const char *msg);
};

#ifdef __cplusplus
}
#endif
#endif /* VPCI_HOST_H */
