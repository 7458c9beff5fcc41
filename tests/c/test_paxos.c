/* C tests of the Paxos API: the simulator, and a 3-node decision by sans-IO nodes over an
 * in-memory network written here, plus every function's error paths (NULL pointers, unknown
 * names, malformed wire bytes, too-small buffers).
 * Built by `make test-c` with -std=c11 -Wall -Wextra -Wpedantic -Werror -fsanitize=address.
 * argv[1] (the ring vectors) is not used. */
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
#define S(str) (str), strlen(str)
#define B(str) (const uint8_t *)(str), strlen(str)

static void last_error_contains(const char *needle) {
    char buf[512];
    size_t len = 0;
    CHECK_STATUS(ringpax_last_error_message(buf, sizeof buf, &len), RINGPAX_STATUS_OK);
    CHECK(strstr(buf, needle) != NULL);
    if (strstr(buf, needle) == NULL) fprintf(stderr, "  last error was: %s\n", buf);
}

static void test_messages(void) {
    const ringpax_status all[] = {
        RINGPAX_STATUS_NO_QUORUM,          RINGPAX_STATUS_MALFORMED_MESSAGE,
        RINGPAX_STATUS_NODE_DOWN,          RINGPAX_STATUS_NOT_DECIDED,
        RINGPAX_STATUS_CLUSTER_INCOMPLETE, RINGPAX_STATUS_UNKNOWN_MEMBER,
        RINGPAX_STATUS_DUPLICATE_MEMBER,   RINGPAX_STATUS_MISADDRESSED,
        RINGPAX_STATUS_SAFETY_VIOLATION,
    };
    char buf[256];
    size_t len = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        CHECK((int)all[i] >= 300 && (int)all[i] < 400);
        CHECK_STATUS(ringpax_status_message(all[i], buf, sizeof buf, &len), RINGPAX_STATUS_OK);
        CHECK(len > 0 && len == strlen(buf));
    }
    CHECK(RINGPAX_PAXOS_WIRE_VERSION == 1);
}

/* A cluster of nodes node1..node<n>. */
static ringpax_paxos *cluster_with(uint32_t n, const ringpax_paxos_options *opts) {
    ringpax_paxos *p = NULL;
    CHECK_STATUS(ringpax_paxos_new_with(n, opts, &p), RINGPAX_STATUS_OK);
    for (uint32_t i = 1; i <= n; i++) {
        char name[16];
        snprintf(name, sizeof name, "node%u", (unsigned)i);
        CHECK_STATUS(ringpax_paxos_add_node(p, S(name)), RINGPAX_STATUS_OK);
    }
    return p;
}

static ringpax_paxos *cluster(uint32_t n, uint64_t seed) {
    ringpax_paxos_options opts = ringpax_paxos_options_default();
    opts.seed = seed;
    return cluster_with(n, &opts);
}

static void test_sim_article_decision(void) {
    ringpax_paxos *p = cluster(3, 0);
    uint8_t out[64];
    size_t len = 0;
    CHECK_STATUS(ringpax_paxos_propose(p, B("value1"), out, sizeof out, &len), RINGPAX_STATUS_OK);
    CHECK(len == 6 && memcmp(out, "value1", 6) == 0);
    const char *names[] = {"node1", "node2", "node3"};
    for (int i = 0; i < 3; i++) {
        ringpax_paxos_state st = RINGPAX_PAXOS_STATE_IDLE;
        CHECK_STATUS(ringpax_paxos_status(p, S(names[i]), &st), RINGPAX_STATUS_OK);
        CHECK(st == RINGPAX_PAXOS_STATE_ACCEPT);
    }
    /* A fault-free decision costs exactly 4 (n - 1) messages in one round. */
    ringpax_paxos_counters stats;
    CHECK_STATUS(ringpax_paxos_stats(p, &stats), RINGPAX_STATUS_OK);
    CHECK(stats.sent == 8 && stats.delivered == 8 && stats.rounds == 1 && stats.dropped == 0);
    /* Once chosen, every proposal returns it. */
    len = 0;
    CHECK_STATUS(ringpax_paxos_propose_from(p, S("node3"), B("other"), out, sizeof out, &len),
                 RINGPAX_STATUS_OK);
    CHECK(len == 6 && memcmp(out, "value1", 6) == 0);
    len = 0;
    CHECK_STATUS(ringpax_paxos_chosen(p, out, sizeof out, &len), RINGPAX_STATUS_OK);
    CHECK(len == 6 && memcmp(out, "value1", 6) == 0);
    /* Too small a buffer: the length is reported; NULL asks for the length only. */
    uint8_t tiny[3];
    len = 0;
    CHECK_STATUS(ringpax_paxos_propose(p, B("x"), tiny, sizeof tiny, &len),
                 RINGPAX_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == 6);
    len = 0;
    CHECK_STATUS(ringpax_paxos_chosen(p, NULL, 0, &len), RINGPAX_STATUS_OK);
    CHECK(len == 6);
    CHECK_STATUS(ringpax_paxos_propose(p, B("x"), NULL, 0, NULL), RINGPAX_STATUS_OK);
    /* Empty values are values. */
    ringpax_paxos *q = cluster(1, 0);
    len = 99;
    CHECK_STATUS(ringpax_paxos_propose(q, NULL, 0, out, sizeof out, &len), RINGPAX_STATUS_OK);
    CHECK(len == 0);
    ringpax_paxos_free(q);
    ringpax_paxos_free(p);
    ringpax_paxos_free(NULL);
}

