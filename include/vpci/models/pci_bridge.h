/* SPDX-License-Identifier: MIT */
/*
 * "pci-bridge": a PCI-to-PCI bridge (type 1 header, PCI-to-PCI Bridge
 * Architecture 1.2), so that enumeration through bridges is real.
 *
 * Identity (QEMU's pci-bridge where that is honest)
 *   1b36:0001 (Red Hat, QEMU's "pci-bridge"), revision 0, class 0x060400
 *   (PCI-to-PCI bridge, normal decode), conventional PCI (256 bytes),
 *   interrupt pin INTA like QEMU's default pci-bridge.  QEMU wires that pin
 *   to its SHPC hot-plug controller; this bridge has no interrupt source of
 *   its own and never asserts it.  No BARs (QEMU's BAR0 is the SHPC's).
 *
 * Capabilities
 *   None by default.  QEMU's pci-bridge carries an SHPC capability, MSI
 *   (for the SHPC: "MSI is not applicable without SHPC") and a Slot
 *   Identification capability; this model has no SHPC, so no SHPC and no
 *   MSI.  With chassis_nr set it adds the Slot ID capability as QEMU does
 *   (slotid_cap_init with 0 slots): at 0x40, Expansion Slot = First In
 *   Chassis, 0 slots; Chassis Number read/write, reset to the property
 *   (QEMU keeps a guest-written chassis number across reset).
 *
 * The type 1 header is libvpci's (libvpci/config.c): bus numbers and
 * secondary latency timer read/write; IO window with 32-bit decode, memory
 * window, 64-bit prefetchable window (low nibbles read-only type bits);
 * Bridge Control: Parity, SERR, ISA, VGA, VGA 16-bit, Master Abort Mode,
 * Secondary Bus Reset writable; STATUS and Secondary Status W1C.
 * (QEMU's bridge decodes 16-bit IO and also sets the 66 MHz / fast
 * back-to-back status bits; this one does not claim them.)
 *
 * Forwarding is the host's job: it reads the bus numbers and windows (the
 * effects VPCI_FX_BRIDGE_BUSES and VPCI_FX_BRIDGE_WINDOWS tell it when they
 * change) and routes config cycles, memory and IO accordingly.  Setting
 * Bridge Control's Secondary Bus Reset reports VPCI_FX_BRIDGE_SEC_RESET
 * (on, then off when cleared): the host resets the functions behind the
 * bridge; the bridge itself keeps its state.  A reset of the bridge
 * restores its whole header (bus numbers and windows to 0).
 *
 * Properties
 *   chassis_nr (u32, 0..255, default 0): 0 = no Slot ID capability; 1..255
 *   adds it with that chassis number.  QEMU requires a non-zero chassis_nr
 *   for pci-bridge, so QEMU-style spec strings carry it; here it is
 *   optional.
 *   No "express" property: a PCI Express bridge is a root or switch port
 *   with link, slot and hot-plug registers, not a flag on this model.
 */
#ifndef VPCI_MODELS_PCI_BRIDGE_H
#define VPCI_MODELS_PCI_BRIDGE_H

#define PCI_BRIDGE_VENDOR_ID 0x1b36
#define PCI_BRIDGE_DEVICE_ID 0x0001
#define PCI_BRIDGE_CLASS 0x060400u

#endif /* VPCI_MODELS_PCI_BRIDGE_H */
