/* java.c - what Java does that the formats depend on, in one place: UTF-8 as
 * Java strings may hold it, the modified UTF-8 of DataOutput.writeUTF and of
 * object serialization, String.compareTo and hashCode() of strings and of the
 * boxed primitives, and the capacity, threshold and iteration order of a
 * java.util.HashMap (and of a HashSet, which is one) filled by put().
 *
 * The HashMap model follows java.util.HashMap of OpenJDK 8 to 25 (the same
 * code throughout): a table of 16 buckets at first, doubled when the size
 * passes 3/4 of it; a bucket that reaches 9 entries doubles the table while
 * it has fewer than 64 buckets and is turned into a red-black tree once it
 * has 64 or more; a tree bucket keeps a linked list (its iteration order)
 * with the root moved to the front and each new entry linked after its tree
 * parent; resizing splits a bucket in list order and turns a tree part of 6
 * or fewer entries back into a list. */
/* See dlz-format(5), section CONVENTIONS. */
/* See dlz-format(5), section JAVA OBJECT STREAMS. */
#include "internal.h"

#include <math.h>

/* ------------------------------------------------------------------------ */
/* UTF-8                                                                     */

int dlzi_utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *cp, unsigned flags) {
    size_t at = *i;
    unsigned c = s[at];
    size_t k;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        *i = at + 1;
        return DLZI_UTF8_OK;
    } else if (c >= 0xC2 && c <= 0xDF) {
        k = 2;
        v = c & 0x1Fu;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        v = c & 0x0Fu;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        v = c & 0x07u;
        min = 0x10000;
    } else {
        return DLZI_UTF8_BAD_LEAD;
    }
    if (n - at < k) {
        return DLZI_UTF8_TRUNCATED;
    }
    for (size_t j = 1; j < k; j++) {
        unsigned cc = s[at + j];
        if ((cc & 0xC0u) != 0x80u) {
            *i = at + j;
            return DLZI_UTF8_BAD_CONT;
        }
        v = v << 6 | (cc & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF ||
        (!(flags & DLZI_UTF8_SURROGATES) && v >= 0xD800 && v <= 0xDFFF)) {
        return DLZI_UTF8_BAD_VALUE;
    }
    *cp = v;
    *i = at + k;
    return DLZI_UTF8_OK;
}

int dlzi_utf8_check(const char *s, size_t n, unsigned flags, size_t *bad) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        size_t at = i;
        int rc = dlzi_utf8_next(u, n, &i, &cp, flags);
        if (rc != DLZI_UTF8_OK) {
            if (bad != NULL) {
                *bad = at;
            }
            return rc;
        }
    }
    return DLZI_UTF8_OK;
}

size_t dlzi_utf8_put(unsigned char *o, uint32_t cp) {
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    } else if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    } else if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ------------------------------------------------------------------------ */
/* A String's UTF-16 units                                                   */

void dlzi_utf16_init(dlzi_utf16 *u, const char *s, size_t n) {
    u->s = (const unsigned char *)s;
    u->n = n;
    u->i = 0;
    u->low = 0;
}

int dlzi_utf16_next(dlzi_utf16 *u, uint32_t *unit) {
    uint32_t cp;
    if (u->low != 0) {
        *unit = u->low;
        u->low = 0;
        return 1;
    }
    if (u->i >= u->n || dlzi_utf8_next(u->s, u->n, &u->i, &cp, DLZI_UTF8_SURROGATES) != 0) {
        return 0;
    }
    if (cp >= 0x10000) {
        *unit = 0xD800 + ((cp - 0x10000) >> 10);
        u->low = 0xDC00 + ((cp - 0x10000) & 0x3FF);
    } else {
        *unit = cp;
    }
    return 1;
}

