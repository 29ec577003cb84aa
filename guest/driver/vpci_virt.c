// SPDX-License-Identifier: GPL-2.0
/*
 * vpci_virt.c - Linux driver for libvpci's virt-pci (PCI 1234:0001)
 *
 * The PCIExp experiment's device (shared/specs/virt-pci.md): a register
 * file in BAR0, a DMA "multiply" engine (MUL2, MUL4) and three interrupt
 * sources.  This is the original driver's interface, made right:
 *
 *  - one character device /dev/vpciN per bound device (class "vpci",
 *    dynamic major), any number of devices up to VPCI_VIRT_MAX_DEVS;
 *  - the original ioctl numbers with a fixed-layout argument
 *    (vpci_virt_uapi.h), and real error returns (EINVAL, EFAULT,
 *    ETIMEDOUT, EIO with the device's ERROR_CODE, ENODEV);
 *  - a hard interrupt handler that acknowledges INT_STATUS and completes
 *    the waiting ioctl (no tasklet); MSI-X or MSI when the device offers
 *    it, else shared INTx;
 *  - MUL2 through one coherent buffer (source = destination), MUL4 through
 *    two streaming mappings (dma_map_single), 32-bit DMA mask;
 *  - managed resources (pcim_, devm_, dmam_) and a remove that leaves open
 *    files safe: they get ENODEV.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/xarray.h>

#include "vpci_virt_uapi.h"

#define DRV_NAME		"vpci_virt"
#define VPCI_VIRT_MAX_DEVS	64
#define VPCI_VIRT_BUF_SIZE	(VPCI_VIRT_MAX_WORDS * 4)

/* CTRL commands */
#define CTRL_MUL2		0x1
#define CTRL_MUL4		0x2
#define CTRL_RESET		0x4
#define CTRL_DOINT		0x8

static unsigned int timeout_ms = 2000;
module_param(timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms, "ioctl wait for the interrupt, ms (default 2000)");

static bool test_hooks;
module_param(test_hooks, bool, 0644);
MODULE_PARM_DESC(test_hooks, "allow the VPCI_VIRT_MUL_* test flags");

struct vpci_virt {
	struct kref ref;		/* probe's + one per open file */
	struct pci_dev *pdev;
	void __iomem *mmio;		/* BAR0 */
	resource_size_t mmio_len;
	int minor;
	struct cdev *cdev;
	struct device *chrdev;

	struct mutex lock;		/* one command at a time; gone */
	bool gone;			/* removed: ioctls fail with ENODEV */

	spinlock_t irq_lock;		/* status */
	u32 status;			/* INT_STATUS bits acknowledged by the ISR */
	struct completion done;		/* completed by every interrupt */
	unsigned long irq_count;
	int irq;

	void *coh;			/* MUL2: coherent source/destination */
	dma_addr_t coh_dma;
	dma_addr_t last_src, last_dst;	/* of the last job, for sysfs */
};

static dev_t vpci_virt_devt;
static DEFINE_XARRAY_ALLOC(vpci_virt_devs);	/* minor -> struct vpci_virt */
static struct class *vpci_virt_class;

static void vpci_virt_free(struct kref *ref)
{
	kfree(container_of(ref, struct vpci_virt, ref));
}

static void vpci_virt_put(void *data)
{
	struct vpci_virt *v = data;

	kref_put(&v->ref, vpci_virt_free);
}

static u32 vpci_virt_read(struct vpci_virt *v, u32 off)
{
	return ioread32(v->mmio + off);
}

static void vpci_virt_write(struct vpci_virt *v, u32 off, u32 val)
{
	iowrite32(val, v->mmio + off);
}

/*
 * The interrupt: read INT_STATUS, acknowledge what is pending (ERROR
 * included) through INT_CLEAR, record it and wake the waiting ioctl.
 * With shared INTx a status of 0 means the interrupt was someone else's.
 */
static irqreturn_t vpci_virt_irq(int irq, void *data)
{
	struct vpci_virt *v = data;
	u32 st = vpci_virt_read(v, VPCI_VIRT_REG_INT_STATUS);

	if (!st || st == ~0u)
		return IRQ_NONE;
	vpci_virt_write(v, VPCI_VIRT_REG_INT_CLEAR, st);
	spin_lock(&v->irq_lock);
	v->status |= st;
	v->irq_count++;
	spin_unlock(&v->irq_lock);
	complete(&v->done);
	return IRQ_HANDLED;
}

