/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vpci_virt_uapi.h - user-space interface of vpci_virt.ko, the Linux driver
 * for libvpci's virt-pci (PCI 1234:0001, the PCIExp experiment's device).
 *
 * The out fields are written back by the commands whose direction includes
 * _IOC_READ (GET_VERSION, KICK_MUL2/4, READ_REG), on success and on EIO.
 *
 * Shared by the driver (guest/driver/vpci_virt.c) and the sample app
 * (guest/app/vpci-app.c).  Every bound device is a character device
 * /dev/vpciN (class "vpci", dynamic major, N = 0, 1, ... in probe order).
 *
 * The ioctl numbers are the original driver's (type 'V', same numbers and
 * directions); the argument is one fixed-layout struct for every command,
 * with 64-bit user pointers, so a 32-bit program sees the same layout.
 * Unlike the original, every ioctl returns a real error:
 *
 *   EINVAL     bad register offset (not 4-aligned, or not inside BAR0's
 *              512 bytes), MUL count 0 or above VPCI_VIRT_MAX_WORDS,
 *              unknown flags, reserved not 0
 *   EFAULT     the argument, in or out pointer is not accessible
 *   ETIMEDOUT  the device did not report completion in time (for example
 *              because INT_MASK was cleared with WRITE_REG)
 *   EIO        the device completed the job with INT_STATUS.ERROR set;
 *              .error and .error_addr hold its ERROR_CODE
 *              (VPCI_VIRT_ERR_*) and ERROR_ADDR
 *   EPERM      a VPCI_VIRT_MUL_* test flag without the module's test_hooks=1
 *   EOPNOTSUPP VPCI_VIRT_MUL_FAULT_* without a translating IOMMU
 *   ENODEV     the device was removed while the file was open
 *   EINTR      a signal arrived while waiting (unless the call restarts)
 *   ENOTTY     unknown command (or a command with another argument size)
 */
#ifndef _UAPI_VPCI_VIRT_H
#define _UAPI_VPCI_VIRT_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Registers (BAR0 offsets), as the original header shared them. */
#define VPCI_VIRT_REG_VERSION		0x00
#define VPCI_VIRT_REG_CTRL		0x04
#define VPCI_VIRT_REG_INT_STATUS	0x08
#define VPCI_VIRT_REG_INT_MASK		0x0c
#define VPCI_VIRT_REG_DMA_SRC		0x10
#define VPCI_VIRT_REG_DMA_DST		0x14
#define VPCI_VIRT_REG_DMA_SIZE		0x18
#define VPCI_VIRT_REG_INT_CLEAR		0x1c
#define VPCI_VIRT_REG_SCRATCH		0x20	/* .. 0xfc */
#define VPCI_VIRT_REG_LAST		0xfc	/* READ_REG/WRITE_REG limit */
#define VPCI_VIRT_REG_ERROR_CODE	0x100	/* libvpci extension, RO */
#define VPCI_VIRT_REG_ERROR_ADDR	0x104	/* libvpci extension, RO */

#define VPCI_VIRT_VERSION		0x12345678u
#define VPCI_VIRT_WO_READ		0xbeefbeefu	/* CTRL, INT_CLEAR read */

/* INT_STATUS bits */
#define VPCI_VIRT_INT_MUL2		0x01u
#define VPCI_VIRT_INT_MUL4		0x02u
#define VPCI_VIRT_INT_DOINT		0x08u
#define VPCI_VIRT_INT_ERROR		0x10u

/* ERROR_CODE values, reported in vpci_virt_ioc.error with EIO */
#define VPCI_VIRT_ERR_NONE		0
#define VPCI_VIRT_ERR_SIZE		1	/* DMA_SIZE > 4096 */
#define VPCI_VIRT_ERR_ALIGN		2	/* DMA_SIZE % 4 != 0 */
#define VPCI_VIRT_ERR_MASTER		3	/* bus master off */
#define VPCI_VIRT_ERR_SRC		4	/* source read faulted */
#define VPCI_VIRT_ERR_DST		5	/* destination write faulted */

/* The device's internal buffer: at most 4096 bytes per job. */
#define VPCI_VIRT_MAX_WORDS		1024

