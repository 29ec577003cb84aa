/* SPDX-License-Identifier: MIT */
/*
 * A function's life: creation from a model, identity, reset, logging.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>


void vpci_logv(const struct vpci_dev *dev, enum vpci_log_level level,
               const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (dev && dev->ops && dev->ops->log) {
        dev->ops->log(dev->host, (struct vpci_dev *)dev, level, msg);
        return;
    }
    /* Unplugged functions report problems, but keep traces quiet. */
    if (level <= VPCI_LOG_WARN)
        fprintf(stderr, "vpci: %s: %s\n", dev ? vpci_dev_label(dev) : "-",
                msg);
}

void vpci_log(const struct vpci_dev *dev, enum vpci_log_level level,
              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vpci_logv(dev, level, fmt, ap);
    va_end(ap);
}

int vpci_require_init(const struct vpci_dev *dev, const char *what)
{
    if (dev && dev->initializing)
        return 0;
    vpci_log(dev, VPCI_LOG_ERROR, "%s: only allowed in the model's init()",
             what);
    return -EPERM;
}

int vpci_dev_set_identity(struct vpci_dev *dev, const struct vpci_identity *id)
{
    int rc = vpci_require_init(dev, "vpci_dev_set_identity");
    if (rc)
        return rc;
    if (!id || id->vendor_id == 0xffff || id->vendor_id == 0 ||
        id->interrupt_pin > 4) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "vpci_dev_set_identity: vendor ID must be a real one "
                 "(not 0 or 0xffff) and the pin 0..4");
        return -EINVAL;
    }
    /* The identity shapes the header, so it comes before anything else. */
    if (dev->last_cap || dev->last_ecap) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "vpci_dev_set_identity: must precede capabilities");
        return -EBUSY;
    }
    for (unsigned i = 0; i < VPCI_BAR_SLOTS; i++) {
        if (dev->bars[i].kind != VPCI_BAR_NONE) {
            vpci_log(dev, VPCI_LOG_ERROR,
                     "vpci_dev_set_identity: must precede BARs");
            return -EBUSY;
        }
    }
    dev->id = *id;
    dev->cfg_size = id->express ? VPCI_CFG_SIZE_EXPRESS : VPCI_CFG_SIZE;
    vpci_cfg_init_header(dev);
    return 0;
}

static void dev_free(struct vpci_dev *dev)
{
    vpci_timers_free(dev);
    for (struct vpci_regfile *rf = dev->regfiles, *next; rf; rf = next) {
        next = vpci_regfile_dev_next(rf);
        vpci_regfile_free(rf);
    }
    vpci_msix_free(dev);
    vpci_bars_free(dev);
    free(dev->priv);
    free(dev->label);
    free(dev);
}

int vpci_dev_create(const struct vpci_model *model, const char *props,
                    const struct vpci_host_ops *ops, void *host,
                    struct vpci_dev **out)
{
    if (!out || !model || !model->name || !model->init) {
        vpci_log(NULL, VPCI_LOG_ERROR,
                 "vpci_dev_create: needs a model with a name and init()");
        return -EINVAL;
    }
    *out = NULL;
    struct vpci_dev *dev = calloc(1, sizeof(*dev));
    if (!dev)
        return -ENOMEM;
    dev->model = model;
    dev->ops = ops;
    dev->host = host;
    dev->dma_mask = UINT64_MAX;
    dev->cfg_size = VPCI_CFG_SIZE;
    if (model->priv_size && !(dev->priv = calloc(1, model->priv_size))) {
        free(dev);
        return -ENOMEM;
    }

    struct vpci_props *parsed = NULL;
    int rc = vpci_props_parse(model, props, dev, &parsed);
    if (rc) {
        dev_free(dev);
        return rc;
    }
    dev->initializing = true;
    rc = model->init(dev, parsed);
    dev->initializing = false;
    vpci_props_free(parsed);
    if (rc == 0 && dev->id.vendor_id == 0) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "model %s: init() did not call vpci_dev_set_identity()",
                 model->name);
        rc = -EINVAL;
    }
    if (rc) {
        if (rc > 0)
            rc = -EINVAL;   /* a model that forgot the sign */
        vpci_log(dev, VPCI_LOG_ERROR, "model %s: init failed: %s",
                 model->name, strerror(-rc));
        if (model->fini)
            model->fini(dev);
        dev_free(dev);
        return rc;
    }
    /* What init() built is the reset image. */
    memcpy(dev->reset_config, dev->config, sizeof(dev->config));
    vpci_cfg_sync(dev, NULL);
    *out = dev;
    return 0;
}

