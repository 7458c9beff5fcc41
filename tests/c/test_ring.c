/* C tests of the ring API: every function, every error path, and the shared vectors.
 * Built by `make test-c` with -std=c11 -Wall -Wextra -Wpedantic -Werror -fsanitize=address. */
#define _POSIX_C_SOURCE 200809L
#include "ringpax.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        checks++;                                                                      \
        if (!(cond)) {                                                                 \
            failures++;                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

#define CHECK_STATUS(call, want) CHECK((call) == (want))

static ringpax_ring *ring3(uint32_t replicas) {
    ringpax_ring *r = NULL;
    CHECK_STATUS(ringpax_ring_new(replicas, &r), RINGPAX_STATUS_OK);
    const char *names[] = {"127.0.0.1", "127.0.0.2", "127.0.0.3"};
    for (int i = 0; i < 3; i++) {
        CHECK_STATUS(ringpax_ring_add_node(r, names[i], strlen(names[i]), 1), RINGPAX_STATUS_OK);
    }
    return r;
}

static void last_error_contains(const char *needle);

static void test_messages(void) {
    char buf[256];
    size_t len = 0;
    const ringpax_status all[] = {
        RINGPAX_STATUS_OK,          RINGPAX_STATUS_NULL_ARGUMENT, RINGPAX_STATUS_INVALID_ARGUMENT,
        RINGPAX_STATUS_INVALID_UTF8, RINGPAX_STATUS_BUFFER_TOO_SMALL, RINGPAX_STATUS_EMPTY_RING,
        RINGPAX_STATUS_DUPLICATE_NODE, RINGPAX_STATUS_UNKNOWN_NODE, RINGPAX_STATUS_UNKNOWN_KEY,
        RINGPAX_STATUS_PANIC,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        CHECK_STATUS(ringpax_status_message(all[i], buf, sizeof buf, &len), RINGPAX_STATUS_OK);
        CHECK(len > 0 && len == strlen(buf));
    }
    CHECK_STATUS(ringpax_status_message(RINGPAX_STATUS_EMPTY_RING, buf, 3, &len),
                 RINGPAX_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == strlen("the ring has no nodes"));
    CHECK_STATUS(ringpax_status_message(RINGPAX_STATUS_OK, NULL, 0, &len),
                 RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_status_message(12345, buf, sizeof buf, &len), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("12345");
    CHECK(strlen(ringpax_version()) > 0);
}

static void last_error_contains(const char *needle) {
    char buf[512];
    size_t len = 0;
    CHECK_STATUS(ringpax_last_error_message(buf, sizeof buf, &len), RINGPAX_STATUS_OK);
    CHECK(strstr(buf, needle) != NULL);
    if (strstr(buf, needle) == NULL) fprintf(stderr, "  last error was: %s\n", buf);
}

static void test_lifecycle_and_errors(void) {
    ringpax_ring *r = NULL;
    CHECK_STATUS(ringpax_ring_new(0, &r), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    last_error_contains("replicas");
    CHECK_STATUS(ringpax_ring_new(160, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    ringpax_ring_free(NULL);

    CHECK_STATUS(ringpax_ring_new(16, &r), RINGPAX_STATUS_OK);
    size_t idx = 99;
    CHECK_STATUS(ringpax_ring_get(r, (const uint8_t *)"k", 1, &idx, NULL, 0, NULL),
                 RINGPAX_STATUS_EMPTY_RING);
    CHECK(idx == 99); /* out-params untouched on error */
    CHECK_STATUS(ringpax_ring_add_node(r, "", 0, 1), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_ring_add_node(r, "a", 1, 0), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("weight");
    CHECK_STATUS(ringpax_ring_add_node(r, "\xff\xfe", 2, 1), RINGPAX_STATUS_INVALID_UTF8);
    CHECK_STATUS(ringpax_ring_add_node(r, NULL, 3, 1), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_ring_add_node(NULL, "a", 1, 1), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_ring_add_node(r, "a", 1, 1), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_ring_add_node(r, "a", 1, 2), RINGPAX_STATUS_DUPLICATE_NODE);
    last_error_contains("\"a\"");
    CHECK(ringpax_ring_node_count(r) == 1);
    CHECK(ringpax_ring_node_count(NULL) == 0);
    CHECK_STATUS(ringpax_ring_remove_node(r, "zz", 2), RINGPAX_STATUS_UNKNOWN_NODE);
    CHECK_STATUS(ringpax_ring_remove_node(r, NULL, 2), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_ring_remove_node(NULL, "a", 1), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_ring_remove_node(r, "a", 1), RINGPAX_STATUS_OK);
    CHECK(ringpax_ring_node_count(r) == 0);
    ringpax_ring_free(r);
}

static void test_lookups(void) {
    ringpax_ring *r = ring3(7);
    size_t idx = 0, len = 0;
    char name[64];
    CHECK_STATUS(ringpax_ring_get(r, (const uint8_t *)"key1", 4, &idx, name, sizeof name, &len),
                 RINGPAX_STATUS_OK);
    CHECK(idx < 3 && len == strlen(name));
    char by_index[64];
    CHECK_STATUS(ringpax_ring_node_name(r, idx, by_index, sizeof by_index, NULL), RINGPAX_STATUS_OK);
    CHECK(strcmp(name, by_index) == 0);
    size_t back = 99;
    CHECK_STATUS(ringpax_ring_node_index(r, name, len, &back), RINGPAX_STATUS_OK);
    CHECK(back == idx);
    CHECK_STATUS(ringpax_ring_node_index(r, "nope", 4, &back), RINGPAX_STATUS_UNKNOWN_NODE);
    CHECK_STATUS(ringpax_ring_node_index(r, "nope", 4, NULL), RINGPAX_STATUS_NULL_ARGUMENT);

    /* Too small a buffer: status says so, the needed length is reported. */
    char tiny[4];
    len = 0;
    CHECK_STATUS(ringpax_ring_get(r, (const uint8_t *)"key1", 4, NULL, tiny, sizeof tiny, &len),
                 RINGPAX_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == strlen("127.0.0.1"));
    CHECK_STATUS(ringpax_ring_node_name(r, 0, tiny, sizeof tiny, &len), RINGPAX_STATUS_BUFFER_TOO_SMALL);
    CHECK_STATUS(ringpax_ring_node_name(r, 3, by_index, sizeof by_index, &len), RINGPAX_STATUS_UNKNOWN_NODE);
    last_error_contains("out of range");
    CHECK_STATUS(ringpax_ring_node_name(NULL, 0, by_index, sizeof by_index, &len), RINGPAX_STATUS_NULL_ARGUMENT);

    /* The empty key is a key; a NULL key is fine only with length 0. */
    CHECK_STATUS(ringpax_ring_get(r, NULL, 0, &idx, NULL, 0, NULL), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_ring_get(r, NULL, 5, &idx, NULL, 0, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_ring_get(NULL, NULL, 0, &idx, NULL, 0, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    /* Length only, no buffer. */
    len = 0;
    CHECK_STATUS(ringpax_ring_get(r, (const uint8_t *)"key1", 4, NULL, NULL, 0, &len), RINGPAX_STATUS_OK);
    CHECK(len == 9);

    /* Preference lists: distinct, start at get(), capped by node count. */
    size_t pref[8];
    size_t count = 0;
    CHECK_STATUS(ringpax_ring_get_nodes(r, (const uint8_t *)"key1", 4, 8, pref, &count), RINGPAX_STATUS_OK);
    CHECK(count == 3);
    CHECK_STATUS(ringpax_ring_get(r, (const uint8_t *)"key1", 4, &idx, NULL, 0, NULL), RINGPAX_STATUS_OK);
    CHECK(pref[0] == idx);
    CHECK(pref[0] != pref[1] && pref[1] != pref[2] && pref[0] != pref[2]);
    CHECK_STATUS(ringpax_ring_get_nodes(r, (const uint8_t *)"key1", 4, 0, NULL, &count), RINGPAX_STATUS_OK);
    CHECK(count == 0);
    CHECK_STATUS(ringpax_ring_get_nodes(r, (const uint8_t *)"key1", 4, 2, NULL, &count), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_ring_get_nodes(r, (const uint8_t *)"key1", 4, 2, pref, NULL), RINGPAX_STATUS_NULL_ARGUMENT);

    /* Batch lookups agree with single lookups, serial and parallel sizes. */
    enum { N = 70000 };
    static char storage[N][16];
    static const uint8_t *keys[N];
    static size_t lens[N];
    static size_t out[N];
    for (int i = 0; i < N; i++) {
        int n = snprintf(storage[i], sizeof storage[i], "user:%d", i);
        keys[i] = (const uint8_t *)storage[i];
        lens[i] = (size_t)n;
    }
    CHECK_STATUS(ringpax_ring_get_many(r, keys, lens, N, out), RINGPAX_STATUS_OK);
    int agree = 1;
    for (int i = 0; i < N; i += 97) {
        size_t one = 0;
        ringpax_ring_get(r, keys[i], lens[i], &one, NULL, 0, NULL);
        agree &= one == out[i];
    }
    CHECK(agree);
    CHECK_STATUS(ringpax_ring_get_many(r, NULL, lens, 3, out), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_ring_get_many(r, keys, lens, 0, NULL), RINGPAX_STATUS_OK);
    const uint8_t *bad[2] = {(const uint8_t *)"a", NULL};
    size_t bad_lens[2] = {1, 4};
    CHECK_STATUS(ringpax_ring_get_many(r, bad, bad_lens, 2, out), RINGPAX_STATUS_NULL_ARGUMENT);

    uint64_t h = 0;
    CHECK_STATUS(ringpax_ring_hash(r, (const uint8_t *)"key1", 4, &h), RINGPAX_STATUS_OK);
    CHECK(h != 0);
    CHECK_STATUS(ringpax_ring_hash(r, (const uint8_t *)"key1", 4, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    ringpax_ring_free(r);
}

/* tests/vectors/ring.tsv: replicas, nodes "name:weight,...", key hex, hash, preference. */
static size_t unhex(const char *hex, uint8_t *out) {
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* Split `s` in place at every `sep`; returns the number of fields (empty fields kept). */
static int split(char *s, char sep, char **fields, int max) {
    int n = 0;
    fields[n++] = s;
    for (char *p = s; *p && n < max; p++) {
        if (*p == sep) {
            *p = 0;
            fields[n++] = p + 1;
        }
    }
    return n;
}

static void test_vectors(const char *path) {
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) return;
    static char line[8192], last_nodes[8192], copy[8192];
    ringpax_ring *r = NULL;
    unsigned last_replicas = 0;
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        line[strcspn(line, "\n")] = 0;
        char *field[5];
        if (split(line, '\t', field, 5) != 5) {
            CHECK(!"malformed vector line");
            continue;
        }
        unsigned replicas = (unsigned)strtoul(field[0], NULL, 10);
        if (r == NULL || replicas != last_replicas || strcmp(field[1], last_nodes) != 0) {
            ringpax_ring_free(r);
            r = NULL;
            CHECK_STATUS(ringpax_ring_new(replicas, &r), RINGPAX_STATUS_OK);
            last_replicas = replicas;
            snprintf(last_nodes, sizeof last_nodes, "%s", field[1]);
            snprintf(copy, sizeof copy, "%s", field[1]);
            char *items[256];
            int n = split(copy, ',', items, 256);
            for (int i = 0; i < n; i++) {
                char *colon = strrchr(items[i], ':');
                *colon = 0;
                CHECK_STATUS(ringpax_ring_add_node(r, items[i], strlen(items[i]),
                                                   (uint32_t)atoi(colon + 1)),
                             RINGPAX_STATUS_OK);
            }
        }
        uint8_t key[256];
        size_t key_len = unhex(field[2], key);
        uint64_t h = 0;
        CHECK_STATUS(ringpax_ring_hash(r, key, key_len, &h), RINGPAX_STATUS_OK);
        CHECK(h == strtoull(field[3], NULL, 10));
        size_t idx[3], count = 0;
        CHECK_STATUS(ringpax_ring_get_nodes(r, key, key_len, 3, idx, &count), RINGPAX_STATUS_OK);
        char joined[1024] = "";
        for (size_t i = 0; i < count; i++) {
            char name[256];
            ringpax_ring_node_name(r, idx[i], name, sizeof name, NULL);
            if (i) strcat(joined, ",");
            strcat(joined, name);
        }
        CHECK(strcmp(joined, field[4]) == 0);
        rows++;
    }
    fclose(f);
    ringpax_ring_free(r);
    CHECK(rows > 300);
}

/* Migration plans arrive through a callback; collect them. */
struct plan {
    int moves;
    int wrong_target;
    const char *expect_target; /* NULL: don't check */
    const char *expect_source; /* NULL: don't check */
    int wrong_source;
};

static void on_move(void *ctx, const uint8_t *key, size_t key_len, const char *source,
                    size_t source_len, const char *target, size_t target_len) {
    struct plan *p = ctx;
    (void)key;
    (void)key_len;
    p->moves++;
    if (p->expect_target &&
        (strlen(p->expect_target) != target_len || memcmp(p->expect_target, target, target_len)))
        p->wrong_target++;
    if (p->expect_source &&
        (strlen(p->expect_source) != source_len || memcmp(p->expect_source, source, source_len)))
        p->wrong_source++;
}

static void test_options_tracking_and_plans(void) {
    ringpax_ring_options o = ringpax_ring_options_default();
    CHECK(o.replicas == 160 && o.hash == RINGPAX_HASH_BLAKE3 && o.key == NULL);
    CHECK(o.compat == RINGPAX_COMPAT_NONE && o.load_factor == 0.0);
    ringpax_ring *r = NULL;
    CHECK_STATUS(ringpax_ring_new_with(NULL, &r), RINGPAX_STATUS_NULL_ARGUMENT);
    o.hash = RINGPAX_HASH_BLAKE3_KEYED; /* without a key */
    CHECK_STATUS(ringpax_ring_new_with(&o, &r), RINGPAX_STATUS_INVALID_ARGUMENT);
    uint8_t secret[32];
    memset(secret, 7, sizeof secret);
    o.hash = RINGPAX_HASH_XXH3;
    o.key = secret; /* a key with a hash that takes none */
    CHECK_STATUS(ringpax_ring_new_with(&o, &r), RINGPAX_STATUS_INVALID_ARGUMENT);
    o = ringpax_ring_options_default();
    o.compat = RINGPAX_COMPAT_KETAMA;
    o.replicas = 162;
    CHECK_STATUS(ringpax_ring_new_with(&o, &r), RINGPAX_STATUS_INVALID_ARGUMENT);
    o = ringpax_ring_options_default();
    o.load_factor = 0.5;
    CHECK_STATUS(ringpax_ring_new_with(&o, &r), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("load_factor");
    /* Unknown enum values are errors, not undefined behaviour. */
    o = ringpax_ring_options_default();
    o.hash = 77;
    CHECK_STATUS(ringpax_ring_new_with(&o, &r), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("unknown hash 77");
    o = ringpax_ring_options_default();
    o.compat = 9;
    CHECK_STATUS(ringpax_ring_new_with(&o, &r), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("unknown compat 9");

    /* Every scheme places keys, and the same key hashes differently under different schemes. */
    uint64_t hashes[5];
    ringpax_compat compats[5] = {RINGPAX_COMPAT_NONE, RINGPAX_COMPAT_NONE, RINGPAX_COMPAT_NONE,
                                 RINGPAX_COMPAT_UHASHRING, RINGPAX_COMPAT_KETAMA};
    ringpax_hash hashfns[5] = {RINGPAX_HASH_BLAKE3, RINGPAX_HASH_XXH3, RINGPAX_HASH_BLAKE3_KEYED,
                               RINGPAX_HASH_BLAKE3, RINGPAX_HASH_BLAKE3};
    for (int i = 0; i < 5; i++) {
        o = ringpax_ring_options_default();
        o.compat = compats[i];
        o.hash = hashfns[i];
        o.key = hashfns[i] == RINGPAX_HASH_BLAKE3_KEYED ? secret : NULL;
        CHECK_STATUS(ringpax_ring_new_with(&o, &r), RINGPAX_STATUS_OK);
        CHECK_STATUS(ringpax_ring_add_node(r, "a", 1, 1), RINGPAX_STATUS_OK);
        CHECK_STATUS(ringpax_ring_add_node(r, "b", 1, 2), RINGPAX_STATUS_OK);
        CHECK_STATUS(ringpax_ring_hash(r, (const uint8_t *)"key1", 4, &hashes[i]), RINGPAX_STATUS_OK);
        size_t idx = 9;
        CHECK_STATUS(ringpax_ring_get(r, (const uint8_t *)"key1", 4, &idx, NULL, 0, NULL), RINGPAX_STATUS_OK);
        CHECK(idx < 2);
        ringpax_ring_free(r);
    }
    CHECK(hashes[0] != hashes[1] && hashes[0] != hashes[2] && hashes[3] != hashes[4]);
    CHECK(hashes[3] == 0xc2add694bf942dc7ULL);       /* top of md5("key1"), big-endian */
    CHECK(hashes[4] == (0x94d6adc2ULL << 32));       /* ketama: little-endian first word */

    /* Tracking and exact plans. */
    CHECK_STATUS(ringpax_ring_new(64, &r), RINGPAX_STATUS_OK);
    size_t idx = 0;
    CHECK_STATUS(ringpax_ring_track(r, (const uint8_t *)"k", 1, &idx), RINGPAX_STATUS_EMPTY_RING);
    const char *names[] = {"n0", "n1", "n2", "n3"};
    for (int i = 0; i < 4; i++) ringpax_ring_add_node(r, names[i], 2, 1);
    char key[32];
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(key, sizeof key, "key-%d", i);
        CHECK_STATUS(ringpax_ring_track(r, (const uint8_t *)key, (size_t)n, NULL), RINGPAX_STATUS_OK);
    }
    CHECK_STATUS(ringpax_ring_track(r, (const uint8_t *)"key-1", 5, &idx), RINGPAX_STATUS_OK);
    CHECK(ringpax_ring_tracked_count(r) == 2000);
    CHECK(ringpax_ring_tracked_count(NULL) == 0);
    size_t before_new = 0;
    struct plan p = {0, 0, "new", NULL, 0};
    CHECK_STATUS(ringpax_ring_add_node_plan(r, "new", 3, 1, on_move, &p), RINGPAX_STATUS_OK);
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(key, sizeof key, "key-%d", i);
        size_t where = 0;
        ringpax_ring_get(r, (const uint8_t *)key, (size_t)n, NULL, key, sizeof key, NULL);
        (void)where;
        if (strcmp(key, "new") == 0) before_new++;
    }
    CHECK(p.moves > 0 && (size_t)p.moves == before_new && p.wrong_target == 0);
    struct plan q = {0, 0, NULL, "new", 0};
    CHECK_STATUS(ringpax_ring_remove_node_plan(r, "new", 3, on_move, &q), RINGPAX_STATUS_OK);
    CHECK(q.moves == p.moves && q.wrong_source == 0);
    CHECK_STATUS(ringpax_ring_add_node_plan(r, "n0", 2, 1, on_move, &p), RINGPAX_STATUS_DUPLICATE_NODE);
    CHECK_STATUS(ringpax_ring_remove_node_plan(r, "zz", 2, NULL, NULL), RINGPAX_STATUS_UNKNOWN_NODE);
    CHECK_STATUS(ringpax_ring_add_node_plan(r, "quiet", 5, 1, NULL, NULL), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_ring_assigned(r, (const uint8_t *)"key-1", 5, &idx), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_ring_assigned(r, (const uint8_t *)"nope", 4, &idx), RINGPAX_STATUS_UNKNOWN_KEY);
    CHECK_STATUS(ringpax_ring_untrack(r, (const uint8_t *)"key-1", 5, NULL, NULL), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_ring_untrack(r, (const uint8_t *)"key-1", 5, NULL, NULL), RINGPAX_STATUS_UNKNOWN_KEY);
    last_error_contains("not tracked");
    size_t bound = 0;
    CHECK_STATUS(ringpax_ring_load_bound(r, &bound), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_ring_track(NULL, (const uint8_t *)"k", 1, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_ring_untrack(r, NULL, 1, NULL, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    ringpax_ring_free(r);

    /* Bounded loads: the bound holds, the last node cannot leave while keys are tracked. */
    o = ringpax_ring_options_default();
    o.replicas = 16;
    o.load_factor = 1.25;
    CHECK_STATUS(ringpax_ring_new_with(&o, &r), RINGPAX_STATUS_OK);
    for (int i = 0; i < 4; i++) ringpax_ring_add_node(r, names[i], 2, 1);
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(key, sizeof key, "key-%d", i);
        ringpax_ring_track(r, (const uint8_t *)key, (size_t)n, NULL);
    }
    CHECK_STATUS(ringpax_ring_load_bound(r, &bound), RINGPAX_STATUS_OK);
    CHECK(bound == 313); /* ceil(1.25 * 1000 / 4) */
    size_t per_node[4] = {0, 0, 0, 0};
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(key, sizeof key, "key-%d", i);
        size_t where = 99;
        CHECK_STATUS(ringpax_ring_assigned(r, (const uint8_t *)key, (size_t)n, &where), RINGPAX_STATUS_OK);
        if (where < 4) per_node[where]++;
    }
    CHECK(per_node[0] <= bound && per_node[1] <= bound && per_node[2] <= bound && per_node[3] <= bound);
    CHECK(per_node[0] + per_node[1] + per_node[2] + per_node[3] == 1000);
    for (int i = 0; i < 3; i++) ringpax_ring_remove_node(r, names[i], 2);
    CHECK_STATUS(ringpax_ring_remove_node(r, names[3], 2), RINGPAX_STATUS_EMPTY_RING);
    ringpax_ring_free(r);
}

/* Readers on several threads while a writer changes membership: no reader ever fails. */
struct shared_test {
    ringpax_ring *ring;
    int stop;
    int failures;
    long lookups;
};

static void *reader_thread(void *arg) {
    struct shared_test *t = arg;
    char key[32], name[64];
    long n = 0;
    while (!__atomic_load_n(&t->stop, __ATOMIC_SEQ_CST)) {
        int len = snprintf(key, sizeof key, "k%ld", n++);
        ringpax_status st = ringpax_ring_get(t->ring, (const uint8_t *)key, (size_t)len, NULL,
                                             name, sizeof name, NULL);
        if (st != RINGPAX_STATUS_OK || (name[0] != 'b' && name[0] != 'x'))
            __atomic_fetch_add(&t->failures, 1, __ATOMIC_SEQ_CST);
    }
    __atomic_fetch_add(&t->lookups, n, __ATOMIC_SEQ_CST);
    return NULL;
}

static void test_concurrent_readers(void) {
    struct shared_test t = {NULL, 0, 0, 0};
    CHECK_STATUS(ringpax_ring_new(160, &t.ring), RINGPAX_STATUS_OK);
    ringpax_ring_add_node(t.ring, "base", 4, 1);
    pthread_t th[3];
    for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, reader_thread, &t);
    char name[16];
    for (int round = 0; round < 200; round++) {
        int n = snprintf(name, sizeof name, "x%d", round % 5);
        if (ringpax_ring_add_node(t.ring, name, (size_t)n, 1) == RINGPAX_STATUS_DUPLICATE_NODE)
            ringpax_ring_remove_node(t.ring, name, (size_t)n);
    }
    __atomic_store_n(&t.stop, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    CHECK(t.failures == 0);
    CHECK(t.lookups > 0);
    ringpax_ring_free(t.ring);
}

int main(int argc, char **argv) {
    test_messages();
    test_options_tracking_and_plans();
    test_concurrent_readers();
    test_lifecycle_and_errors();
    test_lookups();
    test_vectors(argc > 1 ? argv[1] : "tests/vectors/ring.tsv");
    printf("test_ring: %d checks, %d failed\n", checks, failures);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
