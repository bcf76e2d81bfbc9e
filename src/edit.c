/* edit.c - dlz_editor: staged changes to an existing archive, committed as a
 * new archive that atomically replaces the old one.
 *
 * DL4J rewrites archives in place (addNormalizerToModel truncates the
 * original; addObjectToFile deletes it first), so a crash loses the model.
 * Here the new archive is built in a temporary file next to the original and
 * renamed over it only once complete and synced.  Unchanged entries are
 * copied compressed, with their timestamps; their CRC is verified on the way
 * (inflating into a scratch buffer), so a damaged entry is never copied on
 * silently. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <time.h>
#include <unistd.h>

typedef struct staged_object {
    char *key;
    unsigned char *data; /* NULL with remove */
    size_t len;
    int remove;
    int done; /* written during the commit */
} staged_object;

/* What is staged for the normalizer and the updater state. */
typedef enum change { KEEP, SET, REMOVE } change;

struct dlz_editor {
    dlzi_err err;
    char *path;
    dlz_lock *lock; /* held from open to the end of the commit */
    int64_t lock_timeout;
    dlz_reader *r;
    change norm_change;
    unsigned char *norm; /* with SET */
    size_t norm_len;
    change upd_change;
    dlz_array *upd; /* with SET: our copy */
    staged_object *objs;
    size_t nobjs, capobjs;
    dlzi_names staged; /* keys of objs */
    int mtime_set;
    int64_t mtime;
};

dlz_editor *dlz_editor_new(void) {
    return dlzi_calloc(1, sizeof(dlz_editor));
}

static void reset(dlz_editor *e) {
    dlz_reader_free(e->r);
    e->r = NULL;
    dlz_lock_release(e->lock);
    e->lock = NULL;
    dlzi_free(e->path);
    e->path = NULL;
    dlzi_free(e->norm);
    e->norm = NULL;
    e->norm_len = 0;
    e->norm_change = KEEP;
    e->upd_change = KEEP;
    dlz_array_free(e->upd);
    e->upd = NULL;
    for (size_t i = 0; i < e->nobjs; i++) {
        dlzi_free(e->objs[i].key);
        dlzi_free(e->objs[i].data);
    }
    dlzi_free(e->objs);
    e->objs = NULL;
    e->nobjs = e->capobjs = 0;
    dlzi_names_free(&e->staged);
}

void dlz_editor_free(dlz_editor *e) {
    if (e != NULL) {
        reset(e);
        dlzi_free(e);
    }
}

int dlzi_editor_fail(dlz_editor *e, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    dlzi_err_vset(&e->err, code, fmt, ap);
    va_end(ap);
    return code;
}

const char *dlz_editor_errmsg(const dlz_editor *e) {
    if (e == NULL) {
        return "no editor";
    }
    return e->err.code == DLZ_OK ? "no error" : e->err.msg;
}

int dlz_editor_syserr(const dlz_editor *e) {
    return e == NULL ? 0 : e->err.sys;
}

dlz_reader *dlz_editor_reader(dlz_editor *e) {
    return e != NULL ? e->r : NULL;
}

int dlz_editor_open(dlz_editor *e, const char *path) {
    if (e == NULL) {
        return DLZ_EMISUSE;
    }
    if (e->r != NULL) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "the editor is already open");
    }
    if (path == NULL) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "NULL path");
    }
    dlzi_err_clear(&e->err);
    e->r = dlz_reader_new();
    e->path = dlzi_strdup(path);
    if (e->r == NULL || e->path == NULL) {
        reset(e);
        return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
    }
    int rc = dlzi_lock_acquire(path, e->lock_timeout, &e->lock, &e->err);
    if (rc != DLZ_OK) {
        dlzi_err saved = e->err;
        reset(e);
        e->err = saved;
        return rc;
    }
    /* The reader reads the locked file itself, whatever the path names. */
    int fd = dup(dlzi_lock_fd(e->lock));
    rc = fd < 0 ? dlzi_err_sys(&e->err, errno, "cannot duplicate the descriptor of %s", path)
                : dlz_reader_open_fd(e->r, fd, 0);
    if (rc == DLZ_OK && dlz_reader_kind(e->r) == DLZ_KIND_ARRAY) {
        rc = DLZ_EFORMAT;
        dlzi_err_set(&e->err, rc, "%s is a bare array file, not a model archive", path);
    } else if (rc != DLZ_OK && fd >= 0) {
        dlzi_err_set(&e->err, rc, "%s", dlz_reader_errmsg(e->r));
        e->err.sys = dlz_reader_syserr(e->r);
    }
    if (rc != DLZ_OK) {
        dlzi_err saved = e->err;
        reset(e);
        e->err = saved;
    }
    return rc;
}

