/* C tests of the ring API: every function, every error path, and the shared vectors.
 * Built by `make test-c` with -std=c11 -Wall -Wextra -Wpedantic -Werror -fsanitize=address. */
#include "ringpax.h"

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

static void test_messages(void) {
    char buf[256];
    size_t len = 0;
    const ringpax_status all[] = {
        RINGPAX_STATUS_OK,          RINGPAX_STATUS_NULL_ARGUMENT, RINGPAX_STATUS_INVALID_ARGUMENT,
        RINGPAX_STATUS_INVALID_UTF8, RINGPAX_STATUS_BUFFER_TOO_SMALL, RINGPAX_STATUS_EMPTY_RING,
        RINGPAX_STATUS_DUPLICATE_NODE, RINGPAX_STATUS_UNKNOWN_NODE, RINGPAX_STATUS_PANIC,
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

int main(int argc, char **argv) {
    test_messages();
    test_lifecycle_and_errors();
    test_lookups();
    test_vectors(argc > 1 ? argv[1] : "tests/vectors/ring.tsv");
    printf("test_ring: %d checks, %d failed\n", checks, failures);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
