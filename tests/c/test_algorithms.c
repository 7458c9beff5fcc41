/* C tests of ringpax_jump, ringpax_rendezvous and ringpax_maglev: every function, every error
 * path, the placement spec on known values (a C transcription of the jump paper's loop, and
 * values from the pure-Python reference in tests/python/test_algorithms.py), minimal moves,
 * Maglev balance and disruption. Built by `make test-c` with -std=c11 -Wall -Wextra -Wpedantic
 * -Werror and AddressSanitizer; argv[1] (the ring vectors) is not used here. */
#include "ringpax.h"

#include <math.h>
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

#define K(s) (const uint8_t *)(s), strlen(s)
#define NAME(s) (s), strlen(s)

static void last_error_contains(const char *needle) {
    char buf[512];
    size_t len = 0;
    CHECK_STATUS(ringpax_last_error_message(buf, sizeof buf, &len), RINGPAX_STATUS_OK);
    CHECK(strstr(buf, needle) != NULL);
    if (strstr(buf, needle) == NULL) fprintf(stderr, "  last error was: %s\n", buf);
}

/* The paper's Figure 1, transcribed. */
static int32_t jump_reference(uint64_t key, int32_t num_buckets) {
    int64_t b = -1, j = 0;
    while (j < num_buckets) {
        b = j;
        key = key * 2862933555777941757ULL + 1;
        j = (int64_t)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
    }
    return (int32_t)b;
}

/* A batch of keys "user:<i>" shared by the batch tests. */
enum { BATCH = 70000 };
static char key_storage[BATCH][16];
static const uint8_t *batch_keys[BATCH];
static size_t batch_lens[BATCH];

static void make_batch(void) {
    for (int i = 0; i < BATCH; i++) {
        int n = snprintf(key_storage[i], sizeof key_storage[i], "user:%d", i);
        batch_keys[i] = (const uint8_t *)key_storage[i];
        batch_lens[i] = (size_t)n;
    }
}