static int need_open(dlz_editor *e, const char *fn) {
    if (e == NULL) {
        return DLZ_EMISUSE;
    }
    if (e->r == NULL) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "%s: the editor is not open", fn);
    }
    return DLZ_OK;
}

int dlz_editor_set_normalizer_raw(dlz_editor *e, const void *data, size_t len) {
    int rc = need_open(e, "dlz_editor_set_normalizer_raw");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (data == NULL && len > 0) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "dlz_editor_set_normalizer_raw: NULL data");
    }
    unsigned char *copy = dlzi_malloc(len ? len : 1);
    if (copy == NULL) {
        return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
    }
    if (len > 0) {
        memcpy(copy, data, len);
    }
    dlzi_free(e->norm);
    e->norm = copy;
    e->norm_len = len;
    e->norm_change = SET;
    return DLZ_OK;
}

int dlz_editor_remove_normalizer(dlz_editor *e) {
    int rc = need_open(e, "dlz_editor_remove_normalizer");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (dlz_reader_has_entry(e->r, dlzi_part_name(DLZI_NORMALIZER)) != DLZ_OK) {
        return dlzi_err_set(&e->err, DLZ_ENOTFOUND, "no normalizer.bin to remove");
    }
    dlzi_free(e->norm);
    e->norm = NULL;
    e->norm_len = 0;
    e->norm_change = REMOVE;
    return DLZ_OK;
}

static const char *staged_key(const void *ctx, size_t i) {
    return ((const dlz_editor *)ctx)->objs[i].key;
}

static staged_object *find_staged(dlz_editor *e, const char *key) {
    size_t i = dlzi_names_find(&e->staged, key, staged_key, e);
    return i != SIZE_MAX ? &e->objs[i] : NULL;
}

/* 1 if the archive has objects/<key>, 0 if not, -1 when out of memory
   (the error is set). */
static int has_object(dlz_editor *e, const char *key) {
    char *name = dlzi_object_entry_name(key);
    if (name == NULL) {
        dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
        return -1;
    }
    int found = dlz_reader_has_entry(e->r, name) == DLZ_OK;
    dlzi_free(name);
    return found;
}

static int stage_object(dlz_editor *e, const char *key, const void *data, size_t len, int remove) {
    staged_object *s = find_staged(e, key);
    unsigned char *copy = NULL;
    if (!remove) {
        copy = dlzi_malloc(len ? len : 1);
        if (copy == NULL) {
            return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
        }
        if (len > 0) {
            memcpy(copy, data, len);
        }
    }
    if (s == NULL) {
        if (e->nobjs == e->capobjs) {
            size_t cap = e->capobjs ? e->capobjs * 2 : 4;
            staged_object *n = dlzi_realloc(e->objs, cap * sizeof *n);
            if (n == NULL) {
                dlzi_free(copy);
                return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
            }
            e->objs = n;
            e->capobjs = cap;
        }
        char *k = dlzi_strdup(key);
        if (k == NULL) {
            dlzi_free(copy);
            return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
        }
        s = &e->objs[e->nobjs];
        memset(s, 0, sizeof *s);
        s->key = k;
        if (dlzi_names_add(&e->staged, k, e->nobjs, staged_key, e) != DLZ_OK) {
            dlzi_free(k);
            dlzi_free(copy);
            return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
        }
        e->nobjs++;
    }
    dlzi_free(s->data);
    s->data = copy;
    s->len = remove ? 0 : len;
    s->remove = remove;
    return DLZ_OK;
}

int dlz_editor_put_object_raw(dlz_editor *e, const char *key, const void *data, size_t len) {
    int rc = need_open(e, "dlz_editor_put_object_raw");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (key == NULL || (data == NULL && len > 0)) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "dlz_editor_put_object_raw: NULL key or data");
    }
    rc = dlzi_check_object_key(key, &e->err);
    if (rc != DLZ_OK) {
        return rc;
    }
    return stage_object(e, key, data, len, 0);
}

