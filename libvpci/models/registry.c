/* SPDX-License-Identifier: MIT */
/*
 * The model registry: the models libvpci ships, plus any a program
 * registers at run time (its own models, found by the same name lookup
 * the mock host and the QEMU adapter use).
 */
#include <string.h>

#include "../internal.h"

#include <vpci/models.h>

/* Built-in models, added here as libvpci/models/ grows. */
static const struct vpci_model *const builtin_models[] = {
    &vpci_model_edu,
    &vpci_model_pci_bridge,
    &vpci_model_virt_pci,
    &vpci_model_dma_engine,
    &vpci_model_epf_test,
    NULL,
};

#define REGISTERED_MAX 64
static const struct vpci_model *registered[REGISTERED_MAX];
static size_t registered_count;

static size_t builtin_count(void)
{
    return VPCI_ARRAY_SIZE(builtin_models) - 1;
}

const struct vpci_model *vpci_model_at(size_t index)
{
    if (index < builtin_count())
        return builtin_models[index];
    index -= builtin_count();
    return index < registered_count ? registered[index] : NULL;
}

const struct vpci_model *vpci_model_find(const char *name)
{
    const struct vpci_model *m;
    for (size_t i = 0; name && (m = vpci_model_at(i)); i++)
        if (!strcmp(m->name, name))
            return m;
    return NULL;
}

int vpci_model_register(const struct vpci_model *model)
{
    if (!model || !model->name || !model->init)
        return -EINVAL;
    if (vpci_model_find(model->name))
        return -EEXIST;
    if (registered_count == REGISTERED_MAX)
        return -ENOSPC;
    registered[registered_count++] = model;
    return 0;
}
