/* SPDX-License-Identifier: MIT */
/*
 * Model properties: "key=value,key=value" checked against the model's
 * declared properties, the same text the mock host's -device spec strings
 * and QEMU's -device options carry.
 */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>


static int parse_bool(const char *s, uint64_t *out)
{
    static const char *const yes[] = { "on", "true", "yes", "1" };
    static const char *const no[] = { "off", "false", "no", "0" };
    for (size_t i = 0; i < VPCI_ARRAY_SIZE(yes); i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = 1;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *out = 0;
            return 0;
        }
    }
    return -EINVAL;
}

/* Decimal, 0x hex, 0 octal, with an optional K/M/G (binary) suffix. */
static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
    if (!*s || *s == '-' || isspace((unsigned char)*s))
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno)
        return -EINVAL;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end || (shift && v > (max >> shift)) || (v << shift) > max)
        return -EINVAL;
    *out = (uint64_t)v << shift;
    return 0;
}

static int set_value(struct vpci_prop_value *pv, const char *text)
{
    switch (pv->desc->type) {
    case VPCI_PROP_BOOL:
        return parse_bool(text, &pv->num);
    case VPCI_PROP_U32:
        return parse_num(text, UINT32_MAX, &pv->num);
    case VPCI_PROP_U64:
        return parse_num(text, UINT64_MAX, &pv->num);
    case VPCI_PROP_STRING: {
        char *copy = strdup(text);
        if (!copy)
            return -ENOMEM;
        free(pv->str);
        pv->str = copy;
        return 0;
    }
    }
    return -EINVAL;
}

static const char *type_name(enum vpci_prop_type t)
{
    switch (t) {
    case VPCI_PROP_BOOL: return "on/off";
    case VPCI_PROP_U32: return "32-bit number";
    case VPCI_PROP_U64: return "64-bit number";
    case VPCI_PROP_STRING: return "string";
    }
    return "?";
}

void vpci_props_free(struct vpci_props *props)
{
    if (!props)
        return;
    for (size_t i = 0; i < props->count; i++)
        free(props->values[i].str);
    free(props->values);
    free(props);
}

int vpci_props_parse(const struct vpci_model *model, const char *text,
                     const struct vpci_dev *dev, struct vpci_props **out)
{
    struct vpci_props *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->model = model;
    for (const struct vpci_prop_desc *d = model->props; d && d->name; d++)
        p->count++;
    p->values = calloc(p->count ? p->count : 1, sizeof(*p->values));
    if (!p->values) {
        free(p);
        return -ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < p->count && !rc; i++) {
        p->values[i].desc = &model->props[i];
        const char *def = model->props[i].defval;
        if (def)
            rc = set_value(&p->values[i], def);
        if (rc)
            vpci_log(dev, VPCI_LOG_ERROR, "model %s: bad default for %s",
                     model->name, model->props[i].name);
    }

    char *copy = strdup(text ? text : "");
    if (!copy)
        rc = -ENOMEM;
    char *save = NULL;
    for (char *item = copy ? strtok_r(copy, ",", &save) : NULL; item && !rc;
         item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        const char *val = "on"; /* a bare "msi" means msi=on */
        if (eq) {
            *eq = '\0';
            val = eq + 1;
        }
        struct vpci_prop_value *pv = NULL;
        for (size_t i = 0; i < p->count; i++)
            if (!strcmp(p->values[i].desc->name, item))
                pv = &p->values[i];
        if (!pv) {
            char known[256] = "";
            for (size_t i = 0; i < p->count; i++) {
                size_t used = strlen(known);
                snprintf(known + used, sizeof(known) - used, "%s%s",
                         i ? ", " : "", p->values[i].desc->name);
            }
            vpci_log(dev, VPCI_LOG_ERROR,
                     "%s: no property '%s' (known: %s)", model->name, item,
                     p->count ? known : "none");
            rc = -EINVAL;
        } else if (pv->given) {
            vpci_log(dev, VPCI_LOG_ERROR, "%s: property '%s' given twice",
                     model->name, item);
            rc = -EINVAL;
        } else if ((!eq && pv->desc->type != VPCI_PROP_BOOL) ||
                   (rc = set_value(pv, val))) {
            vpci_log(dev, VPCI_LOG_ERROR, "%s: %s=%s: expected %s",
                     model->name, item, val, type_name(pv->desc->type));
            rc = rc ? rc : -EINVAL;
        } else {
            pv->given = true;
        }
    }
    free(copy);
    if (rc) {
        vpci_props_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

static const struct vpci_prop_value *lookup(const struct vpci_props *props,
                                            const char *name,
                                            enum vpci_prop_type type)
{
    for (size_t i = 0; props && i < props->count; i++) {
        const struct vpci_prop_value *pv = &props->values[i];
        if (!strcmp(pv->desc->name, name)) {
            if (pv->desc->type == type)
                return pv;
            break;
        }
    }
    vpci_log(NULL, VPCI_LOG_ERROR,
             "model %s: reads undeclared property '%s' as %s",
             props && props->model ? props->model->name : "?", name,
             type_name(type));
    return NULL;
}

bool vpci_prop_bool(const struct vpci_props *props, const char *name)
{
    const struct vpci_prop_value *pv = lookup(props, name, VPCI_PROP_BOOL);
    return pv && pv->num;
}

uint32_t vpci_prop_u32(const struct vpci_props *props, const char *name)
{
    const struct vpci_prop_value *pv = lookup(props, name, VPCI_PROP_U32);
    return pv ? (uint32_t)pv->num : 0;
}

uint64_t vpci_prop_u64(const struct vpci_props *props, const char *name)
{
    const struct vpci_prop_value *pv = lookup(props, name, VPCI_PROP_U64);
    return pv ? pv->num : 0;
}

const char *vpci_prop_str(const struct vpci_props *props, const char *name)
{
    const struct vpci_prop_value *pv = lookup(props, name, VPCI_PROP_STRING);
    return pv && pv->str ? pv->str : "";
}

bool vpci_prop_given(const struct vpci_props *props, const char *name)
{
    for (size_t i = 0; props && i < props->count; i++)
        if (!strcmp(props->values[i].desc->name, name))
            return props->values[i].given;
    return false;
}
