/* SPDX-License-Identifier: MIT */
/* libvpci: a pure-userspace PCI device model library.  One include. */
#ifndef VPCI_VPCI_H
#define VPCI_VPCI_H

#include <vpci/bar.h>
#include <vpci/cap.h>
#include <vpci/config.h>
#include <vpci/dev.h>
#include <vpci/dma.h>
#include <vpci/host.h>
#include <vpci/irq.h>
#include <vpci/model.h>
#include <vpci/regfile.h>
#include <vpci/timer.h>
#include <vpci/util.h>

#define VPCI_VERSION_MAJOR 0
#define VPCI_VERSION_MINOR 1
#define VPCI_VERSION_PATCH 0

#endif /* VPCI_VPCI_H */