/* Forget earlier interrupts before a command that will raise one. */
static void vpci_virt_arm(struct vpci_virt *v)
{
	spin_lock_irq(&v->irq_lock);
	v->status = 0;
	reinit_completion(&v->done);
	spin_unlock_irq(&v->irq_lock);
}

/*
 * Wait until an interrupt reported one of @want.  Returns 0 with the
 * acknowledged INT_STATUS bits in *@status, -ETIMEDOUT, or -ERESTARTSYS.
 */
static int vpci_virt_wait(struct vpci_virt *v, u32 want, u32 *status)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);
	long left;
	u32 st;

	for (;;) {
		spin_lock_irq(&v->irq_lock);
		st = v->status;
		if (st & want) {
			v->status = 0;
			reinit_completion(&v->done);
		}
		spin_unlock_irq(&v->irq_lock);
		*status = st;
		if (st & want)
			return 0;
		left = (long)(deadline - jiffies);
		if (left <= 0)
			return -ETIMEDOUT;
		left = wait_for_completion_interruptible_timeout(&v->done, left);
		if (left < 0)
			return left;
		if (!left) {
			/* one last look: the interrupt may have raced the timeout */
			spin_lock_irq(&v->irq_lock);
			st = v->status;
			spin_unlock_irq(&v->irq_lock);
			*status = st;
			return (st & want) ? 0 : -ETIMEDOUT;
		}
	}
}

/*
 * Stop whatever the device is doing (soft reset: registers back to their
 * reset values, interrupt deasserted) so that buffers can be released.
 */
static void vpci_virt_quiesce(struct vpci_virt *v)
{
	vpci_virt_write(v, VPCI_VIRT_REG_CTRL, CTRL_RESET);
	vpci_virt_arm(v);
}

/* Program a job, kick it and wait for its done bit. */
static int vpci_virt_run(struct vpci_virt *v, u32 cmd, u32 done_bit,
			 dma_addr_t src, dma_addr_t dst, u32 size,
			 struct vpci_virt_ioc *p)
{
	u32 st = 0;
	int rc;

	/* test hooks (test_hooks=1): addresses no IOMMU mapping covers */
	if (p->flags & VPCI_VIRT_MUL_FAULT_SRC)
		src = VPCI_VIRT_FAULT_ADDR;
	if (p->flags & VPCI_VIRT_MUL_FAULT_DST)
		dst = VPCI_VIRT_FAULT_ADDR;
	v->last_src = src;
	v->last_dst = dst;
	vpci_virt_write(v, VPCI_VIRT_REG_DMA_SRC, lower_32_bits(src));
	vpci_virt_write(v, VPCI_VIRT_REG_DMA_DST, lower_32_bits(dst));
	vpci_virt_write(v, VPCI_VIRT_REG_DMA_SIZE, size);
	vpci_virt_arm(v);
	if (p->flags & VPCI_VIRT_MUL_NO_MASTER) {
		/* the job runs without bus mastering; an MSI it raises is
		 * held by the device until mastering is back */
		pci_clear_master(v->pdev);
		vpci_virt_write(v, VPCI_VIRT_REG_CTRL, cmd);
		pci_set_master(v->pdev);
	} else {
		vpci_virt_write(v, VPCI_VIRT_REG_CTRL, cmd);
	}
	rc = vpci_virt_wait(v, done_bit, &st);
	p->status = st;
	if (rc) {
		dev_warn(&v->pdev->dev, "command 0x%x: %s (INT_STATUS 0x%x)\n",
			 cmd, rc == -ETIMEDOUT ? "timed out" : "interrupted",
			 vpci_virt_read(v, VPCI_VIRT_REG_INT_STATUS));
		vpci_virt_quiesce(v);
		return rc;
	}
	if (st & VPCI_VIRT_INT_ERROR) {
		p->error = vpci_virt_read(v, VPCI_VIRT_REG_ERROR_CODE);
		p->error_addr = vpci_virt_read(v, VPCI_VIRT_REG_ERROR_ADDR);
		dev_dbg(&v->pdev->dev, "command 0x%x: device error %u\n",
			cmd, p->error);
		return -EIO;
	}
	return 0;
}

/* Is the device's DMA translated by an IOMMU (a paging domain)? */
static bool vpci_virt_translated(struct device *dev)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);

	return dom && (dom->type & __IOMMU_DOMAIN_PAGING);
}

