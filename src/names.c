/* names.c - a set of names for lookups in constant time: the zip writer's
 * duplicate check and the editor's staged objects, so that edits of an
 * archive with many entries stay linear.  The set holds indices into the
 * caller's own array; the caller gives the name of an index back, or NULL
 * for an index it dropped (its entry is then never found). */
#include "internal.h"

static uint64_t hash_name(const char *s) {
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s != '\0'; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    }
    return h;
}

/* Slot of name, or of the empty slot where it would go. */
static size_t slot_of(const dlzi_names *s, const char *name, uint64_t h, dlzi_name_fn name_of,
                      const void *ctx) {
    size_t mask = s->cap - 1, i = (size_t)h & mask;
    while (s->idx[i] != 0) {
        size_t k = s->idx[i] - 1;
        const char *n = s->hash[i] == h ? name_of(ctx, k) : NULL;
        if (n != NULL && strcmp(n, name) == 0) {
            return i;
        }
        i = (i + 1) & mask;
    }
    return i;
}

size_t dlzi_names_find(const dlzi_names *s, const char *name, dlzi_name_fn name_of,
                       const void *ctx) {
    if (s->n == 0) {
        return SIZE_MAX;
    }
    size_t i = slot_of(s, name, hash_name(name), name_of, ctx);
    return s->idx[i] != 0 ? s->idx[i] - 1 : SIZE_MAX;
}

int dlzi_names_add(dlzi_names *s, const char *name, size_t index, dlzi_name_fn name_of,
                   const void *ctx) {
    if (2 * (s->n + 1) > s->cap) { /* at most half full */
        size_t cap = s->cap ? s->cap * 2 : 16;
        uint64_t *hash = dlzi_calloc(cap, sizeof *hash);
        size_t *idx = dlzi_calloc(cap, sizeof *idx);
        if (hash == NULL || idx == NULL) {
            dlzi_free(hash);
            dlzi_free(idx);
            return DLZ_ENOMEM;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (s->idx[i] != 0) {
                size_t j = (size_t)s->hash[i] & (cap - 1);
                while (idx[j] != 0) {
                    j = (j + 1) & (cap - 1);
                }
                idx[j] = s->idx[i];
                hash[j] = s->hash[i];
            }
        }
        dlzi_free(s->hash);
        dlzi_free(s->idx);
        s->hash = hash;
        s->idx = idx;
        s->cap = cap;
    }
    uint64_t h = hash_name(name);
    size_t i = slot_of(s, name, h, name_of, ctx);
    if (s->idx[i] == 0) {
        s->n++;
    }
    s->idx[i] = index + 1;
    s->hash[i] = h;
    return DLZ_OK;
}

void dlzi_names_free(dlzi_names *s) {
    dlzi_free(s->hash);
    dlzi_free(s->idx);
    memset(s, 0, sizeof *s);
}