void vpci_dev_destroy(struct vpci_dev *dev)
{
    if (!dev)
        return;
    vpci_timers_cancel_all(dev);
    if (dev->model->fini)
        dev->model->fini(dev);
    dev_free(dev);
}

int vpci_dev_reset(struct vpci_dev *dev, enum vpci_reset_kind kind,
                   struct vpci_effects *fx)
{
    if (fx)
        fx->count = 0;
    if (!dev || (kind != VPCI_RESET_CONVENTIONAL && kind != VPCI_RESET_FLR))
        return -EINVAL;
    if (dev->initializing) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "vpci_dev_reset: not allowed inside the model's init()");
        return -EPERM;
    }
    vpci_dev_do_reset(dev, kind, fx);
    return 0;
}

void vpci_dev_do_reset(struct vpci_dev *dev, enum vpci_reset_kind kind,
                       struct vpci_effects *fx)
{
    /*
     * FLR and conventional reset restore the same state here: libvpci
     * keeps no sticky (AuxPower-preserved) bits, so the spec's difference
     * (FLR keeps sticky bits and link state) has nothing to keep.
     */
    (void)kind;
    memcpy(dev->config, dev->reset_config, dev->cfg_size);
    for (unsigned i = 0; i < VPCI_BAR_SLOTS; i++)
        dev->bars[i].lo_pending = false;
    vpci_timers_cancel_all(dev);
    vpci_msix_reset(dev);
    vpci_irq_reset(dev);
    for (struct vpci_regfile *rf = dev->regfiles; rf;
         rf = vpci_regfile_dev_next(rf))
        vpci_regfile_reset(rf);
    if (dev->model->reset)
        dev->model->reset(dev);
    vpci_cfg_sync(dev, fx);
}

int vpci_dev_set_multifunction(struct vpci_dev *dev, bool on)
{
    if (!dev)
        return -EINVAL;
    dev->id.multifunction = on;
    uint8_t *bytes[] = { dev->config, dev->reset_config };
    for (size_t i = 0; i < VPCI_ARRAY_SIZE(bytes); i++)
        bytes[i][PCI_HEADER_TYPE] = (uint8_t)((bytes[i][PCI_HEADER_TYPE] & 0x7f) |
                                              (on ? 0x80 : 0));
    return 0;
}

const struct vpci_model *vpci_dev_model(const struct vpci_dev *dev)
{
    return dev ? dev->model : NULL;
}

void *vpci_dev_priv(const struct vpci_dev *dev)
{
    return dev ? dev->priv : NULL;
}

void vpci_dev_set_host_data(struct vpci_dev *dev, void *data)
{
    if (dev)
        dev->host_data = data;
}

void *vpci_dev_host_data(const struct vpci_dev *dev)
{
    return dev ? dev->host_data : NULL;
}

int vpci_dev_set_label(struct vpci_dev *dev, const char *label)
{
    if (!dev || !label)
        return -EINVAL;
    char *copy = strdup(label);
    if (!copy)
        return -ENOMEM;
    free(dev->label);
    dev->label = copy;
    return 0;
}

const char *vpci_dev_label(const struct vpci_dev *dev)
{
    if (!dev)
        return "-";
    return dev->label ? dev->label : dev->model->name;
}

bool vpci_dev_is_express(const struct vpci_dev *dev)
{
    return dev && dev->id.express;
}

bool vpci_dev_is_bridge(const struct vpci_dev *dev)
{
    return dev && dev->id.bridge;
}

bool vpci_dev_bus_master(const struct vpci_dev *dev)
{
    return dev && (cfg_get16(dev, PCI_COMMAND) & PCI_COMMAND_MASTER);
}

void vpci_dev_set_trace(struct vpci_dev *dev, bool on)
{
    if (dev)
        dev->trace = on;
}

bool vpci_dev_trace_enabled(const struct vpci_dev *dev)
{
    return dev && dev->trace;
}
