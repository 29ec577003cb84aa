/* SPDX-License-Identifier: MIT */
/*
 * Device models and their properties.
 *
 * A model is an ops table registered by name (bhyve's pci_devemu idea): the
 * core owns everything generic (config space, BARs, MSI/MSI-X, reset,
 * save/restore); the model's init() describes its identity, BARs,
 * capabilities and register files, and its callbacks implement behaviour.
 */
#ifndef VPCI_MODEL_H
#define VPCI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vpci_dev;
struct vpci_props;

enum vpci_prop_type {
    VPCI_PROP_BOOL,   /* on/off, true/false, yes/no, 1/0 */
    VPCI_PROP_U32,    /* decimal, 0x hex, or with a K/M/G suffix */
    VPCI_PROP_U64,
    VPCI_PROP_STRING,
};

/* One property a model accepts, e.g. { "msi", VPCI_PROP_BOOL, "off", ... }. */
struct vpci_prop_desc {
    const char *name;
    enum vpci_prop_type type;
    const char *defval;      /* text form of the default; NULL = 0 / "" */
    const char *help;
};

/* A field of the model's private struct that save/restore carries. */
struct vpci_state_field {
    const char *name;
    size_t offset;
    size_t size;
};
#define VPCI_STATE_FIELD(type, member) \
    { #member, offsetof(type, member), sizeof(((type *)0)->member) }

struct vpci_model {
    const char *name;        /* "edu", "virt-pci", ... */
    const char *desc;        /* one line for help listings */
    size_t priv_size;        /* zeroed private state, see vpci_dev_priv() */
    const struct vpci_prop_desc *props;  /* terminated by { NULL } */
    const struct vpci_state_field *state;/* terminated by { NULL } */

    /* Build the function: identity, BARs, capabilities, register files,
     * timers.  Return 0 or a negative errno (after logging why). */
    int (*init)(struct vpci_dev *dev, const struct vpci_props *props);
    /* Called on conventional reset and FLR after the core has restored its
     * own state (config space, register files, MSI-X, timers cancelled). */
    void (*reset)(struct vpci_dev *dev);
    /* Called after a state blob has been applied. */
    void (*post_load)(struct vpci_dev *dev);
    /* Release what init() allocated outside priv. */
    void (*fini)(struct vpci_dev *dev);
};

/* Look a model up by name among the built-in and registered ones. */
const struct vpci_model *vpci_model_find(const char *name);
/* Add a model to the registry; -EEXIST if the name is taken. */
int vpci_model_register(const struct vpci_model *model);
/* Iterate the registry: returns NULL past the end. */
const struct vpci_model *vpci_model_at(size_t index);

/*
 * Property lookup inside init().  Values were validated against the model's
 * descriptors when the device was created, so these cannot fail for a
 * declared name; an undeclared name is a programming error and returns the
 * zero value after logging it.
 */
bool vpci_prop_bool(const struct vpci_props *props, const char *name);
uint32_t vpci_prop_u32(const struct vpci_props *props, const char *name);
uint64_t vpci_prop_u64(const struct vpci_props *props, const char *name);
const char *vpci_prop_str(const struct vpci_props *props, const char *name);
/* true when the user gave the property rather than taking the default. */
bool vpci_prop_given(const struct vpci_props *props, const char *name);

#ifdef __cplusplus
}
#endif
#endif /* VPCI_MODEL_H */