int dlzi_java_string_compare(const char *a, size_t an, const char *b, size_t bn) {
    dlzi_utf16 ua, ub;
    uint32_t x, y;
    dlzi_utf16_init(&ua, a, an);
    dlzi_utf16_init(&ub, b, bn);
    for (;;) {
        int ha = dlzi_utf16_next(&ua, &x), hb = dlzi_utf16_next(&ub, &y);
        if (!ha || !hb) {
            return ha - hb; /* the shorter one first */
        }
        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Modified UTF-8                                                            */

int dlzi_java_mutf_next(const unsigned char *s, size_t n, size_t *i, uint32_t *unit) {
    size_t at = *i;
    unsigned c = s[at];
    if (c < 0x80) {
        *unit = c;
        *i = at + 1;
        return DLZI_UTF8_OK;
    }
    size_t k = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 0;
    if (k == 0) {
        return DLZI_UTF8_BAD_LEAD;
    }
    if (n - at < k) {
        return DLZI_UTF8_TRUNCATED;
    }
    uint32_t v = c & (k == 2 ? 0x1Fu : 0x0Fu);
    for (size_t j = 1; j < k; j++) {
        unsigned cc = s[at + j];
        if ((cc & 0xC0u) != 0x80u) {
            *i = at + j;
            return DLZI_UTF8_BAD_CONT;
        }
        v = v << 6 | (cc & 0x3Fu);
    }
    *unit = v;
    *i = at + k;
    return DLZI_UTF8_OK;
}

int dlzi_java_mutf_decode(const unsigned char *s, size_t n, char *out, size_t *outlen,
                          size_t *bad) {
    unsigned char *o = (unsigned char *)out;
    size_t i = 0, k = 0;
    uint32_t pending = 0; /* a high surrogate waiting for its pair */
    while (i < n) {
        uint32_t u;
        size_t at = i;
        int rc = dlzi_java_mutf_next(s, n, &i, &u);
        if (rc != DLZI_UTF8_OK) {
            if (bad != NULL) {
                *bad = at;
            }
            return rc;
        }
        if (o == NULL) {
            continue;
        }
        if (pending != 0) {
            if (u >= 0xDC00 && u <= 0xDFFF) {
                k += dlzi_utf8_put(o + k, 0x10000 + ((pending - 0xD800) << 10) + (u - 0xDC00));
                pending = 0;
                continue;
            }
            k += dlzi_utf8_put(o + k, pending);
            pending = 0;
        }
        if (u >= 0xD800 && u <= 0xDBFF) {
            pending = u;
        } else {
            k += dlzi_utf8_put(o + k, u);
        }
    }
    if (o != NULL) {
        if (pending != 0) {
            k += dlzi_utf8_put(o + k, pending);
        }
        o[k] = 0;
        if (outlen != NULL) {
            *outlen = k;
        }
    }
    return DLZI_UTF8_OK;
}

int dlzi_java_mutf_check_plain(const unsigned char *s, size_t n, const char **why) {
    size_t i = 0;
    while (i < n) {
        size_t at = i;
        uint32_t u;
        int rc = dlzi_java_mutf_next(s, n, &i, &u);
        if (rc == DLZI_UTF8_TRUNCATED) {
            *why = "a truncated modified UTF-8 sequence";
            return DLZ_EFORMAT;
        }
        if (rc != DLZI_UTF8_OK) {
            *why = "a malformed modified UTF-8 string";
            return DLZ_EFORMAT;
        }
        size_t k = i - at;
        if (u == 0 || (k == 2 && u < 0x80) || (k == 3 && u < 0x800) ||
            (u >= 0xD800 && u <= 0xDFFF)) {
            *why = "a name with NUL, surrogate or overlong characters (not supported)";
            return DLZ_EUNSUPPORTED;
        }
    }
    return DLZ_OK;
}

/* Bytes of one UTF-16 unit in modified UTF-8. */
static unsigned mutf_unit_size(uint32_t unit) {
    return unit == 0 ? 2 : unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
}

void dlzi_java_mutf_size(const char *s, size_t n, uint64_t *bytes, uint64_t *units) {
    dlzi_utf16 it;
    uint32_t unit;
    uint64_t b = 0, u = 0;
    dlzi_utf16_init(&it, s, n);
    while (dlzi_utf16_next(&it, &unit)) {
        b += mutf_unit_size(unit);
        u++;
    }
    *bytes = b;
    if (units != NULL) {
        *units = u;
    }
}

size_t dlzi_java_mutf_encode(const char *s, size_t n, unsigned char *o) {
    dlzi_utf16 it;
    uint32_t unit;
    size_t k = 0;
    dlzi_utf16_init(&it, s, n);
    while (dlzi_utf16_next(&it, &unit)) {
        if (unit == 0) {
            o[k++] = 0xC0;
            o[k++] = 0x80;
        } else {
            k += dlzi_utf8_put(o + k, unit);
        }
    }
    return k;
}

/* ------------------------------------------------------------------------ */
/* hashCode(), compare(), max()                                              */

uint32_t dlzi_java_string_hash(const char *s, size_t n) {
    dlzi_utf16 it;
    uint32_t unit, h = 0;
    dlzi_utf16_init(&it, s, n);
    while (dlzi_utf16_next(&it, &unit)) {
        h = 31 * h + unit;
    }
    return h;
}

uint32_t dlzi_java_int_hash(int32_t v) {
    return (uint32_t)v;
}

uint32_t dlzi_java_long_hash(int64_t v) {
    uint64_t b = (uint64_t)v;
    return (uint32_t)(b ^ b >> 32);
}

uint64_t dlzi_java_double_bits(double d) {
    uint64_t b;
    if (isnan(d)) {
        return UINT64_C(0x7ff8000000000000);
    }
    memcpy(&b, &d, 8);
    return b;
}

uint32_t dlzi_java_float_bits(float f) {
    uint32_t b;
    if (isnan(f)) {
        return 0x7fc00000u;
    }
    memcpy(&b, &f, 4);
    return b;
}

uint32_t dlzi_java_double_hash(double d) {
    return dlzi_java_long_hash((int64_t)dlzi_java_double_bits(d));
}

uint32_t dlzi_java_float_hash(float f) {
    return dlzi_java_float_bits(f);
}

uint32_t dlzi_java_boolean_hash(int b) {
    return b ? 1231 : 1237;
}

/* Double.compare: by value, -0.0 before 0.0, NaN (all equal) last.  The
   order of the canonical bits, as signed magnitudes. */
int dlzi_java_double_compare(double a, double b) {
    if (a < b) {
        return -1;
    }
    if (a > b) {
        return 1;
    }
    int64_t x = (int64_t)dlzi_java_double_bits(a), y = (int64_t)dlzi_java_double_bits(b);
    return x == y ? 0 : x < y ? -1 : 1;
}

/* Float.compare: the same order, which widening to double keeps (-0.0
   stays below 0.0, NaN stays NaN). */
int dlzi_java_float_compare(float a, float b) {
    return dlzi_java_double_compare(a, b);
}

double dlzi_java_max(double a, double b) {
    if (a != a) {
        return a;
    }
    if (a == 0.0 && b == 0.0 && signbit(a)) {
        return b;
    }
    return a >= b ? a : b;
}

/* ------------------------------------------------------------------------ */
/* java.util.HashMap                                                         */

#define NIL SIZE_MAX
#define TREEIFY_THRESHOLD 8
#define UNTREEIFY_THRESHOLD 6
#define MIN_TREEIFY_CAPACITY 64u
#define MAXIMUM_CAPACITY (1u << 30)
#define MAX_THRESHOLD 0x7FFFFFFFu

typedef struct jnode {
    size_t next, prev; /* the bucket's list (iteration order) */
    size_t child[2];   /* tree buckets: left and right */
    size_t parent;
    uint32_t hash; /* HashMap.hash(): hashCode() ^ (hashCode() >>> 16) */
    unsigned char red;
} jnode;

typedef struct jmap {
    jnode *nd;
    size_t *head;        /* first node of each bucket, NIL when empty */
    unsigned char *tree; /* the bucket is a tree */
    uint32_t cap, thr;
    dlzi_java_cmp_fn cmp;
    void *ctx;
    int tie; /* some order depends on System.identityHashCode() */
} jmap;

/* Which way key x goes from tree node p: HashMap compares the hashes as
   signed ints, then calls cmp (compareTo or class names). */
static int tree_dir(jmap *m, size_t x, size_t p) {
    uint32_t h = m->nd[x].hash ^ 0x80000000u, ph = m->nd[p].hash ^ 0x80000000u;
    if (ph > h) {
        return -1;
    }
    if (ph < h) {
        return 1;
    }
    int d = m->cmp != NULL ? m->cmp(m->ctx, x, p) : 0;
    if (d == 0) {
        m->tie = 1; /* Java breaks the tie by identity hash: unknowable */
        return -1;
    }
    return d;
}

/* Rotates p's child on side up (1, the right one: a left rotation; 0: a
   right rotation) into p's place; returns the root. */
static size_t rotate(jmap *m, size_t root, size_t p, int up) {
    jnode *nd = m->nd;
    size_t r = nd[p].child[up];
    if (r == NIL) {
        return root;
    }
    size_t inner = nd[r].child[!up];
    nd[p].child[up] = inner;
    if (inner != NIL) {
        nd[inner].parent = p;
    }
    size_t pp = nd[p].parent;
    nd[r].parent = pp;
    if (pp == NIL) {
        root = r;
        nd[r].red = 0;
    } else {
        nd[pp].child[nd[pp].child[1] == p] = r;
    }
    nd[r].child[!up] = p;
    nd[p].parent = r;
    return root;
}

/* Red-black rebalancing after x was attached; returns the root. */
static size_t balance_insertion(jmap *m, size_t root, size_t x) {
    jnode *nd = m->nd;
    nd[x].red = 1;
    for (;;) {
        size_t xp = nd[x].parent, xpp;
        if (xp == NIL) {
            nd[x].red = 0;
            return x;
        }
        if (!nd[xp].red || (xpp = nd[xp].parent) == NIL) {
            return root;
        }
        int side = nd[xpp].child[0] != xp; /* of xp under xpp: 0 left, 1 right */
        size_t uncle = nd[xpp].child[!side];
        if (uncle != NIL && nd[uncle].red) {
            nd[uncle].red = 0;
            nd[xp].red = 0;
            nd[xpp].red = 1;
            x = xpp;
            continue;
        }
        if (x == nd[xp].child[!side]) {
            x = xp;
            root = rotate(m, root, x, !side);
            xp = nd[x].parent;
            xpp = xp == NIL ? NIL : nd[xp].parent;
        }
        if (xp != NIL) {
            nd[xp].red = 0;
            if (xpp != NIL) {
                nd[xpp].red = 1;
                root = rotate(m, root, xpp, side);
            }
        }
    }
}

/* Makes the root the first node of its bucket's list. */
static void move_root_to_front(jmap *m, size_t root) {
    jnode *nd = m->nd;
    size_t b = nd[root].hash & (m->cap - 1), first = m->head[b];
    if (root == first) {
        return;
    }
    m->head[b] = root;
    size_t rp = nd[root].prev, rn = nd[root].next;
    if (rn != NIL) {
        nd[rn].prev = rp;
    }
    if (rp != NIL) {
        nd[rp].next = rn;
    }
    if (first != NIL) {
        nd[first].prev = root;
    }
    nd[root].next = first;
    nd[root].prev = NIL;
}

/* Builds a tree of bucket b's list, in list order. */
static void treeify(jmap *m, uint32_t b) {
    jnode *nd = m->nd;
    size_t root = NIL;
    for (size_t x = m->head[b], next; x != NIL; x = next) {
        next = nd[x].next;
        nd[x].child[0] = nd[x].child[1] = NIL;
        if (root == NIL) {
            nd[x].parent = NIL;
            nd[x].red = 0;
            root = x;
            continue;
        }
        for (size_t p = root;;) {
            int dir = tree_dir(m, x, p);
            size_t xp = p;
            p = nd[p].child[dir > 0];
            if (p == NIL) {
                nd[x].parent = xp;
                nd[xp].child[dir > 0] = x;
                root = balance_insertion(m, root, x);
                break;
            }
        }
    }
    m->tree[b] = 1;
    move_root_to_front(m, root);
}

/* Adds node x to tree bucket b: linked after its tree parent. */
static void tree_put(jmap *m, uint32_t b, size_t x) {
    jnode *nd = m->nd;
    size_t root = m->head[b];
    while (nd[root].parent != NIL) {
        root = nd[root].parent;
    }
    for (size_t p = root;;) {
        int dir = tree_dir(m, x, p);
        size_t xp = p;
        p = nd[p].child[dir > 0];
        if (p == NIL) {
            size_t xpn = nd[xp].next;
            nd[x].next = xpn;
            nd[x].child[0] = nd[x].child[1] = NIL;
            nd[xp].child[dir > 0] = x;
            nd[xp].next = x;
            nd[x].parent = nd[x].prev = xp;
            if (xpn != NIL) {
                nd[xpn].prev = x;
            }
            move_root_to_front(m, balance_insertion(m, root, x));
            return;
        }
    }
}

/* Puts the list starting at head (linked by next, prev relinked here) into
   bucket b of the new table; tree parts of more than 6 nodes stay trees,
   built again when the old bucket was split in two. */
static void place(jmap *m, uint32_t b, size_t head, size_t count, int was_tree, int split) {
    m->head[b] = head;
    if (!was_tree || count <= UNTREEIFY_THRESHOLD) {
        return; /* a list (untreeify keeps the order) */
    }
    m->tree[b] = 1;
    if (split) {
        treeify(m, b);
    }
}

/* HashMap.resize(): doubles the table; returns DLZ_OK or DLZ_ENOMEM. */
static int resize(jmap *m) {
    if (m->cap >= MAXIMUM_CAPACITY) {
        m->thr = MAX_THRESHOLD;
        return DLZ_OK;
    }
    uint32_t old = m->cap, cap = old * 2;
    size_t *nh = dlzi_malloc(cap * sizeof *nh);
    unsigned char *nt = dlzi_calloc(cap, 1);
    if (nh == NULL || nt == NULL) {
        dlzi_free(nh);
        dlzi_free(nt);
        return DLZ_ENOMEM;
    }
    for (uint32_t b = 0; b < cap; b++) {
        nh[b] = NIL;
    }
    size_t *oh = m->head;
    unsigned char *ot = m->tree;
    m->head = nh;
    m->tree = nt;
    m->cap = cap;
    m->thr = cap < MAXIMUM_CAPACITY ? m->thr * 2 : MAX_THRESHOLD;
    jnode *nd = m->nd;
    for (uint32_t j = 0; j < old; j++) {
        size_t e = oh[j];
        if (e == NIL) {
            continue;
        }
        if (nd[e].next == NIL) {
            nh[nd[e].hash & (cap - 1)] = e;
            continue;
        }
        size_t lo = NIL, lo_tail = NIL, hi = NIL, hi_tail = NIL, lc = 0, hc = 0;
        for (size_t next; e != NIL; e = next) {
            next = nd[e].next;
            nd[e].next = NIL;
            size_t *hd = (nd[e].hash & old) == 0 ? &lo : &hi;
            size_t *tl = hd == &lo ? &lo_tail : &hi_tail;
            nd[e].prev = *tl;
            if (*tl == NIL) {
                *hd = e;
            } else {
                nd[*tl].next = e;
            }
            *tl = e;
            ++*(hd == &lo ? &lc : &hc);
        }
        if (lo != NIL) {
            place(m, j, lo, lc, ot[j], hi != NIL);
        }
        if (hi != NIL) {
            place(m, j + old, hi, hc, ot[j], lo != NIL);
        }
    }
    dlzi_free(oh);
    dlzi_free(ot);
    return DLZ_OK;
}

/* putVal() of a new key x with a known hash. */
static int put(jmap *m, size_t x) {
    jnode *nd = m->nd;
    uint32_t b = nd[x].hash & (m->cap - 1);
    nd[x].next = nd[x].prev = nd[x].child[0] = nd[x].child[1] = nd[x].parent = NIL;
    if (m->head[b] == NIL) {
        m->head[b] = x;
        return DLZ_OK;
    }
    if (m->tree[b]) {
        tree_put(m, b, x);
        return DLZ_OK;
    }
    size_t count = 1, tail = m->head[b];
    while (nd[tail].next != NIL) {
        tail = nd[tail].next;
        count++;
    }
    nd[tail].next = x;
    nd[x].prev = tail;
    if (count < TREEIFY_THRESHOLD) {
        return DLZ_OK;
    }
    /* treeifyBin(): a small table grows instead */
    if (m->cap < MIN_TREEIFY_CAPACITY) {
        return resize(m);
    }
    treeify(m, b);
    return DLZ_OK;
}

int dlzi_java_hashmap(const uint32_t *hash, const unsigned char *known, size_t n,
                      dlzi_java_cmp_fn cmp, void *ctx, size_t *order, dlzi_java_map *out) {
    out->buckets = 16;
    out->threshold = 0;
    out->ordered = 1;
    out->exact = 1;
    if (n == 0) {
        return DLZ_OK; /* new HashMap(): no table yet */
    }
    jmap m;
    memset(&m, 0, sizeof m);
    m.cap = 16;
    m.thr = 12;
    m.cmp = cmp;
    m.ctx = ctx;
    m.nd = n <= SIZE_MAX / sizeof *m.nd ? dlzi_malloc(n * sizeof *m.nd) : NULL;
    m.head = dlzi_malloc(m.cap * sizeof *m.head);
    m.tree = dlzi_calloc(m.cap, 1);
    int rc = m.nd != NULL && m.head != NULL && m.tree != NULL ? DLZ_OK : DLZ_ENOMEM;
    for (uint32_t b = 0; rc == DLZ_OK && b < m.cap; b++) {
        m.head[b] = NIL;
    }
    for (size_t i = 0; rc == DLZ_OK && i < n; i++) {
        if (known == NULL || known[i]) {
            m.nd[i].hash = hash[i] ^ (hash[i] >> 16);
            rc = put(&m, i);
        } else {
            out->ordered = 0; /* counts towards the size, in no known bucket */
        }
        if (rc == DLZ_OK && i + 1 > m.thr) {
            rc = resize(&m);
        }
    }
    if (rc == DLZ_OK) {
        out->buckets = m.cap;
        out->threshold = m.thr;
        out->exact = out->ordered && !m.tie;
        size_t k = 0;
        for (uint32_t b = 0; order != NULL && out->ordered && b < m.cap; b++) {
            for (size_t x = m.head[b]; x != NIL; x = m.nd[x].next) {
                order[k++] = x;
            }
        }
    }
    dlzi_free(m.nd);
    dlzi_free(m.head);
    dlzi_free(m.tree);
    return rc;
}