/* KICK_MUL2 / KICK_MUL4 */
static int vpci_virt_mul(struct vpci_virt *v, struct vpci_virt_ioc *p,
			 bool mul4)
{
	struct device *dev = &v->pdev->dev;
	void __user *in = u64_to_user_ptr(p->in);
	void __user *out = u64_to_user_ptr(p->out);
	void *ibuf = NULL, *obuf = NULL;
	dma_addr_t src, dst;
	size_t bytes;
	u32 size;
	int rc;

	if (p->flags & ~VPCI_VIRT_MUL_TEST_FLAGS || p->reserved)
		return -EINVAL;
	if (p->flags && !test_hooks)
		return -EPERM;
	if ((p->flags & (VPCI_VIRT_MUL_FAULT_SRC | VPCI_VIRT_MUL_FAULT_DST)) &&
	    !vpci_virt_translated(dev))
		return -EOPNOTSUPP;	/* 0x1000 would be real memory */
	if (p->flags & VPCI_VIRT_MUL_DEVICE_SIZE) {
		if (!p->count || p->count > U32_MAX / 4)
			return -EINVAL;
	} else if (!p->count || p->count > VPCI_VIRT_MAX_WORDS) {
		return -EINVAL;
	}
	size = p->count * 4;
	bytes = min_t(size_t, size, VPCI_VIRT_BUF_SIZE);

	if (!mul4) {
		/* the original's scheme: one coherent buffer, in place */
		if (copy_from_user(v->coh, in, bytes))
			return -EFAULT;
		rc = vpci_virt_run(v, CTRL_MUL2, VPCI_VIRT_INT_MUL2,
				   v->coh_dma, v->coh_dma, size, p);
		if (!rc && copy_to_user(out, v->coh, bytes))
			rc = -EFAULT;
		return rc;
	}

	/* MUL4: two streaming buffers */
	ibuf = kmalloc(bytes, GFP_KERNEL);
	obuf = kmalloc(bytes, GFP_KERNEL);
	rc = -ENOMEM;
	if (!ibuf || !obuf)
		goto out_free;
	rc = -EFAULT;
	if (copy_from_user(ibuf, in, bytes))
		goto out_free;
	rc = -ENOMEM;
	src = dma_map_single(dev, ibuf, bytes, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, src))
		goto out_free;
	dst = dma_map_single(dev, obuf, bytes, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, dst))
		goto out_unmap_src;
	rc = vpci_virt_run(v, CTRL_MUL4, VPCI_VIRT_INT_MUL4, src, dst, size, p);
	dma_unmap_single(dev, dst, bytes, DMA_FROM_DEVICE);
out_unmap_src:
	dma_unmap_single(dev, src, bytes, DMA_TO_DEVICE);
	if (!rc && copy_to_user(out, obuf, bytes))
		rc = -EFAULT;
out_free:
	kfree(obuf);
	kfree(ibuf);
	return rc;
}

static int vpci_virt_check_reg(struct vpci_virt *v, u32 off)
{
	if (off % 4 || off > v->mmio_len - 4)
		return -EINVAL;
	return 0;
}

static long vpci_virt_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct vpci_virt *v = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct vpci_virt_ioc p = { 0 };
	u32 st;
	int rc;

	switch (cmd) {
	case VPCI_IOC_KICK_MUL2:
	case VPCI_IOC_KICK_MUL4:
	case VPCI_IOC_WRITE_REG:
	case VPCI_IOC_READ_REG:
		if (copy_from_user(&p, uarg, sizeof(p)))
			return -EFAULT;
		p.status = 0;
		p.error = 0;
		p.error_addr = 0;
		break;
	case VPCI_IOC_GET_VERSION:
	case VPCI_IOC_RESET:
	case VPCI_IOC_DOINT:
		break;
	default:
		return -ENOTTY;
	}

	if (mutex_lock_interruptible(&v->lock))
		return -ERESTARTSYS;
	if (v->gone) {
		rc = -ENODEV;
		goto out_unlock;
	}

	switch (cmd) {
	case VPCI_IOC_GET_VERSION:
		p.value = vpci_virt_read(v, VPCI_VIRT_REG_VERSION);
		rc = 0;
		break;
	case VPCI_IOC_WRITE_REG:
		rc = vpci_virt_check_reg(v, p.offset);
		if (!rc)
			vpci_virt_write(v, p.offset, p.value);
		break;
	case VPCI_IOC_READ_REG:
		rc = vpci_virt_check_reg(v, p.offset);
		if (!rc)
			p.value = vpci_virt_read(v, p.offset);
		break;
	case VPCI_IOC_RESET:
		vpci_virt_quiesce(v);
		rc = 0;
		break;
	case VPCI_IOC_DOINT:
		vpci_virt_arm(v);
		vpci_virt_write(v, VPCI_VIRT_REG_CTRL, CTRL_DOINT);
		rc = vpci_virt_wait(v, VPCI_VIRT_INT_DOINT, &st);
		if (rc)
			vpci_virt_quiesce(v);
		break;
	case VPCI_IOC_KICK_MUL2:
		rc = vpci_virt_mul(v, &p, false);
		break;
	case VPCI_IOC_KICK_MUL4:
		rc = vpci_virt_mul(v, &p, true);
		break;
	default:
		rc = -ENOTTY;
		break;
	}

