/* model.c - the model layer: the reader, writer and editor entry points that
 * take or give decoded normalizers, Java values and the parameter table.
 *
 * Layers, from the bottom: streams (in.c, out.c; java.c, json.c) -> record
 * codecs (array.c, normalizer*.c, jser_*.c, params.c), which know nothing of
 * archives -> container (reader.c, writer.c, edit.c, zipwrite.c), which moves
 * entries as bytes -> this file, which joins the two -> the CLI.  Each function here
 * moves the entry as bytes through the container's _raw function and runs
 * the codec on them; failures of either are reported on the handle. */
#include "internal.h"

int dlz_reader_read_normalizer(dlz_reader *r, dlz_normalizer **out) {
    if (out != NULL) {
        *out = NULL;
    }
    if (r == NULL) {
        return DLZ_EMISUSE;
    }
    if (out == NULL) {
        return dlzi_reader_fail(r, DLZ_EMISUSE, "dlz_reader_read_normalizer: NULL out");
    }
    void *buf = NULL;
    size_t len = 0;
    int rc = dlz_reader_read_normalizer_raw(r, &buf, &len);
    if (rc != DLZ_OK) {
        return rc;
    }
    int64_t lim = dlz_reader_get_limit(r, DLZ_LIMIT_ARRAY_BYTES);
    dlzi_err err;
    dlzi_err_clear(&err);
    rc =
        dlzi_normalizer_decode(buf, len, lim >= 0 ? (uint64_t)lim : 0, "normalizer.bin", out, &err);
    dlz_free(buf);
    if (rc != DLZ_OK) {
        return dlzi_reader_fail(r, rc, "%s", err.code != DLZ_OK ? err.msg : dlz_strerror(rc));
    }
    return DLZ_OK;
}

int dlz_reader_read_object(dlz_reader *r, const char *key, dlz_value **out) {
    if (out != NULL) {
        *out = NULL;
    }
    if (r == NULL) {
        return DLZ_EMISUSE;
    }
    if (out == NULL) {
        return dlzi_reader_fail(r, DLZ_EMISUSE, "dlz_reader_read_object: NULL out");
    }
    void *buf = NULL;
    size_t len = 0;
    int rc = dlz_reader_read_object_raw(r, key, &buf, &len);
    if (rc != DLZ_OK) {
        return rc;
    }
    char msg[400];
    rc = dlz_value_decode(buf, len, 0, out, msg, sizeof msg);
    dlz_free(buf);
    if (rc != DLZ_OK) {
        return dlzi_reader_fail(r, rc, "objects/%s: %s", key, msg);
    }
    return DLZ_OK;
}

int dlz_reader_read_params(dlz_reader *r, unsigned flags, dlz_params **out) {
    if (out != NULL) {
        *out = NULL;
    }
    if (r == NULL) {
        return DLZ_EMISUSE;
    }
    if (out == NULL) {
        return dlzi_reader_fail(r, DLZ_EMISUSE, "dlz_reader_read_params: NULL out");
    }
    const char *json;
    size_t len;
    int rc = dlz_reader_configuration(r, &json, &len);
    if (rc != DLZ_OK) {
        return rc;
    }
    dlzi_err err;
    dlzi_err_clear(&err);
    rc = dlzi_params_parse(json, len, flags, out, &err);
    if (rc != DLZ_OK) {
        return dlzi_reader_fail(r, rc, "%s", err.msg);
    }
    return DLZ_OK;
}

int dlz_writer_put_normalizer(dlz_writer *w, const dlz_normalizer *n) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (n == NULL) {
        return dlzi_writer_fail(w, DLZ_EMISUSE, "dlz_writer_put_normalizer: NULL normalizer");
    }
    void *buf;
    size_t len;
    char msg[400];
    int rc = dlz_normalizer_encode(n, &buf, &len, msg, sizeof msg);
    if (rc != DLZ_OK) {
        return dlzi_writer_fail(w, rc, "normalizer.bin: %s", msg);
    }
    rc = dlz_writer_put_normalizer_raw(w, buf, len);
    dlz_free(buf);
    return rc;
}

int dlz_writer_put_object(dlz_writer *w, const char *key, const dlz_value *v) {
    if (w == NULL) {
        return DLZ_EMISUSE;
    }
    if (v == NULL) {
        return dlzi_writer_fail(w, DLZ_EMISUSE, "dlz_writer_put_object: NULL value");
    }
    void *buf;
    size_t len;
    char msg[400];
    int rc = dlz_value_encode(v, &buf, &len, msg, sizeof msg);
    if (rc != DLZ_OK) {
        return dlzi_writer_fail(w, rc, "objects/%s: %s", key ? key : "(null)", msg);
    }
    rc = dlz_writer_put_object_raw(w, key, buf, len);
    dlz_free(buf);
    return rc;
}

int dlz_editor_set_normalizer(dlz_editor *e, const dlz_normalizer *n) {
    if (e == NULL) {
        return DLZ_EMISUSE;
    }
    if (n == NULL) {
        return dlzi_editor_fail(e, DLZ_EMISUSE, "dlz_editor_set_normalizer: NULL normalizer");
    }
    void *buf;
    size_t len;
    char msg[400];
    int rc = dlz_normalizer_encode(n, &buf, &len, msg, sizeof msg);
    if (rc != DLZ_OK) {
        return dlzi_editor_fail(e, rc, "normalizer.bin: %s", msg);
    }
    rc = dlz_editor_set_normalizer_raw(e, buf, len);
    dlz_free(buf);
    return rc;
}

int dlz_editor_put_object(dlz_editor *e, const char *key, const dlz_value *v) {
    if (e == NULL) {
        return DLZ_EMISUSE;
    }
    if (v == NULL) {
        return dlzi_editor_fail(e, DLZ_EMISUSE, "dlz_editor_put_object: NULL value");
    }
    void *buf;
    size_t len;
    char msg[400];
    int rc = dlz_value_encode(v, &buf, &len, msg, sizeof msg);
    if (rc != DLZ_OK) {
        return dlzi_editor_fail(e, rc, "objects/%s: %s", key ? key : "(null)", msg);
    }
    rc = dlz_editor_put_object_raw(e, key, buf, len);
    dlz_free(buf);
    return rc;
}
