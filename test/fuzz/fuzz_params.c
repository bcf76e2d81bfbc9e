/* fuzz_params.c - libFuzzer target for the parameter table: any bytes as
 * configuration.json, parsed with and without DLZ_PARAMS_ASSUME_DENSE.  On
 * success every parameter, layer and updater block is read and checked
 * against the others, and when the model is small, every parameter and
 * updater state array is extracted from a fake vector whose value at each
 * position is the position, which checks the offsets, shapes and orders the
 * table reports. */
#include "dlz.h"
#include "fuzz.h"

int dlz_fuzz_wants_entry(const char *name) {
    return strcmp(name, "configuration.json") == 0;
}

/* Largest fake coefficients or state vector (doubles hold every position
   exactly). */
#define MAX_VALUES (1 << 18)
/* Most parameters extracted per table. */
#define MAX_EXTRACT 512

/* A DOUBLE row vector [1,n] whose element i is i. */
static dlz_array *ramp(int64_t n) {
    int64_t shape[2] = {1, n};
    dlz_array *a = NULL;
    if (dlz_array_new(DLZ_DTYPE_DOUBLE, 2, shape, 'c', &a, NULL, 0) != DLZ_OK) {
        return NULL;
    }
    double *d = dlz_array_data(a);
    for (int64_t i = 0; i < n; i++) {
        d[i] = (double)i;
    }
    return a;
}

/* Checks that @p x (extracted from a ramp) holds, in row-major order, the
   positions start + (the element's linear index in the parameter's order). */
static void check_slice(const dlz_param_info *pi, const dlz_array *x, int64_t start, char order) {
    FUZZ_CHECK(dlz_array_rank(x) == pi->rank && dlz_array_order(x) == order);
    FUZZ_CHECK(dlz_array_length(x) == pi->length);
    for (int k = 0; k < pi->rank; k++) {
        FUZZ_CHECK(dlz_array_shape(x)[k] == pi->shape[k]);
    }
    if (pi->length == 0) {
        return;
    }
    double *v = malloc(sizeof *v * (size_t)pi->length);
    if (v == NULL) {
        return;
    }
    FUZZ_CHECK(dlz_array_to_f64(x, v, (size_t)pi->length) == DLZ_OK);
    int64_t idx[DLZ_MAX_RANK] = {0};
    for (int64_t q = 0; q < pi->length; q++) {
        /* linear position of idx in the parameter's order */
        int64_t lin = 0, acc = 1;
        for (int k = 0; k < pi->rank; k++) {
            int kk = pi->order == 'c' ? pi->rank - 1 - k : k;
            lin += idx[kk] * acc;
            acc *= pi->shape[kk];
        }
        FUZZ_CHECK(v[q] == (double)(start + lin));
        for (int k = pi->rank - 1; k >= 0; k--) {
            if (++idx[k] < pi->shape[k]) {
                break;
            }
            idx[k] = 0;
        }
    }
    free(v);
}