int dlz_editor_remove_object(dlz_editor *e, const char *key) {
    int rc = need_open(e, "dlz_editor_remove_object");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (key == NULL) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "NULL key");
    }
    staged_object *s = find_staged(e, key);
    int has = has_object(e, key);
    if (has < 0) {
        return DLZ_ENOMEM;
    }
    if (!has && (s == NULL || s->remove)) {
        return dlzi_err_set(&e->err, DLZ_ENOTFOUND, "no object '%s' to remove", key);
    }
    return stage_object(e, key, NULL, 0, 1);
}

int dlz_editor_set_updater(dlz_editor *e, const dlz_array *state) {
    int rc = need_open(e, "dlz_editor_set_updater");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (state == NULL) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "dlz_editor_set_updater: NULL state");
    }
    int r = state->rank;
    if (!(r == 1 || (r == 2 && (state->shape[0] == 1 || state->shape[1] == 1)))) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "updater state must be a vector, not rank %d", r);
    }
    dlz_array *copy;
    rc = dlzi_array_copy(state, &copy, &e->err);
    if (rc != DLZ_OK) {
        return rc;
    }
    dlz_array_free(e->upd);
    e->upd = copy;
    e->upd_change = SET;
    return DLZ_OK;
}

int dlz_editor_remove_updater(dlz_editor *e) {
    int rc = need_open(e, "dlz_editor_remove_updater");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (dlz_reader_has_entry(e->r, dlzi_part_name(DLZI_UPDATER)) != DLZ_OK) {
        return dlzi_err_set(&e->err, DLZ_ENOTFOUND, "no updaterState.bin to remove");
    }
    dlz_array_free(e->upd);
    e->upd = NULL;
    e->upd_change = REMOVE;
    return DLZ_OK;
}

int dlz_editor_set_lock_timeout(dlz_editor *e, int64_t timeout_ms) {
    if (e == NULL) {
        return DLZ_EMISUSE;
    }
    if (e->r != NULL || timeout_ms < -1) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "dlz_editor_set_lock_timeout: %s",
                            e->r != NULL ? "only before opening" : "timeout below -1");
    }
    e->lock_timeout = timeout_ms;
    return DLZ_OK;
}

/* The out sink's last step before the rename over the original. */
static int still_ours(void *ctx, dlzi_err *err) {
    return dlzi_lock_check(ctx, err);
}

int dlz_editor_set_mtime(dlz_editor *e, int64_t unix_seconds) {
    if (e == NULL) {
        return DLZ_EMISUSE;
    }
    e->mtime = unix_seconds;
    e->mtime_set = 1;
    return DLZ_OK;
}