out_unlock:
	mutex_unlock(&v->lock);
	/* _IOR / _IOWR commands report back, also when the device said EIO */
	if ((_IOC_DIR(cmd) & _IOC_READ) && (!rc || rc == -EIO) &&
	    copy_to_user(uarg, &p, sizeof(p)))
		rc = -EFAULT;
	return rc;
}

static int vpci_virt_open(struct inode *inode, struct file *file)
{
	struct vpci_virt *v;

	xa_lock(&vpci_virt_devs);
	v = xa_load(&vpci_virt_devs, iminor(inode));
	if (v)
		kref_get(&v->ref);
	xa_unlock(&vpci_virt_devs);
	if (!v)
		return -ENODEV;
	file->private_data = v;
	return nonseekable_open(inode, file);
}

static int vpci_virt_release(struct inode *inode, struct file *file)
{
	vpci_virt_put(file->private_data);
	return 0;
}

static const struct file_operations vpci_virt_fops = {
	.owner		= THIS_MODULE,
	.open		= vpci_virt_open,
	.release	= vpci_virt_release,
	.unlocked_ioctl	= vpci_virt_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/* /sys/class/vpci/vpciN/{irq_mode,irq_count} */
static ssize_t irq_mode_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct vpci_virt *v = dev_get_drvdata(d);
	const char *mode = "intx";

	if (v->pdev->msix_enabled)
		mode = "msix";
	else if (v->pdev->msi_enabled)
		mode = "msi";
	return sysfs_emit(buf, "%s\n", mode);
}
static DEVICE_ATTR_RO(irq_mode);

static ssize_t irq_count_show(struct device *d, struct device_attribute *attr,
			      char *buf)
{
	struct vpci_virt *v = dev_get_drvdata(d);
	unsigned long n;

	spin_lock_irq(&v->irq_lock);
	n = v->irq_count;
	spin_unlock_irq(&v->irq_lock);
	return sysfs_emit(buf, "%lu\n", n);
}
static DEVICE_ATTR_RO(irq_count);

/* the bus addresses the last MUL job gave the device (IOVAs behind an IOMMU) */
static ssize_t dma_last_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct vpci_virt *v = dev_get_drvdata(d);
	dma_addr_t src, dst;

	mutex_lock(&v->lock);
	src = v->last_src;
	dst = v->last_dst;
	mutex_unlock(&v->lock);
	return sysfs_emit(buf, "src %pad dst %pad\n", &src, &dst);
}
static DEVICE_ATTR_RO(dma_last);

static struct attribute *vpci_virt_attrs[] = {
	&dev_attr_irq_mode.attr,
	&dev_attr_irq_count.attr,
	&dev_attr_dma_last.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vpci_virt);