static void check_table(dlz_params *p) {
    FUZZ_CHECK(dlz_params_kind(p) == DLZ_KIND_MULTILAYER || dlz_params_kind(p) == DLZ_KIND_GRAPH);
    size_t n = dlz_params_count(p), nl = dlz_params_layer_count(p);
    int64_t total = dlz_params_total(p);
    FUZZ_CHECK(total >= 0);
    FUZZ_CHECK(dlz_params_assumed_count(p) <= nl);
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        dlz_param_info pi;
        FUZZ_CHECK(dlz_params_get(p, i, &pi) == DLZ_OK);
        FUZZ_CHECK(pi.name != NULL && pi.layer != NULL && pi.key != NULL && pi.layer_type != NULL);
        FUZZ_CHECK(pi.rank >= 0 && pi.rank <= DLZ_MAX_RANK);
        FUZZ_CHECK(pi.order == 'c' || pi.order == 'f');
        FUZZ_CHECK(pi.offset >= 0 && pi.length >= 0 && pi.offset <= total &&
                   pi.length <= total - pi.offset);
        int64_t prod = 1;
        int zero = 0;
        for (int k = 0; k < pi.rank; k++) {
            FUZZ_CHECK(pi.shape[k] >= 0);
            zero |= pi.shape[k] == 0;
        }
        for (int k = 0; k < pi.rank && !zero; k++) {
            FUZZ_CHECK(!__builtin_mul_overflow(prod, pi.shape[k], &prod));
        }
        FUZZ_CHECK(zero ? pi.length == 0 : prod == pi.length);
        FUZZ_CHECK(pi.state_count >= -1 && pi.state_count <= 4);
        FUZZ_CHECK(pi.assumed == 0 || pi.assumed == 1);
        size_t found;
        FUZZ_CHECK(dlz_params_find(p, pi.name, &found) == DLZ_OK && found < n);
        sum += pi.length;
    }
    FUZZ_CHECK(sum == total);
    dlz_param_info pi;
    FUZZ_CHECK(dlz_params_get(p, n, &pi) == DLZ_EMISUSE);
    size_t covered = 0;
    for (size_t i = 0; i < nl; i++) {
        dlz_layer_info li;
        FUZZ_CHECK(dlz_params_layer(p, i, &li) == DLZ_OK);
        FUZZ_CHECK(li.name != NULL && li.type != NULL);
        FUZZ_CHECK(li.first_param <= n && li.param_count <= n - li.first_param);
        FUZZ_CHECK(li.offset >= 0 && li.length >= 0 && li.offset <= total &&
                   li.length <= total - li.offset);
        covered += li.param_count;
    }
    FUZZ_CHECK(covered == n);

    int ust = dlz_params_updater_status(p);
    size_t nb = dlz_params_updater_block_count(p);
    int64_t utotal = dlz_params_updater_total(p);
    FUZZ_CHECK(ust == DLZ_OK || ust == DLZ_EUNSUPPORTED || ust == DLZ_EFORMAT);
    if (ust != DLZ_OK) {
        FUZZ_CHECK(nb == 0 && utotal == -1);
        FUZZ_CHECK(fuzz_one_line(dlz_params_errmsg(p)));
    } else {
        int64_t ssum = 0;
        for (size_t i = 0; i < nb; i++) {
            dlz_updater_block b;
            FUZZ_CHECK(dlz_params_updater_block(p, i, &b) == DLZ_OK);
            FUZZ_CHECK(b.updater != NULL && b.state_count >= 0 && b.state_count <= 4);
            FUZZ_CHECK(b.first_param <= n && b.param_count <= n - b.first_param);
            FUZZ_CHECK(b.param_offset >= 0 && b.param_length >= 0 &&
                       b.param_length <= total - b.param_offset);
            FUZZ_CHECK(b.state_length == b.state_count * b.param_length);
            for (int k = 0; k < b.state_count; k++) {
                FUZZ_CHECK(b.state_names[k] != NULL);
                FUZZ_CHECK(b.state_offset[k] >= 0 && b.state_offset[k] + b.param_length <= utotal);
            }
            ssum += b.state_length;
        }
        FUZZ_CHECK(ssum == utotal);
    }

    /* Extraction from fake vectors of the right length. */
    if (total > 0 && total <= MAX_VALUES) {
        dlz_array *c = ramp(total);
        dlz_array *wrong = ramp(total - 1 > 0 ? total - 1 : 2);
        if (c != NULL && wrong != NULL) {
            FUZZ_CHECK(dlz_params_check(p, c) == DLZ_OK);
            FUZZ_CHECK(dlz_params_check(p, wrong) == DLZ_EFORMAT);
            FUZZ_CHECK(fuzz_one_line(dlz_params_errmsg(p)));
            for (size_t i = 0; i < n && i < MAX_EXTRACT; i++) {
                FUZZ_CHECK(dlz_params_get(p, i, &pi) == DLZ_OK);
                for (int o = 0; o < 2; o++) {
                    dlz_array *x = NULL;
                    int rc = dlz_params_extract(p, i, c, o ? 'f' : 'c', &x);
                    FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM);
                    if (x != NULL) {
                        check_slice(&pi, x, pi.offset, o ? 'f' : 'c');
                    }
                    dlz_array_free(x);
                }
            }
        }
        dlz_array_free(c);
        dlz_array_free(wrong);
    } else if (total == 0) {
        FUZZ_CHECK(dlz_params_check(p, NULL) == DLZ_OK);
    }
    if (ust == DLZ_OK && utotal > 0 && utotal <= MAX_VALUES) {
        dlz_array *s = ramp(utotal);
        if (s != NULL) {
            FUZZ_CHECK(dlz_params_updater_check(p, s) == DLZ_OK);
            for (size_t i = 0; i < n && i < MAX_EXTRACT; i++) {
                FUZZ_CHECK(dlz_params_get(p, i, &pi) == DLZ_OK);
                dlz_updater_block b;
                size_t bi;
                for (bi = 0; bi < nb; bi++) {
                    FUZZ_CHECK(dlz_params_updater_block(p, bi, &b) == DLZ_OK);
                    if (i >= b.first_param && i - b.first_param < b.param_count) {
                        break;
                    }
                }
                FUZZ_CHECK(bi < nb || pi.length == 0);
                for (int k = 0; k <= 4; k++) {
                    dlz_array *x = NULL;
                    int rc = dlz_params_extract_state(p, i, k, s, 'c', &x);
                    if (k >= pi.state_count) {
                        FUZZ_CHECK(rc == DLZ_ENOTFOUND || rc == DLZ_EUNSUPPORTED);
                    } else if (bi < nb) {
                        FUZZ_CHECK(rc == DLZ_OK || rc == DLZ_ENOMEM || rc == DLZ_EUNSUPPORTED);
                        if (x != NULL) {
                            check_slice(&pi, x, b.state_offset[k] + pi.offset - b.param_offset,
                                        'c');
                        }
                    }
                    dlz_array_free(x);
                }
            }
            dlz_array_free(s);
        }
    } else if (ust == DLZ_OK && utotal == 0) {
        FUZZ_CHECK(dlz_params_updater_check(p, NULL) == DLZ_OK);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > FUZZ_MAX_INPUT) {
        return 0;
    }
    dlz_params *t[2] = {NULL, NULL};
    for (int f = 0; f < 2; f++) {
        char msg[256];
        int rc = dlz_params_parse((const char *)data, size, f ? DLZ_PARAMS_ASSUME_DENSE : 0, &t[f],
                                  msg, sizeof msg);
        if (rc != DLZ_OK) {
            FUZZ_CHECK(t[f] == NULL);
            FUZZ_CHECK(rc == DLZ_EFORMAT || rc == DLZ_EUNSUPPORTED || rc == DLZ_ENOMEM);
            FUZZ_CHECK(fuzz_one_line(msg));
            continue;
        }
        FUZZ_CHECK(t[f] != NULL);
        FUZZ_CHECK(f == 1 || dlz_params_assumed_count(t[f]) == 0);
        check_table(t[f]);
    }
    /* Without unknown layers the guess changes nothing. */
    if (t[0] != NULL) {
        FUZZ_CHECK(t[1] != NULL);
        FUZZ_CHECK(dlz_params_assumed_count(t[1]) == 0);
        FUZZ_CHECK(dlz_params_count(t[0]) == dlz_params_count(t[1]));
        FUZZ_CHECK(dlz_params_total(t[0]) == dlz_params_total(t[1]));
    }
    dlz_params_free(t[0]);
    dlz_params_free(t[1]);
    return 0;
}