static void test_sim_errors(void) {
    ringpax_paxos *p = NULL;
    CHECK_STATUS(ringpax_paxos_new(0, 1, &p), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK(p == NULL);
    CHECK_STATUS(ringpax_paxos_new(3, 1, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_new(3, 1, &p), RINGPAX_STATUS_OK);

    uint8_t out[16];
    size_t len = 0;
    CHECK_STATUS(ringpax_paxos_propose(p, B("v"), out, sizeof out, &len),
                 RINGPAX_STATUS_CLUSTER_INCOMPLETE);
    last_error_contains("only 0 of 3 nodes added");
    CHECK_STATUS(ringpax_paxos_add_node(p, S("a")), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_add_node(p, S("a")), RINGPAX_STATUS_DUPLICATE_MEMBER);
    CHECK_STATUS(ringpax_paxos_add_node(p, "", 0), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_add_node(p, "\xff\xfe", 2), RINGPAX_STATUS_INVALID_UTF8);
    CHECK_STATUS(ringpax_paxos_add_node(p, NULL, 1), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_add_node(NULL, S("b")), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_add_node(p, S("b")), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_propose(p, B("v"), out, sizeof out, &len),
                 RINGPAX_STATUS_CLUSTER_INCOMPLETE);
    last_error_contains("only 2 of 3");
    CHECK_STATUS(ringpax_paxos_add_node(p, S("c")), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_add_node(p, S("d")), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("already has all 3 nodes");

    ringpax_paxos_state st = RINGPAX_PAXOS_STATE_ACCEPT;
    CHECK_STATUS(ringpax_paxos_status(p, S("zz"), &st), RINGPAX_STATUS_UNKNOWN_MEMBER);
    CHECK(st == RINGPAX_PAXOS_STATE_ACCEPT); /* out-params untouched on error */
    last_error_contains("\"zz\"");
    CHECK_STATUS(ringpax_paxos_status(p, S("a"), NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_status(NULL, S("a"), &st), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_status(p, S("a"), &st), RINGPAX_STATUS_OK);
    CHECK(st == RINGPAX_PAXOS_STATE_IDLE);
    CHECK_STATUS(ringpax_paxos_crash(p, S("zz")), RINGPAX_STATUS_UNKNOWN_MEMBER);
    CHECK_STATUS(ringpax_paxos_restart(p, S("zz")), RINGPAX_STATUS_UNKNOWN_MEMBER);
    CHECK_STATUS(ringpax_paxos_crash(NULL, S("a")), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_restart(p, NULL, 1), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_propose_from(p, S("zz"), B("v"), out, sizeof out, &len),
                 RINGPAX_STATUS_UNKNOWN_MEMBER);
    CHECK_STATUS(ringpax_paxos_propose(NULL, B("v"), out, sizeof out, &len),
                 RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_propose(p, NULL, 3, out, sizeof out, &len),
                 RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_chosen(p, out, sizeof out, &len), RINGPAX_STATUS_NOT_DECIDED);
    CHECK_STATUS(ringpax_paxos_chosen(NULL, out, sizeof out, &len), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_set_network(p, 1.5, 0.0, 1, 1), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_set_network(p, 0.0, 0.0, 0, 1), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_set_network(p, 0.0, 0.0, 3, 2), RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_set_network(NULL, 0.0, 0.0, 1, 1), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_heal(NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    ringpax_paxos_counters stats;
    CHECK_STATUS(ringpax_paxos_stats(p, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_stats(NULL, &stats), RINGPAX_STATUS_NULL_ARGUMENT);

    const char *names[] = {"a", "b", "zz"};
    const size_t lens[] = {1, 1, 2};
    const uint32_t groups[] = {0, 0, 1};
    CHECK_STATUS(ringpax_paxos_partition(p, names, lens, groups, 3), RINGPAX_STATUS_UNKNOWN_MEMBER);
    const char *twice[] = {"a", "a"};
    CHECK_STATUS(ringpax_paxos_partition(p, twice, lens, groups, 2),
                 RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_partition(p, NULL, lens, groups, 2), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_partition(p, NULL, NULL, NULL, 0), RINGPAX_STATUS_OK); /* heals */
    CHECK_STATUS(ringpax_paxos_partition(NULL, names, lens, groups, 2),
                 RINGPAX_STATUS_NULL_ARGUMENT);
    ringpax_paxos_free(p);
}

static void test_sim_faults(void) {
    ringpax_paxos *p = cluster(5, 7);
    uint8_t out[16];
    size_t len = 0;
    /* A majority down: no quorum, after a bounded number of rounds. */
    CHECK_STATUS(ringpax_paxos_crash(p, S("node3")), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_crash(p, S("node4")), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_crash(p, S("node5")), RINGPAX_STATUS_OK);
    ringpax_paxos_state st = RINGPAX_PAXOS_STATE_IDLE;
    CHECK_STATUS(ringpax_paxos_status(p, S("node4"), &st), RINGPAX_STATUS_OK);
    CHECK(st == RINGPAX_PAXOS_STATE_DOWN);
    CHECK_STATUS(ringpax_paxos_propose(p, B("x"), out, sizeof out, &len), RINGPAX_STATUS_NO_QUORUM);
    last_error_contains("no decision after");
    CHECK_STATUS(ringpax_paxos_propose_from(p, S("node3"), B("x"), out, sizeof out, &len),
                 RINGPAX_STATUS_NODE_DOWN);
    CHECK_STATUS(ringpax_paxos_restart(p, S("node5")), RINGPAX_STATUS_OK);
    len = 0;
    CHECK_STATUS(ringpax_paxos_propose(p, B("x"), out, sizeof out, &len), RINGPAX_STATUS_OK);
    CHECK(len == 1 && out[0] == 'x');
    CHECK_STATUS(ringpax_paxos_restart(p, S("node3")), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_restart(p, S("node4")), RINGPAX_STATUS_OK);
    ringpax_paxos_free(p);

    /* The majority side of a partition decides; the minority side learns it after the heal. */
    p = cluster(5, 8);
    const char *names[] = {"node1", "node2", "node3", "node4", "node5"};
    const size_t lens[] = {5, 5, 5, 5, 5};
    const uint32_t groups[] = {7, 7, 9, 9, 9};
    CHECK_STATUS(ringpax_paxos_partition(p, names, lens, groups, 5), RINGPAX_STATUS_OK);
    len = 0;
    CHECK_STATUS(ringpax_paxos_propose_from(p, S("node4"), B("maj"), out, sizeof out, &len),
                 RINGPAX_STATUS_OK);
    CHECK(len == 3 && memcmp(out, "maj", 3) == 0);
    CHECK_STATUS(ringpax_paxos_propose(p, B("min"), out, sizeof out, &len),
                 RINGPAX_STATUS_NO_QUORUM);
    CHECK_STATUS(ringpax_paxos_heal(p), RINGPAX_STATUS_OK);
    len = 0;
    CHECK_STATUS(ringpax_paxos_propose_from(p, S("node2"), B("min"), out, sizeof out, &len),
                 RINGPAX_STATUS_OK);
    CHECK(len == 3 && memcmp(out, "maj", 3) == 0);
    ringpax_paxos_free(p);

    /* 20% loss, duplication, reordering and a crashed node: still one safe decision. */
    for (uint64_t seed = 0; seed < 20; seed++) {
        p = cluster(5, seed);
        CHECK_STATUS(ringpax_paxos_set_network(p, 0.2, 0.1, 1, 6), RINGPAX_STATUS_OK);
        CHECK_STATUS(ringpax_paxos_crash(p, S("node5")), RINGPAX_STATUS_OK);
        len = 0;
        CHECK_STATUS(ringpax_paxos_propose(p, B("v"), out, sizeof out, &len), RINGPAX_STATUS_OK);
        CHECK(len == 1 && out[0] == 'v');
        ringpax_paxos_counters stats;
        CHECK_STATUS(ringpax_paxos_stats(p, &stats), RINGPAX_STATUS_OK);
        CHECK(stats.delivered + stats.dropped == stats.sent + stats.duplicated);
        CHECK(stats.crashes == 1);
        ringpax_paxos_free(p);
    }
}

static int is_one_of(const uint8_t *v, size_t len, const char *a, const char *b) {
    return (len == strlen(a) && memcmp(v, a, len) == 0) ||
           (len == strlen(b) && memcmp(v, b, len) == 0);
}

/* Options, duelling proposers and the message-sequence chart. */
static void test_sim_options_contend_trace(void) {
    ringpax_paxos_options opts = ringpax_paxos_options_default();
    CHECK(opts.seed == 0 && opts.max_rounds == RINGPAX_PAXOS_DEFAULT_MAX_ROUNDS && !opts.trace);
    ringpax_paxos *p = NULL;
    CHECK_STATUS(ringpax_paxos_new_with(3, NULL, &p), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_new_with(3, &opts, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_new_with(0, &opts, &p), RINGPAX_STATUS_INVALID_ARGUMENT);
    opts.max_rounds = 0;
    CHECK_STATUS(ringpax_paxos_new_with(3, &opts, &p), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("max_rounds");
    CHECK(p == NULL);

    /* Two proposers at once: exactly one of their values is chosen, by every node. */
    opts = ringpax_paxos_options_default();
    opts.trace = true;
    for (uint64_t seed = 0; seed < 10; seed++) {
        opts.seed = seed;
        p = cluster_with(3, &opts);
        const ringpax_paxos_proposal duel[] = {
            {"node1", 5, (const uint8_t *)"apple", 5},
            {"node2", 5, (const uint8_t *)"banana", 6},
        };
        uint8_t out[16];
        size_t len = 0;
        CHECK_STATUS(ringpax_paxos_contend(p, duel, 2, out, sizeof out, &len), RINGPAX_STATUS_OK);
        CHECK(is_one_of(out, len, "apple", "banana"));
        uint8_t again[16];
        size_t again_len = 0;
        CHECK_STATUS(ringpax_paxos_chosen(p, again, sizeof again, &again_len), RINGPAX_STATUS_OK);
        CHECK(again_len == len && memcmp(again, out, len) == 0);
        ringpax_paxos_counters stats;
        CHECK_STATUS(ringpax_paxos_stats(p, &stats), RINGPAX_STATUS_OK);
        /* Acceptors report to proposers, so the two proposers are the learners. */
        CHECK(stats.rounds >= 2 && stats.learned == 2);

        /* The chart: length first, then the text; names and values in it. */
        size_t chart_len = 0;
        CHECK_STATUS(ringpax_paxos_trace(p, NULL, 0, &chart_len), RINGPAX_STATUS_OK);
        CHECK(chart_len > 0);
        char *chart = malloc(chart_len + 1);
        size_t got = 0;
        CHECK_STATUS(ringpax_paxos_trace(p, chart, chart_len, &got), RINGPAX_STATUS_OK);
        CHECK(got == chart_len);
        chart[got] = 0;
        CHECK(strncmp(chart, "nodes: n0=node1 n1=node2 n2=node3\n", 34) == 0);
        CHECK(strstr(chart, "propose 'apple'") != NULL);
        CHECK(strstr(chart, "propose 'banana'") != NULL);
        CHECK(strstr(chart, "learns '") != NULL);
        free(chart);
        char tiny[8];
        got = 0;
        CHECK_STATUS(ringpax_paxos_trace(p, tiny, sizeof tiny, &got),
                     RINGPAX_STATUS_BUFFER_TOO_SMALL);
        CHECK(got == chart_len);
        ringpax_paxos_free(p);
    }

    /* Bytes that are not printable are escaped in the chart. */
    p = cluster_with(3, &opts);
    uint8_t out[16];
    size_t len = 0;
    CHECK_STATUS(ringpax_paxos_propose(p, (const uint8_t *)"\x01z", 2, out, sizeof out, &len),
                 RINGPAX_STATUS_OK);
    char chart[4096];
    size_t chart_len = 0;
    CHECK_STATUS(ringpax_paxos_trace(p, chart, sizeof chart - 1, &chart_len), RINGPAX_STATUS_OK);
    chart[chart_len] = 0;
    CHECK(strstr(chart, "'\\x01z'") != NULL);
    ringpax_paxos_free(p);

    /* A node may propose twice in one call; the value is still one of those proposed. */
    p = cluster_with(5, &opts);
    const ringpax_paxos_proposal twice[] = {
        {"node1", 5, (const uint8_t *)"a", 1},
        {"node1", 5, (const uint8_t *)"b", 1},
        {"node4", 5, NULL, 0},
    };
    CHECK_STATUS(ringpax_paxos_contend(p, twice, 3, out, sizeof out, &len), RINGPAX_STATUS_OK);
    CHECK(len <= 1 && (len == 0 || out[0] == 'a' || out[0] == 'b'));
    ringpax_paxos_free(p);

    /* Error paths; nothing is submitted when any proposal is bad. */
    p = cluster_with(3, &opts);
    ringpax_paxos_proposal bad[] = {
        {"node1", 5, (const uint8_t *)"v", 1},
        {"nope", 4, (const uint8_t *)"v", 1},
    };
    CHECK_STATUS(ringpax_paxos_contend(p, bad, 2, out, sizeof out, &len),
                 RINGPAX_STATUS_UNKNOWN_MEMBER);
    CHECK_STATUS(ringpax_paxos_chosen(p, out, sizeof out, &len), RINGPAX_STATUS_NOT_DECIDED);
    bad[1].node = "\xff\xfe";
    bad[1].node_len = 2;
    CHECK_STATUS(ringpax_paxos_contend(p, bad, 2, out, sizeof out, &len),
                 RINGPAX_STATUS_INVALID_UTF8);
    last_error_contains("proposals[1].node");
    bad[1].node = "node2";
    bad[1].node_len = 5;
    bad[1].value = NULL;
    CHECK_STATUS(ringpax_paxos_contend(p, bad, 2, out, sizeof out, &len),
                 RINGPAX_STATUS_NULL_ARGUMENT);
    last_error_contains("proposals[1].value");
    bad[1].node = NULL;
    CHECK_STATUS(ringpax_paxos_contend(p, bad, 2, out, sizeof out, &len),
                 RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_contend(p, bad, 0, out, sizeof out, &len),
                 RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_contend(p, NULL, 1, out, sizeof out, &len),
                 RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_contend(NULL, bad, 1, out, sizeof out, &len),
                 RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_crash(p, S("node2")), RINGPAX_STATUS_OK);
    const ringpax_paxos_proposal down[] = {
        {"node1", 5, (const uint8_t *)"v", 1},
        {"node2", 5, (const uint8_t *)"w", 1},
    };
    CHECK_STATUS(ringpax_paxos_contend(p, down, 2, out, sizeof out, &len), RINGPAX_STATUS_NODE_DOWN);
    CHECK_STATUS(ringpax_paxos_chosen(p, out, sizeof out, &len), RINGPAX_STATUS_NOT_DECIDED);
    CHECK_STATUS(ringpax_paxos_contend(p, down, 1, NULL, 0, &len), RINGPAX_STATUS_OK);
    CHECK(len == 1);
    CHECK_STATUS(ringpax_paxos_trace(NULL, NULL, 0, &len), RINGPAX_STATUS_NULL_ARGUMENT);
    ringpax_paxos_free(p);

    ringpax_paxos_options quiet = ringpax_paxos_options_default();
    ringpax_paxos *q = NULL;
    CHECK_STATUS(ringpax_paxos_new_with(3, &quiet, &q), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_contend(q, down, 1, out, sizeof out, &len),
                 RINGPAX_STATUS_CLUSTER_INCOMPLETE);
    CHECK_STATUS(ringpax_paxos_trace(q, NULL, 0, &len), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("tracing is off");
    ringpax_paxos_free(q);

    /* max_rounds bounds a hopeless proposal. */
    quiet.max_rounds = 3;
    p = cluster_with(5, &quiet);
    CHECK_STATUS(ringpax_paxos_crash(p, S("node3")), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_crash(p, S("node4")), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_crash(p, S("node5")), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_propose(p, B("x"), out, sizeof out, &len), RINGPAX_STATUS_NO_QUORUM);
    ringpax_paxos_counters stats;
    CHECK_STATUS(ringpax_paxos_stats(p, &stats), RINGPAX_STATUS_OK);
    CHECK(stats.rounds >= 3 && stats.rounds < 10); /* the default would run ~1000 */
    ringpax_paxos_free(p);
}

/* ---- sans-IO nodes over an in-memory network ---------------------------------------------- */

#define NODES 3
#define MAX_MSG 256
#define MAX_QUEUE 512

typedef struct {
    uint32_t to;
    size_t len;
    uint8_t bytes[MAX_MSG];
} message;

typedef struct {
    ringpax_paxos_node *node[NODES];
    uint8_t disk[NODES][MAX_MSG];
    size_t disk_len[NODES];
    message queue[MAX_QUEUE];
    size_t head, tail;
    size_t sent;
    int learned[NODES];
    uint64_t timer[NODES];
} network;

/* Carry out one step's output: persist first, then queue the messages. */
static void apply(network *net, uint32_t who, const ringpax_paxos_step *step) {
    if (step->persist) {
        CHECK_STATUS(ringpax_paxos_node_state(net->node[who], net->disk[who], MAX_MSG,
                                              &net->disk_len[who]),
                     RINGPAX_STATUS_OK);
    }
    for (size_t i = 0; i < step->messages; i++) {
        message *m = &net->queue[net->tail++ % MAX_QUEUE];
        CHECK_STATUS(ringpax_paxos_node_message(net->node[who], i, &m->to, m->bytes, MAX_MSG,
                                                &m->len),
                     RINGPAX_STATUS_OK);
        net->sent++;
    }
    if (step->has_timeout) {
        CHECK(step->timeout_min_ticks >= 1 && step->timeout_min_ticks <= step->timeout_max_ticks);
        net->timer[who] = step->timeout_token;
    }
    if (step->learned) net->learned[who] = 1;
}

static void deliver_all(network *net) {
    while (net->head != net->tail) {
        message *m = &net->queue[net->head++ % MAX_QUEUE];
        ringpax_paxos_step step;
        CHECK_STATUS(ringpax_paxos_node_receive(net->node[m->to], m->bytes, m->len, &step),
                     RINGPAX_STATUS_OK);
        apply(net, m->to, &step);
    }
}

static const uint32_t members[NODES] = {0, 1, 2};

static void new_network(network *net) {
    memset(net, 0, sizeof *net);
    for (uint32_t i = 0; i < NODES; i++) {
        CHECK_STATUS(ringpax_paxos_node_new(i, members, NODES, 0, NULL, 0, &net->node[i]),
                     RINGPAX_STATUS_OK);
    }
}

static void free_network(network *net) {
    for (int i = 0; i < NODES; i++) ringpax_paxos_node_free(net->node[i]);
}

static void check_learned(const ringpax_paxos_node *node, const char *want) {
    uint8_t buf[64];
    size_t len = 0;
    CHECK_STATUS(ringpax_paxos_node_learned(node, buf, sizeof buf, &len), RINGPAX_STATUS_OK);
    CHECK(len == strlen(want) && memcmp(buf, want, len) == 0);
}

static void test_node_decision(void) {
    network net;
    new_network(&net);
    ringpax_paxos_step step;
    CHECK_STATUS(ringpax_paxos_node_propose(net.node[0], B("value1"), &step), RINGPAX_STATUS_OK);
    CHECK(step.persist && step.messages == 2 && step.has_timeout && !step.learned);
    apply(&net, 0, &step);
    CHECK(net.queue[0].bytes[0] == RINGPAX_PAXOS_WIRE_VERSION);
    deliver_all(&net);
    CHECK(net.sent == 4 * (NODES - 1));
    CHECK(net.learned[0] && !net.learned[1] && !net.learned[2]);
    check_learned(net.node[0], "value1");
    uint8_t buf[64];
    size_t len = 0;
    CHECK_STATUS(ringpax_paxos_node_learned(net.node[1], buf, sizeof buf, &len),
                 RINGPAX_STATUS_NOT_DECIDED);
    for (int i = 0; i < NODES; i++) CHECK(net.disk_len[i] > 2);

    /* Node 2 crashes and restarts from its disk; proposing, it learns the decided value. */
    ringpax_paxos_node_free(net.node[2]);
    net.node[2] = NULL;
    CHECK_STATUS(ringpax_paxos_node_new(2, members, NODES, 0, net.disk[2], net.disk_len[2],
                                        &net.node[2]),
                 RINGPAX_STATUS_OK);
    uint8_t state[MAX_MSG];
    size_t state_len = 0;
    CHECK_STATUS(ringpax_paxos_node_state(net.node[2], state, sizeof state, &state_len),
                 RINGPAX_STATUS_OK);
    CHECK(state_len == net.disk_len[2] && memcmp(state, net.disk[2], state_len) == 0);
    CHECK_STATUS(ringpax_paxos_node_propose(net.node[2], B("value2"), &step), RINGPAX_STATUS_OK);
    apply(&net, 2, &step);
    deliver_all(&net);
    CHECK(net.learned[2]);
    check_learned(net.node[2], "value1");
    free_network(&net);
}

static void test_node_timeouts(void) {
    network net;
    new_network(&net);
    ringpax_paxos_step step;
    CHECK_STATUS(ringpax_paxos_node_propose(net.node[0], B("v"), &step), RINGPAX_STATUS_OK);
    apply(&net, 0, &step);
    net.head = net.tail; /* the network loses every Prepare */
    CHECK_STATUS(ringpax_paxos_node_timeout(net.node[0], net.timer[0] + 7, &step),
                 RINGPAX_STATUS_OK);
    CHECK(step.messages == 0 && !step.has_timeout); /* stale token: nothing */
    CHECK_STATUS(ringpax_paxos_node_timeout(net.node[0], net.timer[0], &step), RINGPAX_STATUS_OK);
    CHECK(step.messages == 2 && step.persist); /* a new, higher ballot */
    apply(&net, 0, &step);
    deliver_all(&net);
    check_learned(net.node[0], "v");
    CHECK_STATUS(ringpax_paxos_node_timeout(net.node[0], net.timer[0], NULL), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_node_timeout(NULL, 1, &step), RINGPAX_STATUS_NULL_ARGUMENT);
    free_network(&net);
}

static void test_node_errors(void) {
    ringpax_paxos_node *n = NULL;
    const uint32_t dup[] = {0, 1, 1};
    CHECK_STATUS(ringpax_paxos_node_new(0, NULL, 3, 0, NULL, 0, &n), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_node_new(0, members, 0, 0, NULL, 0, &n),
                 RINGPAX_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_node_new(0, dup, 3, 0, NULL, 0, &n), RINGPAX_STATUS_DUPLICATE_MEMBER);
    CHECK_STATUS(ringpax_paxos_node_new(5, members, 3, 0, NULL, 0, &n),
                 RINGPAX_STATUS_UNKNOWN_MEMBER);
    CHECK_STATUS(ringpax_paxos_node_new(0, members, 3, 1, NULL, 0, &n),
                 RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("quorum 1");
    CHECK_STATUS(ringpax_paxos_node_new(0, members, 3, 4, NULL, 0, &n),
                 RINGPAX_STATUS_INVALID_ARGUMENT);
    const uint8_t bad_state[] = {1, 16, 5};
    CHECK_STATUS(ringpax_paxos_node_new(0, members, 3, 0, bad_state, 3, &n),
                 RINGPAX_STATUS_MALFORMED_MESSAGE);
    CHECK_STATUS(ringpax_paxos_node_new(0, members, 3, 0, NULL, 4, &n),
                 RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_node_new(0, members, 3, 0, NULL, 0, NULL),
                 RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK(n == NULL);
    ringpax_paxos_node_free(NULL);

    /* A real Prepare from node 0 to node 1, then every way to break it. */
    ringpax_paxos_node *a = NULL, *b = NULL;
    CHECK_STATUS(ringpax_paxos_node_new(0, members, 3, 2, NULL, 0, &a), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_node_new(1, members, 3, 0, NULL, 0, &b), RINGPAX_STATUS_OK);
    ringpax_paxos_step step;
    CHECK_STATUS(ringpax_paxos_node_propose(a, B("v"), &step), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_node_propose(a, NULL, 2, &step), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_node_propose(NULL, B("v"), &step), RINGPAX_STATUS_NULL_ARGUMENT);
    uint8_t msg[MAX_MSG], to_node2[MAX_MSG];
    size_t len = 0, len2 = 0;
    uint32_t to = 99;
    CHECK_STATUS(ringpax_paxos_node_message(a, 0, &to, msg, sizeof msg, &len), RINGPAX_STATUS_OK);
    CHECK(to == 1 && len == 22);
    CHECK_STATUS(ringpax_paxos_node_message(a, 1, &to, to_node2, sizeof to_node2, &len2),
                 RINGPAX_STATUS_OK);
    CHECK(to == 2);
    uint8_t tiny[4];
    size_t need = 0;
    CHECK_STATUS(ringpax_paxos_node_message(a, 0, &to, tiny, sizeof tiny, &need),
                 RINGPAX_STATUS_BUFFER_TOO_SMALL);
    CHECK(need == 22);
    CHECK_STATUS(ringpax_paxos_node_message(a, 0, NULL, NULL, 0, &need), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_node_message(a, 2, &to, msg, sizeof msg, &len),
                 RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("out of range");
    CHECK_STATUS(ringpax_paxos_node_message(NULL, 0, &to, msg, sizeof msg, &len),
                 RINGPAX_STATUS_NULL_ARGUMENT);

    uint8_t before[MAX_MSG], after[MAX_MSG];
    size_t before_len = 0, after_len = 0;
    CHECK_STATUS(ringpax_paxos_node_state(b, before, sizeof before, &before_len),
                 RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_node_receive(b, msg, 0, &step), RINGPAX_STATUS_MALFORMED_MESSAGE);
    CHECK_STATUS(ringpax_paxos_node_receive(b, msg, len - 1, &step),
                 RINGPAX_STATUS_MALFORMED_MESSAGE);
    last_error_contains("malformed wire bytes");
    uint8_t longer[MAX_MSG + 1];
    memcpy(longer, msg, len);
    longer[len] = 0;
    CHECK_STATUS(ringpax_paxos_node_receive(b, longer, len + 1, &step),
                 RINGPAX_STATUS_MALFORMED_MESSAGE);
    uint8_t corrupt[MAX_MSG];
    memcpy(corrupt, msg, len);
    corrupt[0] = 2; /* unknown version */
    CHECK_STATUS(ringpax_paxos_node_receive(b, corrupt, len, &step),
                 RINGPAX_STATUS_MALFORMED_MESSAGE);
    memcpy(corrupt, msg, len);
    corrupt[1] = 42; /* unknown kind */
    CHECK_STATUS(ringpax_paxos_node_receive(b, corrupt, len, &step),
                 RINGPAX_STATUS_MALFORMED_MESSAGE);
    const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef};
    CHECK_STATUS(ringpax_paxos_node_receive(b, garbage, sizeof garbage, &step),
                 RINGPAX_STATUS_MALFORMED_MESSAGE);
    /* Every prefix and every single-byte corruption: an error or a valid step, never a crash. */
    for (size_t cut = 0; cut < len; cut++) {
        CHECK_STATUS(ringpax_paxos_node_receive(b, msg, cut, &step),
                     RINGPAX_STATUS_MALFORMED_MESSAGE);
    }
    for (size_t at = 0; at < len; at++) {
        for (int v = 0; v < 256; v += 51) {
            memcpy(corrupt, msg, len);
            corrupt[at] = (uint8_t)v;
            ringpax_status s = ringpax_paxos_node_receive(b, corrupt, len, NULL);
            CHECK(s == RINGPAX_STATUS_OK || s == RINGPAX_STATUS_MALFORMED_MESSAGE ||
                  s == RINGPAX_STATUS_MISADDRESSED || s == RINGPAX_STATUS_UNKNOWN_MEMBER);
        }
    }
    ringpax_paxos_node_free(b);
    CHECK_STATUS(ringpax_paxos_node_new(1, members, 3, 0, NULL, 0, &b), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_node_state(b, before, sizeof before, &before_len),
                 RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_node_receive(b, to_node2, len2, &step),
                 RINGPAX_STATUS_MISADDRESSED);
    memcpy(corrupt, msg, len);
    corrupt[2] = 9; /* from node 9, not a member */
    CHECK_STATUS(ringpax_paxos_node_receive(b, corrupt, len, &step),
                 RINGPAX_STATUS_UNKNOWN_MEMBER);
    CHECK_STATUS(ringpax_paxos_node_receive(b, NULL, 5, &step), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_node_receive(NULL, msg, len, &step), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_node_state(b, after, sizeof after, &after_len), RINGPAX_STATUS_OK);
    CHECK(after_len == before_len && memcmp(before, after, after_len) == 0); /* unchanged */
    CHECK_STATUS(ringpax_paxos_node_message(b, 0, &to, msg, sizeof msg, &len),
                 RINGPAX_STATUS_INVALID_ARGUMENT); /* a failed step has no messages */
    CHECK_STATUS(ringpax_paxos_node_state(b, tiny, 1, &need), RINGPAX_STATUS_BUFFER_TOO_SMALL);
    CHECK(need == before_len);
    CHECK_STATUS(ringpax_paxos_node_state(NULL, tiny, 1, &need), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_node_learned(NULL, tiny, 1, &need), RINGPAX_STATUS_NULL_ARGUMENT);

    /* The valid message still works afterwards. */
    CHECK_STATUS(ringpax_paxos_node_receive(b, msg, 22, &step), RINGPAX_STATUS_OK);
    CHECK(step.persist && step.messages == 1);
    ringpax_paxos_node_free(a);
    ringpax_paxos_node_free(b);
}

/* The wire format field by field: decode what a node sends, encode and decode back, and refuse
 * malformed bytes and unknown kinds. */
static void test_wire_messages(void) {
    uint32_t members[3] = {0, 1, 2};
    ringpax_paxos_node *node = NULL;
    CHECK_STATUS(ringpax_paxos_node_new(0, members, 3, 0, NULL, 0, &node), RINGPAX_STATUS_OK);
    ringpax_paxos_step step;
    CHECK_STATUS(ringpax_paxos_node_propose(node, (const uint8_t *)"v1", 2, &step), RINGPAX_STATUS_OK);
    CHECK(step.messages == 2);
    uint8_t wire[256];
    size_t len = 0;
    uint32_t to = 99;
    CHECK_STATUS(ringpax_paxos_node_message(node, 0, &to, wire, sizeof wire, &len), RINGPAX_STATUS_OK);
    ringpax_paxos_message m;
    memset(&m, 0, sizeof m);
    CHECK_STATUS(ringpax_paxos_message_decode(wire, len, &m), RINGPAX_STATUS_OK);
    CHECK(m.kind == RINGPAX_PAXOS_KIND_PREPARE && m.from == 0 && m.to == to);
    CHECK(m.ballot_round >= 1 && m.ballot_node == 0 && m.value == NULL && m.value_len == 0);

    /* Encode an Accept with a value, then decode it: every field survives, and the decoded
     * value points into the encoded bytes. */
    ringpax_paxos_message accept;
    memset(&accept, 0, sizeof accept);
    accept.kind = RINGPAX_PAXOS_KIND_ACCEPT;
    accept.from = 2;
    accept.to = 1;
    accept.ballot_round = 7;
    accept.ballot_node = 2;
    accept.value = (const uint8_t *)"hello";
    accept.value_len = 5;
    size_t need = 0;
    CHECK_STATUS(ringpax_paxos_message_encode(&accept, NULL, 0, &need), RINGPAX_STATUS_OK);
    CHECK(need > 5);
    uint8_t small[4];
    CHECK_STATUS(ringpax_paxos_message_encode(&accept, small, sizeof small, &len),
                 RINGPAX_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == need);
    CHECK_STATUS(ringpax_paxos_message_encode(&accept, wire, sizeof wire, &len), RINGPAX_STATUS_OK);
    CHECK(wire[0] == RINGPAX_PAXOS_WIRE_VERSION);
    ringpax_paxos_message back;
    CHECK_STATUS(ringpax_paxos_message_decode(wire, len, &back), RINGPAX_STATUS_OK);
    CHECK(back.kind == RINGPAX_PAXOS_KIND_ACCEPT && back.from == 2 && back.to == 1);
    CHECK(back.ballot_round == 7 && back.ballot_node == 2 && back.value_len == 5);
    CHECK(back.value >= wire && back.value + 5 == wire + len && memcmp(back.value, "hello", 5) == 0);

    /* A Promise that carries an accepted value, and a Nack. */
    ringpax_paxos_message promise = accept;
    promise.kind = RINGPAX_PAXOS_KIND_PROMISE;
    promise.has_accepted = true;
    promise.accepted_round = 3;
    promise.accepted_node = 1;
    CHECK_STATUS(ringpax_paxos_message_encode(&promise, wire, sizeof wire, &len), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_message_decode(wire, len, &back), RINGPAX_STATUS_OK);
    CHECK(back.kind == RINGPAX_PAXOS_KIND_PROMISE && back.has_accepted);
    CHECK(back.accepted_round == 3 && back.accepted_node == 1 && back.value_len == 5);
    ringpax_paxos_message nack = accept;
    nack.kind = RINGPAX_PAXOS_KIND_NACK;
    nack.promised_round = 9;
    nack.promised_node = 0;
    CHECK_STATUS(ringpax_paxos_message_encode(&nack, wire, sizeof wire, &len), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_message_decode(wire, len, &back), RINGPAX_STATUS_OK);
    CHECK(back.kind == RINGPAX_PAXOS_KIND_NACK && back.promised_round == 9 && back.value == NULL);
    /* A node accepts what we encoded by hand. */
    ringpax_paxos_message prepare = accept;
    prepare.kind = RINGPAX_PAXOS_KIND_PREPARE;
    prepare.to = 0;
    prepare.ballot_round = 100;
    prepare.ballot_node = 1;
    CHECK_STATUS(ringpax_paxos_message_encode(&prepare, wire, sizeof wire, &len), RINGPAX_STATUS_OK);
    CHECK_STATUS(ringpax_paxos_node_receive(node, wire, len, &step), RINGPAX_STATUS_OK);
    CHECK(step.messages == 1);

    /* Malformed bytes and bad arguments: a status, never a crash. */
    CHECK_STATUS(ringpax_paxos_message_decode(wire, len - 1, &back), RINGPAX_STATUS_MALFORMED_MESSAGE);
    uint8_t junk[3] = {9, 9, 9};
    CHECK_STATUS(ringpax_paxos_message_decode(junk, sizeof junk, &back), RINGPAX_STATUS_MALFORMED_MESSAGE);
    CHECK_STATUS(ringpax_paxos_message_decode(NULL, 0, &back), RINGPAX_STATUS_MALFORMED_MESSAGE);
    CHECK_STATUS(ringpax_paxos_message_decode(NULL, 4, &back), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_message_decode(wire, len, NULL), RINGPAX_STATUS_NULL_ARGUMENT);
    ringpax_paxos_message bad = accept;
    bad.kind = 42;
    CHECK_STATUS(ringpax_paxos_message_encode(&bad, wire, sizeof wire, &len), RINGPAX_STATUS_INVALID_ARGUMENT);
    last_error_contains("kind 42");
    bad = accept;
    bad.value = NULL;
    CHECK_STATUS(ringpax_paxos_message_encode(&bad, wire, sizeof wire, &len), RINGPAX_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(ringpax_paxos_message_encode(NULL, wire, sizeof wire, &len), RINGPAX_STATUS_NULL_ARGUMENT);
    ringpax_paxos_node_free(node);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    test_messages();
    test_sim_article_decision();
    test_sim_errors();
    test_sim_faults();
    test_sim_options_contend_trace();
    test_node_decision();
    test_node_timeouts();
    test_node_errors();
    test_wire_messages();
    printf("test_paxos: %d checks, %d failed\n", checks, failures);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