static const uint8_t SECRET[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void test_hash_arguments(void) {
    ringpax_jump *j = NULL;
    CHECK_STATUS(ringpax_jump_new(4, 7, NULL, 0, &j), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("unknown hash 7");
    CHECK_STATUS(ringpax_jump_new(4, RINGPAX_HASH_BLAKE3_KEYED, NULL, 0, &j),
                 RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("32-byte");
    CHECK_STATUS(ringpax_jump_new(4, RINGPAX_HASH_BLAKE3_KEYED, SECRET, 31, &j),
                 RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("got 31 bytes");
    CHECK_STATUS(ringpax_jump_new(4, RINGPAX_HASH_BLAKE3, SECRET, 32, &j),
                 RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_jump_new(4, RINGPAX_HASH_XXH3, SECRET, 32, &j),
                 RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_jump_new(4, RINGPAX_HASH_BLAKE3, NULL, 5, &j), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK(j == NULL); /* out-params untouched on error */
    CHECK_STATUS(ringpax_jump_new(4, RINGPAX_HASH_BLAKE3, NULL, 0, NULL), RINGPAX_STATUS_NULL_ARGUMENT);

    /* The three hashes give three different key hashes; all are 64-bit and deterministic. */
    uint64_t h[3] = {0, 0, 0}, again = 0;
    ringpax_jump *blake = NULL, *xxh = NULL, *keyed = NULL;
    CHECK_STATUS(ringpax_jump_new(4, RINGPAX_HASH_BLAKE3, NULL, 0, &blake), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_jump_new(4, RINGPAX_HASH_XXH3, NULL, 0, &xxh), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_jump_new(4, RINGPAX_HASH_BLAKE3_KEYED, SECRET, 32, &keyed), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_jump_hash(blake, K("key1"), &h[0]), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_jump_hash(xxh, K("key1"), &h[1]), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_jump_hash(keyed, K("key1"), &h[2]), RINGPAX_STATUS_OK);
    CHECK(h[0] != h[1] && h[0] != h[2] && h[1] != h[2]);
    CHECK_STATUS(ringpax_jump_hash(blake, K("key1"), &again), RINGPAX_STATUS_OK);
    CHECK(again == h[0]);
    CHECK_STATUS(ringpax_jump_hash(blake, K("key1"), NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_jump_hash(NULL, K("key1"), &again), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_jump_hash(blake, NULL, 3, &again), RINGPAX_STATUS_NULL_ARGUMENT);

    /* Same hash function, same key hash, whichever structure computes it. */
    ringpax_rendezvous *r = NULL;
    ringpax_maglev *m = NULL;
    CHECK_STATUS(ringpax_rendezvous_new(RINGPAX_HASH_BLAKE3_KEYED, SECRET, 32, &r), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_maglev_new(13, RINGPAX_HASH_BLAKE3_KEYED, SECRET, 32, &m), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_rendezvous_hash(r, K("key1"), &again), RINGPAX_STATUS_OK);
    CHECK(again == h[2]);
    CHECK_STATUS(ringpax_maglev_hash(m, K("key1"), &again), RINGPAX_STATUS_OK);
    CHECK(again == h[2]);
    CHECK_STATUS(ringpax_rendezvous_new(9, NULL, 0, &r), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_new(13, RINGPAX_HASH_BLAKE3_KEYED, SECRET, 3, &m),
                 RINGPAX_STATUS_INVALID_ARGUMENT);
    ringpax_rendezvous_free(r);
    ringpax_maglev_free(m);
    ringpax_jump_free(blake);
    ringpax_jump_free(xxh);
    ringpax_jump_free(keyed);
}

static void test_jump(void) {
    /* The transcription agrees with values other implementations publish. */
    CHECK(jump_reference(1, 1) == 0);
    CHECK(jump_reference(42, 57) == 43);
    CHECK(jump_reference(256, 1024) == 520);
    CHECK(jump_reference(0xDEAD10CCULL, 666) == 361);
    CHECK(jump_reference(16045690984833335023ULL, 255) == 237);

    ringpax_jump *j = NULL;
    CHECK_STATUS(ringpax_jump_new(10, RINGPAX_HASH_BLAKE3, NULL, 0, &j), RINGPAX_STATUS_OK);
    CHECK(ringpax_jump_bucket_count(j) == 10);
    CHECK(!ringpax_jump_is_named(j));
    /* Spec values (BLAKE3 then jump) from the independent Python reference. */
    const uint32_t want[8] = {8, 5, 6, 0, 3, 5, 4, 2};
    for (int i = 0; i < 8; i++) {
        char key[16];
        snprintf(key, sizeof key, "key%d", i);
        uint32_t b = 99;
        CHECK_STATUS(ringpax_jump_get(j, K(key), &b), RINGPAX_STATUS_OK);
        CHECK(b == want[i]);
    }
    /* get == the paper's loop on the key hash, for both hashes. */
    ringpax_jump *x = NULL;
    CHECK_STATUS(ringpax_jump_new(1000, RINGPAX_HASH_XXH3, NULL, 0, &x), RINGPAX_STATUS_OK);
    int agree = 1;
    for (int i = 0; i < 2000; i++) {
        uint64_t h = 0;
        uint32_t b = 0;
        ringpax_jump_hash(x, batch_keys[i], batch_lens[i], &h);
        ringpax_jump_get(x, batch_keys[i], batch_lens[i], &b);
        agree &= (int32_t)b == jump_reference(h, 1000);
        ringpax_jump_hash(j, batch_keys[i], batch_lens[i], &h);
        ringpax_jump_get(j, batch_keys[i], batch_lens[i], &b);
        agree &= (int32_t)b == jump_reference(h, 10);
    }
    CHECK(agree);
    ringpax_jump_free(x);

    /* Growing moves keys only to the new bucket; shrinking restores them. */
    static uint32_t before[BATCH], after[BATCH];
    CHECK_STATUS(ringpax_jump_get_many(j, batch_keys, batch_lens, 5000, before), RINGPAX_STATUS_OK);
    uint32_t added = 0;
    CHECK_STATUS(ringpax_jump_add_bucket(j, NULL, 0, &added), RINGPAX_STATUS_OK);
    CHECK(added == 10 && ringpax_jump_bucket_count(j) == 11);
    CHECK_STATUS(ringpax_jump_get_many(j, batch_keys, batch_lens, 5000, after), RINGPAX_STATUS_OK);
    int moved = 0, only_to_new = 1;
    for (int i = 0; i < 5000; i++) {
        if (before[i] != after[i]) {
            moved++;
            only_to_new &= after[i] == 10;
        }
    }
    CHECK(only_to_new && moved > 300 && moved < 620); /* about 1/11 of 5000 */
    uint32_t removed = 0;
    CHECK_STATUS(ringpax_jump_remove_bucket(j, NULL, 0, &removed), RINGPAX_STATUS_OK);
    CHECK(removed == 10);
    CHECK_STATUS(ringpax_jump_get_many(j, batch_keys, batch_lens, 5000, after), RINGPAX_STATUS_OK);
    CHECK(memcmp(before, after, 5000 * sizeof before[0]) == 0);

    /* Batches: serial and parallel sizes agree with single lookups. */
    CHECK_STATUS(ringpax_jump_get_many(j, batch_keys, batch_lens, BATCH, after), RINGPAX_STATUS_OK);
    agree = 1;
    for (int i = 0; i < BATCH; i += 97) {
        uint32_t b = 0;
        ringpax_jump_get(j, batch_keys[i], batch_lens[i], &b);
        agree &= b == after[i];
    }
    CHECK(agree);
    CHECK_STATUS(ringpax_jump_get_many(j, NULL, batch_lens, 3, after), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_jump_get_many(j, batch_keys, NULL, 3, after), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_jump_get_many(j, batch_keys, batch_lens, 3, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_jump_get_many(j, NULL, NULL, 0, NULL), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_jump_get_many(NULL, batch_keys, batch_lens, 3, after), RINGPAX_STATUS_NULL_ARGUMENT);
    const uint8_t *bad[2] = {(const uint8_t *)"a", NULL};
    size_t bad_lens[2] = {1, 4};
    CHECK_STATUS(ringpax_jump_get_many(j, bad, bad_lens, 2, after), RINGPAX_STATUS_NULL_ARGUMENT);

    /* Unnamed buckets take no names. */
    char name[64];
    size_t len = 0;
    uint32_t b = 0;
    CHECK_STATUS(ringpax_jump_add_bucket(j, NAME("x"), &b), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("unnamed");
    CHECK_STATUS(ringpax_jump_remove_bucket(j, NAME("x"), &b), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_jump_bucket_name(j, 0, name, sizeof name, &len), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_jump_bucket_index(j, NAME("x"), &b), RINGPAX_STATUS_UNKNOWN_NODE);
    CHECK(ringpax_jump_bucket_count(j) == 10);

    /* The empty key is a key; NULL keys only with length 0; outputs are required. */
    CHECK_STATUS(ringpax_jump_get(j, NULL, 0, &b), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_jump_get(j, NULL, 4, &b), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_jump_get(j, K("k"), NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_jump_get(NULL, K("k"), &b), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_jump_add_bucket(NULL, NULL, 0, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_jump_remove_bucket(NULL, NULL, 0, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_jump_add_bucket(j, NULL, 3, NULL), RINGPAX_STATUS_NULL_ARGUMENT);

    /* Shrink to nothing: lookups and removals report an empty jump hash. */
    while (ringpax_jump_bucket_count(j) > 0) {
        CHECK_STATUS(ringpax_jump_remove_bucket(j, NULL, 0, NULL), RINGPAX_STATUS_OK);
    }
    b = 77;
    CHECK_STATUS(ringpax_jump_get(j, K("k"), &b), RINGPAX_STATUS_EMPTY_RING);
    CHECK(b == 77);
    CHECK_STATUS(ringpax_jump_get_many(j, batch_keys, batch_lens, 3, after), RINGPAX_STATUS_EMPTY_RING);
    CHECK_STATUS(ringpax_jump_remove_bucket(j, NULL, 0, NULL), RINGPAX_STATUS_EMPTY_RING);
    ringpax_jump_free(j);

    CHECK_STATUS(ringpax_jump_new(0x80000000u, RINGPAX_HASH_BLAKE3, NULL, 0, &j),
                 RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("2147483647");
    CHECK(ringpax_jump_bucket_count(NULL) == 0);
    CHECK(!ringpax_jump_is_named(NULL));
    ringpax_jump_free(NULL);
}

static void test_jump_named(void) {
    const char *names[] = {"shard-a", "shard-b", "shard-c"};
    size_t lens[] = {7, 7, 7};
    ringpax_jump *j = NULL;
    CHECK_STATUS(ringpax_jump_new_named(names, lens, 3, RINGPAX_HASH_BLAKE3, NULL, 0, &j),
                 RINGPAX_STATUS_OK);
    CHECK(ringpax_jump_is_named(j) && ringpax_jump_bucket_count(j) == 3);
    char name[64], tiny[4];
    size_t len = 0;
    CHECK_STATUS(ringpax_jump_bucket_name(j, 1, name, sizeof name, &len), RINGPAX_STATUS_OK);
    CHECK(strcmp(name, "shard-b") == 0 && len == 7);
    CHECK_STATUS(ringpax_jump_bucket_name(j, 1, tiny, sizeof tiny, &len), RINGPAX_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == 7);
    CHECK_STATUS(ringpax_jump_bucket_name(j, 3, name, sizeof name, &len), RINGPAX_STATUS_UNKNOWN_NODE);
    last_error_contains("out of range");
    CHECK_STATUS(ringpax_jump_bucket_name(NULL, 0, name, sizeof name, &len), RINGPAX_STATUS_NULL_ARGUMENT);
    uint32_t b = 9;
    CHECK_STATUS(ringpax_jump_bucket_index(j, NAME("shard-c"), &b), RINGPAX_STATUS_OK);
    CHECK(b == 2);
    CHECK_STATUS(ringpax_jump_bucket_index(j, NAME("nope"), &b), RINGPAX_STATUS_UNKNOWN_NODE);
    CHECK_STATUS(ringpax_jump_bucket_index(j, NAME("nope"), NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_jump_bucket_index(j, "\xff", 1, &b), RINGPAX_STATUS_INVALID_UTF8);

    /* A key's bucket has the name of that bucket. */
    CHECK_STATUS(ringpax_jump_get(j, K("user:1"), &b), RINGPAX_STATUS_OK);
    CHECK(b < 3);

    /* Membership: names required, unique, valid UTF-8; removal only at the end. */
    CHECK_STATUS(ringpax_jump_add_bucket(j, NULL, 0, &b), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("needs a");
    CHECK_STATUS(ringpax_jump_add_bucket(j, NAME("shard-a"), &b), RINGPAX_STATUS_DUPLICATE_NODE);
    CHECK_STATUS(ringpax_jump_add_bucket(j, "\xc3\x28", 2, &b), RINGPAX_STATUS_INVALID_UTF8);
    CHECK_STATUS(ringpax_jump_add_bucket(j, NAME("shard-d"), &b), RINGPAX_STATUS_OK);
    CHECK(b == 3);
    CHECK_STATUS(ringpax_jump_remove_bucket(j, NAME("shard-a"), &b), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("last bucket");
    CHECK_STATUS(ringpax_jump_remove_bucket(j, NAME("zz"), &b), RINGPAX_STATUS_UNKNOWN_NODE);
    CHECK_STATUS(ringpax_jump_remove_bucket(j, "\xff", 1, &b), RINGPAX_STATUS_INVALID_UTF8);
    CHECK_STATUS(ringpax_jump_remove_bucket(j, NAME("shard-d"), &b), RINGPAX_STATUS_OK);
    CHECK(b == 3);
    CHECK_STATUS(ringpax_jump_remove_bucket(j, NULL, 0, &b), RINGPAX_STATUS_OK);
    CHECK(b == 2 && ringpax_jump_bucket_count(j) == 2);
    CHECK_STATUS(ringpax_jump_bucket_index(j, NAME("shard-c"), &b), RINGPAX_STATUS_UNKNOWN_NODE);
    ringpax_jump_free(j);

    /* Constructor errors. */
    const char *dup[] = {"a", "a"};
    size_t dup_lens[] = {1, 1};
    j = NULL;
    CHECK_STATUS(ringpax_jump_new_named(dup, dup_lens, 2, RINGPAX_HASH_BLAKE3, NULL, 0, &j),
                 RINGPAX_STATUS_DUPLICATE_NODE);
    const char *bad[] = {"a", "\xff"};
    CHECK_STATUS(ringpax_jump_new_named(bad, dup_lens, 2, RINGPAX_HASH_BLAKE3, NULL, 0, &j),
                 RINGPAX_STATUS_INVALID_UTF8);
    const char *empty[] = {"a", ""};
    size_t empty_lens[] = {1, 0};
    CHECK_STATUS(ringpax_jump_new_named(empty, empty_lens, 2, RINGPAX_HASH_BLAKE3, NULL, 0, &j),
                 RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_jump_new_named(NULL, dup_lens, 2, RINGPAX_HASH_BLAKE3, NULL, 0, &j),
                 RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_jump_new_named(names, lens, 3, RINGPAX_HASH_BLAKE3, NULL, 0, NULL),
                 RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK(j == NULL);
    /* No names yet: a named jump hash with no buckets. */
    CHECK_STATUS(ringpax_jump_new_named(NULL, NULL, 0, RINGPAX_HASH_XXH3, NULL, 0, &j), RINGPAX_STATUS_OK);
    CHECK(ringpax_jump_is_named(j) && ringpax_jump_bucket_count(j) == 0);
    CHECK_STATUS(ringpax_jump_get(j, K("k"), &b), RINGPAX_STATUS_EMPTY_RING);
    CHECK_STATUS(ringpax_jump_add_bucket(j, NAME("first"), &b), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_jump_get(j, K("k"), &b), RINGPAX_STATUS_OK);
    CHECK(b == 0);
    ringpax_jump_free(j);
}

static ringpax_rendezvous *rendezvous_of(const char *const *names, const double *weights, int n) {
    ringpax_rendezvous *r = NULL;
    CHECK_STATUS(ringpax_rendezvous_new(RINGPAX_HASH_BLAKE3, NULL, 0, &r), RINGPAX_STATUS_OK);
    for (int i = 0; i < n; i++) {
        CHECK_STATUS(ringpax_rendezvous_add_node(r, NAME(names[i]), weights ? weights[i] : 1.0),
                     RINGPAX_STATUS_OK);
    }
    return r;
}

static void rendezvous_owner(const ringpax_rendezvous *r, const char *key, char *name, size_t cap) {
    CHECK_STATUS(ringpax_rendezvous_get(r, K(key), NULL, name, cap, NULL), RINGPAX_STATUS_OK);
}

static void test_rendezvous(void) {
    const char *abcd[] = {"d", "c", "b", "a"}; /* any insertion order */
    ringpax_rendezvous *r = rendezvous_of(abcd, NULL, 4);
    CHECK(ringpax_rendezvous_node_count(r) == 4);
    /* Spec values from the independent Python reference: full rankings of key0..key2. */
    const char *rank[3][4] = {{"b", "c", "d", "a"}, {"d", "b", "a", "c"}, {"c", "d", "b", "a"}};
    for (int i = 0; i < 3; i++) {
        char key[16];
        snprintf(key, sizeof key, "key%d", i);
        size_t idx[4];
        CHECK_STATUS(ringpax_rendezvous_get_nodes(r, K(key), 4, idx), RINGPAX_STATUS_OK);
        for (int k = 0; k < 4; k++) {
            char name[16];
            CHECK_STATUS(ringpax_rendezvous_node_name(r, idx[k], name, sizeof name, NULL), RINGPAX_STATUS_OK);
            CHECK(strcmp(name, rank[i][k]) == 0);
        }
        size_t first = 99, len = 0;
        char name[16];
        CHECK_STATUS(ringpax_rendezvous_get(r, K(key), &first, name, sizeof name, &len), RINGPAX_STATUS_OK);
        CHECK(first == idx[0] && strcmp(name, rank[i][0]) == 0 && len == 1);
    }
    /* Node accessors: indexes follow bytewise name order. */
    size_t idx = 9;
    CHECK_STATUS(ringpax_rendezvous_node_index(r, NAME("c"), &idx), RINGPAX_STATUS_OK);
    CHECK(idx == 2);
    CHECK_STATUS(ringpax_rendezvous_node_index(r, NAME("zz"), &idx), RINGPAX_STATUS_UNKNOWN_NODE);
    CHECK_STATUS(ringpax_rendezvous_node_index(r, NAME("c"), NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_rendezvous_node_index(r, "\xff", 1, &idx), RINGPAX_STATUS_INVALID_UTF8);
    double w = 0;
    CHECK_STATUS(ringpax_rendezvous_node_weight(r, 0, &w), RINGPAX_STATUS_OK);
    CHECK(w == 1.0);
    CHECK_STATUS(ringpax_rendezvous_node_weight(r, 4, &w), RINGPAX_STATUS_UNKNOWN_NODE);
    CHECK_STATUS(ringpax_rendezvous_node_weight(r, 0, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    char name[16], tiny[1];
    size_t len = 0;
    CHECK_STATUS(ringpax_rendezvous_node_name(r, 4, name, sizeof name, &len), RINGPAX_STATUS_UNKNOWN_NODE);
    CHECK_STATUS(ringpax_rendezvous_node_name(r, 0, tiny, sizeof tiny, &len), RINGPAX_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == 1);
    CHECK_STATUS(ringpax_rendezvous_node_name(NULL, 0, name, sizeof name, &len), RINGPAX_STATUS_NULL_ARGUMENT);
    /* get: every output optional; too small a buffer reports the length. */
    len = 0;
    CHECK_STATUS(ringpax_rendezvous_get(r, K("key0"), NULL, tiny, sizeof tiny, &len),
                 RINGPAX_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == 1);
    CHECK_STATUS(ringpax_rendezvous_get(r, K("key0"), NULL, NULL, 0, &len), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_rendezvous_get(r, K("key0"), NULL, NULL, 0, NULL), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_rendezvous_get(r, NULL, 0, &idx, NULL, 0, NULL), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_rendezvous_get(r, NULL, 2, &idx, NULL, 0, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_rendezvous_get(NULL, K("k"), &idx, NULL, 0, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    /* get_nodes: k up to the node count, best first. */
    size_t top[5];
    CHECK_STATUS(ringpax_rendezvous_get_nodes(r, K("key0"), 5, top), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("only 4");
    CHECK_STATUS(ringpax_rendezvous_get_nodes(r, K("key0"), 0, NULL), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_rendezvous_get_nodes(r, K("key0"), 2, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_rendezvous_get_nodes(NULL, K("key0"), 2, top), RINGPAX_STATUS_NULL_ARGUMENT);

    /* Membership errors; nothing changes on error. */
    CHECK_STATUS(ringpax_rendezvous_add_node(r, NAME("a"), 1.0), RINGPAX_STATUS_DUPLICATE_NODE);
    CHECK_STATUS(ringpax_rendezvous_add_node(r, "", 0, 1.0), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_rendezvous_add_node(r, NAME("e"), 0.0), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("weight");
    CHECK_STATUS(ringpax_rendezvous_add_node(r, NAME("e"), -1.0), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_rendezvous_add_node(r, NAME("e"), NAN), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_rendezvous_add_node(r, NAME("e"), INFINITY), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_rendezvous_add_node(r, "\xff\xfe", 2, 1.0), RINGPAX_STATUS_INVALID_UTF8);
    CHECK_STATUS(ringpax_rendezvous_add_node(r, NULL, 2, 1.0), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_rendezvous_add_node(NULL, NAME("e"), 1.0), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_rendezvous_remove_node(r, NAME("zz")), RINGPAX_STATUS_UNKNOWN_NODE);
    CHECK_STATUS(ringpax_rendezvous_remove_node(r, "\xff", 1), RINGPAX_STATUS_INVALID_UTF8);
    CHECK_STATUS(ringpax_rendezvous_remove_node(NULL, NAME("a")), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK(ringpax_rendezvous_node_count(r) == 4);

    /* Removing a node moves only its keys. */
    static char owner_before[2000][4];
    for (int i = 0; i < 2000; i++) {
        CHECK_STATUS(ringpax_rendezvous_get(r, batch_keys[i], batch_lens[i], NULL, owner_before[i],
                                            sizeof owner_before[i], NULL),
                     RINGPAX_STATUS_OK);
    }
    CHECK_STATUS(ringpax_rendezvous_remove_node(r, NAME("c")), RINGPAX_STATUS_OK);
    int only_c_moved = 1, c_keys = 0;
    for (int i = 0; i < 2000; i++) {
        char now[4];
        ringpax_rendezvous_get(r, batch_keys[i], batch_lens[i], NULL, now, sizeof now, NULL);
        if (strcmp(now, owner_before[i]) != 0) only_c_moved &= strcmp(owner_before[i], "c") == 0;
        c_keys += strcmp(owner_before[i], "c") == 0;
        only_c_moved &= strcmp(now, "c") != 0;
    }
    CHECK(only_c_moved && c_keys > 400 && c_keys < 600);

    /* Batches agree with single lookups (serial and parallel sizes). */
    static size_t out[BATCH];
    CHECK_STATUS(ringpax_rendezvous_get_many(r, batch_keys, batch_lens, BATCH, out), RINGPAX_STATUS_OK);
    int agree = 1;
    for (int i = 0; i < BATCH; i += 101) {
        size_t one = 99;
        ringpax_rendezvous_get(r, batch_keys[i], batch_lens[i], &one, NULL, 0, NULL);
        agree &= one == out[i];
    }
    CHECK(agree);
    CHECK_STATUS(ringpax_rendezvous_get_many(r, NULL, batch_lens, 2, out), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_rendezvous_get_many(r, batch_keys, batch_lens, 2, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_rendezvous_get_many(r, NULL, NULL, 0, NULL), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_rendezvous_get_many(NULL, batch_keys, batch_lens, 2, out), RINGPAX_STATUS_NULL_ARGUMENT);
    ringpax_rendezvous_free(r);

    /* Weighted: spec values, and shares follow weights. */
    const char *abc[] = {"a", "b", "c"};
    const double weights[] = {1.0, 2.0, 0.5};
    r = rendezvous_of(abc, weights, 3);
    const char *want = "bbcbcabbca";
    for (int i = 0; i < 10; i++) {
        char key[16], owner[4];
        snprintf(key, sizeof key, "key%d", i);
        rendezvous_owner(r, key, owner, sizeof owner);
        CHECK(owner[0] == want[i] && owner[1] == 0);
    }
    CHECK_STATUS(ringpax_rendezvous_get_many(r, batch_keys, batch_lens, 35000, out), RINGPAX_STATUS_OK);
    size_t counts[3] = {0, 0, 0};
    for (int i = 0; i < 35000; i++) counts[out[i]]++;
    /* Expected 10000 / 20000 / 5000. */
    CHECK(counts[0] > 9400 && counts[0] < 10600);
    CHECK(counts[1] > 19300 && counts[1] < 20700);
    CHECK(counts[2] > 4600 && counts[2] < 5400);
    CHECK_STATUS(ringpax_rendezvous_node_weight(r, 2, &w), RINGPAX_STATUS_OK);
    CHECK(w == 0.5);
    ringpax_rendezvous_free(r);

    /* Empty set. */
    r = NULL;
    CHECK_STATUS(ringpax_rendezvous_new(RINGPAX_HASH_XXH3, NULL, 0, &r), RINGPAX_STATUS_OK);
    idx = 55;
    CHECK_STATUS(ringpax_rendezvous_get(r, K("k"), &idx, NULL, 0, NULL), RINGPAX_STATUS_EMPTY_RING);
    CHECK(idx == 55);
    CHECK_STATUS(ringpax_rendezvous_get_nodes(r, K("k"), 0, NULL), RINGPAX_STATUS_EMPTY_RING);
    CHECK_STATUS(ringpax_rendezvous_get_many(r, batch_keys, batch_lens, 2, out), RINGPAX_STATUS_EMPTY_RING);
    CHECK_STATUS(ringpax_rendezvous_new(RINGPAX_HASH_XXH3, NULL, 0, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK(ringpax_rendezvous_node_count(NULL) == 0);
    ringpax_rendezvous_free(r);
    ringpax_rendezvous_free(NULL);
}

static void test_maglev(void) {
    ringpax_maglev *m = NULL;
    /* Table sizes: prime, in range. */
    CHECK_STATUS(ringpax_maglev_new(65536, RINGPAX_HASH_BLAKE3, NULL, 0, &m), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("65521 and 65537");
    CHECK_STATUS(ringpax_maglev_new(0, RINGPAX_HASH_BLAKE3, NULL, 0, &m), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_new(1, RINGPAX_HASH_BLAKE3, NULL, 0, &m), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_new(1ULL << 40, RINGPAX_HASH_BLAKE3, NULL, 0, &m), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("between 2 and");
    CHECK_STATUS(ringpax_maglev_new(13, RINGPAX_HASH_BLAKE3, NULL, 0, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK(m == NULL);

    /* The spec on a 13-entry table (independent Python reference). */
    CHECK_STATUS(ringpax_maglev_new(13, RINGPAX_HASH_BLAKE3, NULL, 0, &m), RINGPAX_STATUS_OK);
    CHECK(ringpax_maglev_table_size(m) == 13);
    uint32_t table[13];
    size_t len = 99;
    CHECK_STATUS(ringpax_maglev_table(m, NULL, 0, &len), RINGPAX_STATUS_OK); /* no nodes, no table */
    CHECK(len == 0);
    const char *abc[] = {"c", "a", "b"};
    size_t abc_lens[] = {1, 1, 1};
    CHECK_STATUS(ringpax_maglev_add_nodes(m, abc, abc_lens, NULL, 3), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_maglev_table(m, table, 13, &len), RINGPAX_STATUS_OK);
    const uint32_t plain[13] = {1, 0, 1, 2, 0, 2, 0, 0, 1, 0, 2, 1, 2};
    CHECK(len == 13 && memcmp(table, plain, sizeof table) == 0);
    CHECK_STATUS(ringpax_maglev_table(m, table, 12, &len), RINGPAX_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == 13);
    CHECK_STATUS(ringpax_maglev_table(m, NULL, 13, &len), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_table(NULL, table, 13, &len), RINGPAX_STATUS_NULL_ARGUMENT);
    /* A lookup reads table[hash % 13]. */
    int agree = 1;
    for (int i = 0; i < 500; i++) {
        uint64_t h = 0;
        size_t idx = 99;
        ringpax_maglev_hash(m, batch_keys[i], batch_lens[i], &h);
        ringpax_maglev_get(m, batch_keys[i], batch_lens[i], &idx, NULL, 0, NULL);
        agree &= idx == table[h % 13];
    }
    CHECK(agree);
    ringpax_maglev_free(m);

    /* Weighted, in one batch: a=1, b=2, c=1. */
    m = NULL;
    CHECK_STATUS(ringpax_maglev_new(13, RINGPAX_HASH_BLAKE3, NULL, 0, &m), RINGPAX_STATUS_OK);
    const char *abc_sorted[] = {"a", "b", "c"};
    const double w121[] = {1.0, 2.0, 1.0};
    CHECK_STATUS(ringpax_maglev_add_nodes(m, abc_sorted, abc_lens, w121, 3), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_maglev_table(m, table, 13, NULL), RINGPAX_STATUS_OK);
    const uint32_t weighted[13] = {1, 0, 1, 2, 0, 1, 1, 0, 1, 0, 2, 1, 2};
    CHECK(memcmp(table, weighted, sizeof table) == 0);
    double w = 0;
    CHECK_STATUS(ringpax_maglev_node_weight(m, 1, &w), RINGPAX_STATUS_OK);
    CHECK(w == 2.0);
    CHECK_STATUS(ringpax_maglev_node_weight(m, 3, &w), RINGPAX_STATUS_UNKNOWN_NODE);
    CHECK_STATUS(ringpax_maglev_node_weight(m, 0, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    /* Batch errors add nothing. */
    const char *dup[] = {"d", "d"};
    CHECK_STATUS(ringpax_maglev_add_nodes(m, dup, abc_lens, NULL, 2), RINGPAX_STATUS_DUPLICATE_NODE);
    const char *bad[] = {"d", "\xff"};
    CHECK_STATUS(ringpax_maglev_add_nodes(m, bad, abc_lens, NULL, 2), RINGPAX_STATUS_INVALID_UTF8);
    const double bad_w[] = {1.0, -3.0};
    const char *de[] = {"d", "e"};
    CHECK_STATUS(ringpax_maglev_add_nodes(m, de, abc_lens, bad_w, 2), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_add_nodes(m, NULL, abc_lens, NULL, 2), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_add_nodes(NULL, de, abc_lens, NULL, 2), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_add_nodes(m, NULL, NULL, NULL, 0), RINGPAX_STATUS_OK);
    CHECK(ringpax_maglev_node_count(m) == 3);
    ringpax_maglev_free(m);

    /* The table must stay larger than the node count. */
    m = NULL;
    CHECK_STATUS(ringpax_maglev_new(5, RINGPAX_HASH_XXH3, NULL, 0, &m), RINGPAX_STATUS_OK);
    const char *four[] = {"n1", "n2", "n3", "n4"};
    size_t four_lens[] = {2, 2, 2, 2};
    CHECK_STATUS(ringpax_maglev_add_nodes(m, four, four_lens, NULL, 4), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_maglev_add_node(m, NAME("n5"), 1.0), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("larger than the number of nodes");
    CHECK(ringpax_maglev_node_count(m) == 4);
    ringpax_maglev_free(m);

    /* Balance and disruption at the default size with 100 nodes. */
    m = NULL;
    CHECK_STATUS(ringpax_maglev_new(RINGPAX_MAGLEV_DEFAULT_TABLE_SIZE, RINGPAX_HASH_BLAKE3, NULL, 0, &m),
                 RINGPAX_STATUS_OK);
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof name, "backend-%03d", i);
        CHECK_STATUS(ringpax_maglev_add_node(m, NAME(name), 1.0), RINGPAX_STATUS_OK);
    }
    static uint32_t before[65537], after[65537];
    CHECK_STATUS(ringpax_maglev_table(m, before, 65537, &len), RINGPAX_STATUS_OK);
    size_t counts[100] = {0};
    for (size_t i = 0; i < len; i++) counts[before[i]]++;
    size_t min = counts[0], max = counts[0];
    for (int i = 1; i < 100; i++) {
        if (counts[i] < min) min = counts[i];
        if (counts[i] > max) max = counts[i];
    }
    CHECK(len == 65537 && max - min <= 1);
    /* Remove backend-050 (index 50): indexes above it shift down by one. */
    CHECK_STATUS(ringpax_maglev_remove_node(m, NAME("backend-050")), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_maglev_table(m, after, 65537, NULL), RINGPAX_STATUS_OK);
    size_t own = 0, extra = 0;
    for (size_t i = 0; i < 65537; i++) {
        uint32_t was = before[i];
        if (was == 50) {
            own++;
            continue;
        }
        uint32_t now = after[i] >= 50 ? after[i] + 1 : after[i];
        extra += now != was;
    }
    printf("test_algorithms: maglev M=65537 n=100, remove one node: %.2f%% of entries were its own, "
           "%.2f%% more changed; entries per node %zu..%zu\n",
           100.0 * (double)own / 65537, 100.0 * (double)extra / 65537, min, max);
    CHECK(extra < 65537 / 20);

    /* Lookups, batches and accessors. */
    size_t idx = 0;
    char name[32], tiny[3];
    CHECK_STATUS(ringpax_maglev_get(m, K("user:1"), &idx, name, sizeof name, &len), RINGPAX_STATUS_OK);
    char by_index[32];
    CHECK_STATUS(ringpax_maglev_node_name(m, idx, by_index, sizeof by_index, NULL), RINGPAX_STATUS_OK);
    CHECK(strcmp(name, by_index) == 0 && len == strlen(name));
    size_t back = 0;
    CHECK_STATUS(ringpax_maglev_node_index(m, NAME(name), &back), RINGPAX_STATUS_OK);
    CHECK(back == idx);
    CHECK_STATUS(ringpax_maglev_node_index(m, NAME("backend-050"), &back), RINGPAX_STATUS_UNKNOWN_NODE);
    CHECK_STATUS(ringpax_maglev_node_index(m, NAME("x"), NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_node_index(m, "\xff", 1, &back), RINGPAX_STATUS_INVALID_UTF8);
    CHECK_STATUS(ringpax_maglev_node_name(m, 99, name, sizeof name, NULL), RINGPAX_STATUS_UNKNOWN_NODE);
    CHECK_STATUS(ringpax_maglev_node_name(m, 0, tiny, sizeof tiny, &len), RINGPAX_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == strlen("backend-000"));
    CHECK_STATUS(ringpax_maglev_get(m, K("user:1"), NULL, tiny, sizeof tiny, &len), RINGPAX_STATUS_BUFFER_TOO_SMALL);
    CHECK_STATUS(ringpax_maglev_get(m, NULL, 3, &idx, NULL, 0, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_get(NULL, K("k"), &idx, NULL, 0, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    static size_t out[BATCH];
    CHECK_STATUS(ringpax_maglev_get_many(m, batch_keys, batch_lens, BATCH, out), RINGPAX_STATUS_OK);
    agree = 1;
    for (int i = 0; i < BATCH; i += 89) {
        size_t one = 999;
        ringpax_maglev_get(m, batch_keys[i], batch_lens[i], &one, NULL, 0, NULL);
        agree &= one == out[i];
    }
    CHECK(agree);
    CHECK_STATUS(ringpax_maglev_get_many(m, batch_keys, NULL, 2, out), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_get_many(m, batch_keys, batch_lens, 2, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_get_many(m, NULL, NULL, 0, NULL), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_maglev_get_many(NULL, batch_keys, batch_lens, 2, out), RINGPAX_STATUS_NULL_ARGUMENT);
    uint64_t h = 0;
    CHECK_STATUS(ringpax_maglev_hash(m, K("k"), NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_hash(NULL, K("k"), &h), RINGPAX_STATUS_NULL_ARGUMENT);

    /* Membership errors. */
    CHECK_STATUS(ringpax_maglev_add_node(m, NAME("backend-001"), 1.0), RINGPAX_STATUS_DUPLICATE_NODE);
    CHECK_STATUS(ringpax_maglev_add_node(m, "", 0, 1.0), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_add_node(m, NAME("new"), 2e9), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_add_node(m, "\xe2\x82", 2, 1.0), RINGPAX_STATUS_INVALID_UTF8);
    CHECK_STATUS(ringpax_maglev_add_node(m, NULL, 1, 1.0), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_add_node(NULL, NAME("new"), 1.0), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_maglev_remove_node(m, NAME("backend-050")), RINGPAX_STATUS_UNKNOWN_NODE);
    CHECK_STATUS(ringpax_maglev_remove_node(m, "\xff", 1), RINGPAX_STATUS_INVALID_UTF8);
    CHECK_STATUS(ringpax_maglev_remove_node(NULL, NAME("backend-001")), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK(ringpax_maglev_node_count(m) == 99);
    ringpax_maglev_free(m);

    /* Empty. */
    m = NULL;
    CHECK_STATUS(ringpax_maglev_new(251, RINGPAX_HASH_BLAKE3_KEYED, SECRET, 32, &m), RINGPAX_STATUS_OK);
    idx = 42;
    CHECK_STATUS(ringpax_maglev_get(m, K("k"), &idx, NULL, 0, NULL), RINGPAX_STATUS_EMPTY_RING);
    CHECK(idx == 42);
    CHECK_STATUS(ringpax_maglev_get_many(m, batch_keys, batch_lens, 2, out), RINGPAX_STATUS_EMPTY_RING);
    CHECK_STATUS(ringpax_maglev_add_node(m, NAME("only"), 1.0), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_maglev_get(m, K("k"), &idx, NULL, 0, NULL), RINGPAX_STATUS_OK);
    CHECK(idx == 0);
    CHECK_STATUS(ringpax_maglev_remove_node(m, NAME("only")), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_maglev_get(m, K("k"), &idx, NULL, 0, NULL), RINGPAX_STATUS_EMPTY_RING);
    CHECK(ringpax_maglev_table_size(NULL) == 0 && ringpax_maglev_node_count(NULL) == 0);
    ringpax_maglev_free(m);
    ringpax_maglev_free(NULL);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    make_batch();
    test_hash_arguments();
    test_jump();
    test_jump_named();
    test_rendezvous();
    test_maglev();
    printf("test_algorithms: %d checks, %d failed\n", checks, failures);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