/* Copies entry idx without recompressing, verifying its CRC and size. */
static int copy_raw(dlz_editor *e, zip_t *za, int64_t idx, dlzi_zw *zw) {
    zip_stat_t st;
    if (zip_stat_index(za, (zip_uint64_t)idx, ZIP_FL_ENC_RAW, &st) != 0) {
        return dlzi_zip_error(&e->err, "zip directory", zip_get_error(za));
    }
    const char *name = st.name;
    if (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE) {
        return dlzi_err_set(&e->err, DLZ_EUNSUPPORTED, "%s: compression method %d cannot be copied",
                            name, (int)st.comp_method);
    }
    if (st.encryption_method != ZIP_EM_NONE) {
        return dlzi_err_set(&e->err, DLZ_EUNSUPPORTED, "%s is encrypted", name);
    }
    int64_t mtime = (st.valid & ZIP_STAT_MTIME) ? (int64_t)st.mtime : -1;
    int rc = dlzi_zw_begin_raw(zw, name, st.comp_method, st.crc, st.size, st.comp_size, mtime);
    if (rc != DLZ_OK) {
        return rc;
    }
    zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)idx, ZIP_FL_COMPRESSED);
    if (zf == NULL) {
        return dlzi_zip_error(&e->err, name, zip_get_error(za));
    }
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    int inflating = st.comp_method == ZIP_CM_DEFLATE;
    if (inflating && inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
        zip_fclose(zf);
        return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
    }
    unsigned char in[65536], out[65536];
    uint32_t crc = (uint32_t)crc32(0L, Z_NULL, 0);
    uint64_t usize = 0, csize = 0;
    int ended = !inflating;
    for (;;) {
        zip_int64_t k = zip_fread(zf, in, sizeof in);
        if (k < 0) {
            rc = dlzi_zip_error(&e->err, name, zip_file_get_error(zf));
            break;
        }
        if (k == 0) {
            break;
        }
        csize += (uint64_t)k;
        if ((rc = dlzi_zw_raw_data(zw, in, (size_t)k)) != DLZ_OK) {
            break;
        }
        if (!inflating) {
            crc = (uint32_t)crc32(crc, in, (uInt)k);
            usize += (uint64_t)k;
            continue;
        }
        zs.next_in = in;
        zs.avail_in = (uInt)k;
        while (zs.avail_in > 0 && !ended) {
            zs.next_out = out;
            zs.avail_out = sizeof out;
            int zrc = inflate(&zs, Z_NO_FLUSH);
            size_t got = sizeof out - zs.avail_out;
            crc = (uint32_t)crc32(crc, out, (uInt)got);
            usize += got;
            if (zrc == Z_STREAM_END) {
                ended = 1;
            } else if (zrc == Z_MEM_ERROR) {
                rc = dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
                break;
            } else if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
                rc = dlzi_err_set(&e->err, DLZ_EFORMAT, "%s: " DLZI_MSG_BAD_DEFLATE, name);
                break;
            }
        }
        if (rc != DLZ_OK) {
            break;
        }
    }
    if (inflating) {
        inflateEnd(&zs);
    }
    zip_fclose(zf);
    if (rc == DLZ_OK && (!ended || crc != st.crc || usize != st.size || csize != st.comp_size)) {
        if (!ended) {
            rc = dlzi_err_set(&e->err, DLZ_EFORMAT, "%s: " DLZI_MSG_BAD_DEFLATE, name);
        } else if (usize != st.size) {
            rc = dlzi_err_set(&e->err, DLZ_EFORMAT, "%s: " DLZI_MSG_SIZE_FMT, name, usize,
                              (uint64_t)st.size);
        } else {
            rc = dlzi_err_set(&e->err, DLZ_EFORMAT, "%s: " DLZI_MSG_CRC, name);
        }
    }
    if (rc == DLZ_OK) {
        rc = dlzi_zw_end(zw);
    }
    return rc;
}

/* The record generation of coefficients.bin, from its first bytes, so that a
   new updater state matches it (JAVACPP archives stay readable by old DL4J). */
static dlz_generation coefficients_generation(zip_t *za) {
    dlz_generation gen = DLZ_GEN_MIXED;
    zip_file_t *zf = zip_fopen(za, dlzi_part_name(DLZI_COEFFICIENTS), 0);
    if (zf != NULL) {
        unsigned char b[64];
        zip_int64_t n = zip_fread(zf, b, sizeof b);
        dlz_generation g;
        /* INT shape info (0.x and JAVACPP records) stays readable by old DL4J
           as JAVACPP; LONG shape info is written as MIXED_DATA_TYPES. */
        if (n > 0 && dlzi_array_sniff(b, (size_t)n, &g) && g <= DLZ_GEN_JAVACPP) {
            gen = DLZ_GEN_JAVACPP;
        }
        zip_fclose(zf);
    }
    return gen;
}

/* Writes a new entry of a part from memory with the part's default compression. */
static int put_new(dlzi_zw *zw, dlzi_part part, const char *name, const void *data, size_t len) {
    int method, level;
    dlzi_part_compression(part, &method, &level);
    return dlzi_put_bytes_entry(zw, name, method, level, data, len);
}

/* Writes the archive part by part, in DL4J's order; within a part the
   original order, with staged changes in place of what they replace. */