/* vpci_virt_ioc.flags for KICK_MUL2 / KICK_MUL4 */
/*
 * Test hook: program DMA_SIZE = count * 4 even when count exceeds
 * VPCI_VIRT_MAX_WORDS, so the device's own check (ERROR, ERR_SIZE) is
 * exercised; the driver still transfers at most VPCI_VIRT_MAX_WORDS words.
 * Needs the module parameter test_hooks=1, else EPERM.
 */
#define VPCI_VIRT_MUL_DEVICE_SIZE	0x1u
/*
 * Test hook: program DMA_SRC = VPCI_VIRT_FAULT_ADDR instead of the input
 * buffer's address.  Behind an IOMMU that bus address is not mapped, so
 * the device's read faults (ERROR, ERR_SRC) and nothing is written.
 * Without a translating IOMMU (where 0x1000 is memory) the FAULT flags
 * fail with EOPNOTSUPP.
 */
#define VPCI_VIRT_MUL_FAULT_SRC		0x2u
/* Test hook: DMA_DST = VPCI_VIRT_FAULT_ADDR (behind an IOMMU: ERR_DST). */
#define VPCI_VIRT_MUL_FAULT_DST		0x4u
/*
 * Test hook: clear the function's Bus Master Enable while the job is kicked
 * and set it again right after: the device refuses the DMA (ERROR,
 * ERR_MASTER) and holds an MSI it raises until mastering is back.
 */
#define VPCI_VIRT_MUL_NO_MASTER		0x8u
#define VPCI_VIRT_MUL_TEST_FLAGS	(VPCI_VIRT_MUL_DEVICE_SIZE | \
					 VPCI_VIRT_MUL_FAULT_SRC | \
					 VPCI_VIRT_MUL_FAULT_DST | \
					 VPCI_VIRT_MUL_NO_MASTER)
#define VPCI_VIRT_FAULT_ADDR		0x1000u

struct vpci_virt_ioc {
	__u32 offset;	/* READ_REG, WRITE_REG: register offset in BAR0 */
	__u32 value;	/* GET_VERSION, READ_REG: out; WRITE_REG: in */
	__u64 in;	/* KICK_MUL2/4: user address of count input words */
	__u64 out;	/* KICK_MUL2/4: user address of count output words */
	__u32 count;	/* KICK_MUL2/4: number of 32-bit words */
	__u32 flags;	/* KICK_MUL2/4: VPCI_VIRT_MUL_*; others: 0 */
	__u32 status;	/* out: INT_STATUS bits the command's interrupt reported */
	__u32 error;	/* out: ERROR_CODE when the command fails with EIO */
	__u32 error_addr; /* out: ERROR_ADDR when the command fails with EIO */
	__u32 reserved;	/* 0 */
};

#define VPCI_IOC_TYPE		'V'
/* .value = VERSION register */
#define VPCI_IOC_GET_VERSION	_IOR(VPCI_IOC_TYPE, 1, struct vpci_virt_ioc)
/* out[i] = 2 * in[i]; one coherent DMA buffer is source and destination */
#define VPCI_IOC_KICK_MUL2	_IOWR(VPCI_IOC_TYPE, 3, struct vpci_virt_ioc)
/* out[i] = 4 * in[i]; two streaming (dma_map_single) buffers */
#define VPCI_IOC_KICK_MUL4	_IOWR(VPCI_IOC_TYPE, 4, struct vpci_virt_ioc)
/* register .offset = .value (raw: CTRL and INT_CLEAR act as on the device) */
#define VPCI_IOC_WRITE_REG	_IOW(VPCI_IOC_TYPE, 5, struct vpci_virt_ioc)
/* .value = register .offset (the original's direction: .offset is read too) */
#define VPCI_IOC_READ_REG	_IOR(VPCI_IOC_TYPE, 6, struct vpci_virt_ioc)
/* soft reset (CTRL.RESET): every register back to its reset value */
#define VPCI_IOC_RESET		_IOW(VPCI_IOC_TYPE, 7, struct vpci_virt_ioc)
/* CTRL.DOINT and wait for its interrupt */
#define VPCI_IOC_DOINT		_IOW(VPCI_IOC_TYPE, 102, struct vpci_virt_ioc)

#endif /* _UAPI_VPCI_VIRT_H */