static int vpci_virt_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct vpci_virt *v;
	u32 minor, version;
	unsigned long irqflags = 0;
	int rc;

	v = kzalloc(sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	kref_init(&v->ref);
	mutex_init(&v->lock);
	spin_lock_init(&v->irq_lock);
	init_completion(&v->done);
	v->pdev = pdev;
	/* the probe's reference, dropped after every other managed resource */
	rc = devm_add_action_or_reset(dev, vpci_virt_put, v);
	if (rc)
		return rc;

	rc = pcim_enable_device(pdev);
	if (rc)
		return rc;
	if (!(pci_resource_flags(pdev, 0) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, 0) < 0x100) {
		dev_err(dev, "BAR0 is not a memory BAR of at least 256 bytes\n");
		return -ENODEV;
	}
	rc = pcim_iomap_regions(pdev, BIT(0), DRV_NAME);
	if (rc)
		return rc;
	v->mmio = pcim_iomap_table(pdev)[0];
	v->mmio_len = pci_resource_len(pdev, 0);

	rc = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
	if (rc) {
		dev_err(dev, "no usable 32-bit DMA\n");
		return rc;
	}
	v->coh = dmam_alloc_coherent(dev, VPCI_VIRT_BUF_SIZE, &v->coh_dma,
				     GFP_KERNEL);
	if (!v->coh)
		return -ENOMEM;
	pci_set_master(pdev);

	version = vpci_virt_read(v, VPCI_VIRT_REG_VERSION);
	if (version != VPCI_VIRT_VERSION)
		dev_warn(dev, "unexpected VERSION 0x%08x\n", version);
	vpci_virt_quiesce(v);

	rc = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_ALL_TYPES);
	if (rc < 0)
		return rc;
	v->irq = pci_irq_vector(pdev, 0);
	if (!pdev->msi_enabled && !pdev->msix_enabled)
		irqflags = IRQF_SHARED;
	rc = devm_request_irq(dev, v->irq, vpci_virt_irq, irqflags, DRV_NAME, v);
	if (rc)
		return rc;

	rc = xa_alloc(&vpci_virt_devs, &minor, v,
		      XA_LIMIT(0, VPCI_VIRT_MAX_DEVS - 1), GFP_KERNEL);
	if (rc)
		return rc;
	v->minor = minor;

	rc = -ENOMEM;
	v->cdev = cdev_alloc();
	if (!v->cdev)
		goto err_xa;
	v->cdev->owner = THIS_MODULE;
	v->cdev->ops = &vpci_virt_fops;
	rc = cdev_add(v->cdev, MKDEV(MAJOR(vpci_virt_devt), minor), 1);
	if (rc) {
		kobject_put(&v->cdev->kobj);
		goto err_xa;
	}
	v->chrdev = device_create(vpci_virt_class, dev,
				  MKDEV(MAJOR(vpci_virt_devt), minor), v,
				  "vpci%u", minor);
	if (IS_ERR(v->chrdev)) {
		rc = PTR_ERR(v->chrdev);
		goto err_cdev;
	}
	pci_set_drvdata(pdev, v);
	dev_info(dev, "/dev/vpci%u: VERSION 0x%08x, irq %d (%s), DMA mask 32 bits\n",
		 minor, version, v->irq,
		 pdev->msix_enabled ? "MSI-X" : pdev->msi_enabled ? "MSI" : "INTx");
	return 0;

err_cdev:
	cdev_del(v->cdev);
err_xa:
	xa_erase(&vpci_virt_devs, minor);
	return rc;
}

static void vpci_virt_remove(struct pci_dev *pdev)
{
	struct vpci_virt *v = pci_get_drvdata(pdev);

	xa_erase(&vpci_virt_devs, v->minor);	/* no new opens */
	device_destroy(vpci_virt_class,
		       MKDEV(MAJOR(vpci_virt_devt), v->minor));
	cdev_del(v->cdev);
	mutex_lock(&v->lock);			/* waits for a running ioctl */
	v->gone = true;
	vpci_virt_quiesce(v);
	mutex_unlock(&v->lock);
	/*
	 * devm/pcim now free the IRQ, the vectors, the coherent buffer and
	 * BAR0's mapping, disable the device and drop the probe's reference;
	 * an open file keeps struct vpci_virt until it is closed.
	 */
}

static const struct pci_device_id vpci_virt_ids[] = {
	{ PCI_DEVICE(0x1234, 0x0001) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vpci_virt_ids);

static struct pci_driver vpci_virt_driver = {
	.name		= DRV_NAME,
	.id_table	= vpci_virt_ids,
	.probe		= vpci_virt_probe,
	.remove		= vpci_virt_remove,
};

static int __init vpci_virt_init(void)
{
	int rc;

	rc = alloc_chrdev_region(&vpci_virt_devt, 0, VPCI_VIRT_MAX_DEVS, "vpci");
	if (rc)
		return rc;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	vpci_virt_class = class_create("vpci");
#else
	vpci_virt_class = class_create(THIS_MODULE, "vpci");
#endif
	if (IS_ERR(vpci_virt_class)) {
		rc = PTR_ERR(vpci_virt_class);
		goto err_region;
	}
	vpci_virt_class->dev_groups = vpci_virt_groups;
	rc = pci_register_driver(&vpci_virt_driver);
	if (rc)
		goto err_class;
	return 0;

err_class:
	class_destroy(vpci_virt_class);
err_region:
	unregister_chrdev_region(vpci_virt_devt, VPCI_VIRT_MAX_DEVS);
	return rc;
}

static void __exit vpci_virt_exit(void)
{
	pci_unregister_driver(&vpci_virt_driver);
	class_destroy(vpci_virt_class);
	unregister_chrdev_region(vpci_virt_devt, VPCI_VIRT_MAX_DEVS);
}

module_init(vpci_virt_init);
module_exit(vpci_virt_exit);

MODULE_DESCRIPTION("Driver for libvpci's virt-pci (PCIExp) device");
MODULE_LICENSE("GPL");