static int write_all(dlz_editor *e, dlzi_zw *zw) {
    zip_t *za = dlzi_reader_zip(e->r);
    int64_t n = dlz_reader_entry_count(e->r);
    int rc = DLZ_OK;
    for (size_t i = 0; i < e->nobjs; i++) {
        e->objs[i].done = 0;
    }
    for (int p = 0; p < DLZI_PART_COUNT && rc == DLZ_OK; p++) {
        const dlzi_part part = (dlzi_part)p;
        for (int64_t i = 0; i < n && rc == DLZ_OK; i++) {
            const char *name = zip_get_name(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
            if (name == NULL) {
                return dlzi_err_set(&e->err, DLZ_EFORMAT, "zip directory: entry %" PRId64, i);
            }
            if (dlzi_part_of(name) != part || (name[0] != '\0' && name[strlen(name) - 1] == '/')) {
                continue; /* directory entries are dropped: DL4J cannot read them */
            }
            if ((part == DLZI_UPDATER && e->upd_change != KEEP) ||
                (part == DLZI_NORMALIZER && e->norm_change != KEEP)) {
                continue; /* replaced below or removed */
            }
            if (part == DLZI_OBJECT) {
                staged_object *s = find_staged(e, name + DLZI_OBJECT_PREFIX_LEN);
                if (s != NULL) {
                    s->done = 1;
                    if (!s->remove) {
                        rc = put_new(zw, part, name, s->data, s->len);
                    }
                    continue;
                }
            }
            rc = copy_raw(e, za, i, zw);
        }
        if (rc != DLZ_OK) {
            break;
        }
        if (part == DLZI_UPDATER && e->upd_change == SET) {
            int method, level;
            dlzi_part_compression(part, &method, &level);
            rc = dlzi_put_array_entry(zw, dlzi_part_name(part), method, level,
                                      coefficients_generation(za), e->upd, &e->err);
        } else if (part == DLZI_NORMALIZER && e->norm_change == SET) {
            rc = put_new(zw, part, dlzi_part_name(part), e->norm, e->norm_len);
        } else if (part == DLZI_OBJECT) {
            for (size_t k = 0; k < e->nobjs && rc == DLZ_OK; k++) {
                staged_object *s = &e->objs[k];
                if (s->done || s->remove) {
                    continue;
                }
                char *name = dlzi_object_entry_name(s->key);
                if (name == NULL) {
                    return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
                }
                rc = put_new(zw, part, name, s->data, s->len);
                dlzi_free(name);
            }
        }
    }
    return rc;
}

static int commit(dlz_editor *e, const char *target, int over_original) {
    dlzi_out out;
    int rc = dlzi_out_path(&out, target, &e->err);
    if (rc != DLZ_OK) {
        return rc;
    }
    if (over_original) {
        /* Checked first (the copy reads the file) and again before the rename. */
        rc = dlzi_lock_check(e->lock, &e->err);
        if (rc != DLZ_OK) {
            out.discard(&out);
            return rc;
        }
        out.precommit = still_ours;
        out.precommit_ctx = e->lock;
    }
    dlzi_zw *zw = dlzi_malloc(sizeof *zw);
    if (zw == NULL) {
        out.discard(&out);
        return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
    }
    dlzi_zw_init(zw, &out, e->mtime_set ? e->mtime : (int64_t)time(NULL), &e->err);
    rc = write_all(e, zw);
    if (rc == DLZ_OK) {
        rc = dlzi_zw_finish(zw);
    }
    if (rc == DLZ_OK && zw->n == 0) {
        rc = dlzi_err_set(&e->err, DLZ_EMISUSE, "the edit would leave an empty archive");
    }
    dlzi_zw_cleanup(zw);
    dlzi_free(zw);
    if (rc != DLZ_OK) {
        out.discard(&out);
        return rc;
    }
    return out.finish(&out);
}

int dlz_editor_commit(dlz_editor *e) {
    int rc = need_open(e, "dlz_editor_commit");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (e->norm_change == KEEP && e->upd_change == KEEP && e->nobjs == 0) {
        reset(e);
        return DLZ_OK;
    }
    char *path = dlzi_strdup(e->path);
    if (path == NULL) {
        return dlzi_err_set(&e->err, DLZ_ENOMEM, "out of memory");
    }
    rc = commit(e, path, 1);
    dlzi_free(path);
    if (rc == DLZ_OK) {
        reset(e);
    }
    return rc;
}

int dlz_editor_commit_to(dlz_editor *e, const char *path) {
    int rc = need_open(e, "dlz_editor_commit_to");
    if (rc != DLZ_OK) {
        return rc;
    }
    if (path == NULL) {
        return dlzi_err_set(&e->err, DLZ_EMISUSE, "NULL path");
    }
    rc = commit(e, path, 0);
    if (rc == DLZ_OK) {
        reset(e);
    }
    return rc;
}
