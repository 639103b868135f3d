/*
 * What sealing costs one datagram, in nanoseconds, on this machine:
 * the receive path without a keyring (wire_decode of a heartbeat, and of
 * garbage), and with one (an envelope of a key not in the keyring; a
 * forged one, naming a key held, its tag wrong; an envelope that opens
 * and then decodes), and the send path
 * (encode, encode and seal). Each figure is the best of ROUNDS runs of
 * ITERATIONS, so a busy machine shows its quietest moment. Asserts
 * nothing: `make bench` prints it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../common/keyring.h"
#include "../../common/seal.h"
#include "../../common/wire.h"

#define ITERATIONS 200000
#define ROUNDS 5

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct keyring one, two, other;
static struct wire_msg hb;
static char body[512], env[512], garbage[512], wrong[512], plain[512];
static char foreign[512];
static size_t body_len, env_len;
static volatile int sink;

typedef void (*op_fn)(void);

static void op_decode(void)
{
	struct wire_msg m;
	sink += wire_decode(body, body_len, &m);
}

static void op_decode_garbage(void)
{
	struct wire_msg m;
	sink += wire_decode(garbage, body_len, &m);
}

static void open_with(const struct keyring *k, const char *in)
{
	struct seal_header h;
	size_t n;
	sink += seal_open(k, SEAL_DATAGRAM, in, env_len, &h, plain,
			  sizeof(plain), &n, NULL);
}

static void op_open_nokey(void) { open_with(&two, foreign); }
static void op_open_forged(void) { open_with(&two, wrong); }

static void op_open_decode(void)
{
	struct seal_header h;
	struct wire_msg m;
	size_t n;
	sink += seal_open(&one, SEAL_DATAGRAM, env, env_len, &h, plain,
			  sizeof(plain), &n, NULL);
	sink += wire_decode(plain, n, &m);
}

static void op_encode(void)
{
	size_t n;
	sink += wire_encode(&hb, plain, sizeof(plain), &n);
}

/* As the transport seals: a salt drawn once, the counter behind it. */
static void op_encode_seal(void)
{
	static const unsigned char salt[SEAL_SALT_BYTES] = { 1, 2, 3 };
	static uint64_t counter;
	struct seal_header h = { .channel = SEAL_DATAGRAM, .from = 2,
				  .to = 1, .incarnation = 1,
				  .counter = ++counter };
	char out[512];
	size_t n, e;
	sink += wire_encode(&hb, plain, sizeof(plain), &n);
	sink += seal_box(&one, &h, salt, plain, n, out, sizeof(out), &e);
}

static double best_ns(op_fn f)
{
	double best = 1e30;
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();
		for (int i = 0; i < ITERATIONS; i++)
			f();
		double ns = (now_ns() - t0) / ITERATIONS;
		if (ns < best)
			best = ns;
	}
	return best;
}

static void setup(unsigned suspects)
{
	struct seal_header h = { .channel = SEAL_DATAGRAM, .from = 2,
				  .to = 1, .incarnation = 1, .counter = 7 };
	memset(&hb, 0, sizeof(hb));
	hb.type = WIRE_HEARTBEAT;
	hb.from = 2;
	hb.incarnation = UINT64_C(1765000000000000);
	hb.view_id = 12;
	hb.ballot = 3;
	hb.leader = 1;
	for (unsigned i = 0; i < suspects; i++)
		peerset_add(&hb.suspects, 100 + i);
	wire_encode(&hb, body, sizeof(body), &body_len);
	seal_box(&one, &h, NULL, body, body_len, env, sizeof(env), &env_len);
	seal_box(&other, &h, NULL, body, body_len, foreign, sizeof(foreign),
		 &env_len);
	memcpy(wrong, env, env_len);
	wrong[env_len / 2] ^= 1;
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)(i * 131 + 7);
}

int main(void)
{
	if (seal_init() != 0)
		return 1;
	one.count = 1;
	two.count = 2;
	for (unsigned i = 0; i < KEYRING_KEY_BYTES; i++) {
		one.keys[0][i] = two.keys[0][i] = (unsigned char)(i + 1);
		two.keys[1][i] = (unsigned char)(i + 100);
		other.keys[0][i] = (unsigned char)(i + 200);
	}
	other.count = 1;
	keyring_ids(&one);
	keyring_ids(&two);
	keyring_ids(&other);
	printf("seal cost per datagram (ns, best of %d x %d)\n", ROUNDS,
	       ITERATIONS);
	printf("%-44s %12s %12s\n", "", "heartbeat", "128 suspects");
	unsigned sizes[2] = { 0, 128 };
	double v[7][2];
	size_t blen[2], elen[2];
	for (int s = 0; s < 2; s++) {
		setup(sizes[s]);
		blen[s] = body_len;
		elen[s] = env_len;
		v[0][s] = best_ns(op_decode);
		v[1][s] = best_ns(op_decode_garbage);
		v[2][s] = best_ns(op_open_nokey);
		v[3][s] = best_ns(op_open_forged);
		v[4][s] = best_ns(op_open_decode);
		v[5][s] = best_ns(op_encode);
		v[6][s] = best_ns(op_encode_seal);
	}
	printf("%-44s %7zu->%-4zu %7zu->%-4zu\n", "bytes: body -> envelope",
	       blen[0], elen[0], blen[1], elen[1]);
	const char *names[7] = {
		"unkeyed: decode a heartbeat",
		"unkeyed: decode garbage",
		"keyed: a wrong key's envelope (dropped)",
		"keyed: forged, a held key's id (dropped)",
		"keyed: open and decode a heartbeat",
		"send unkeyed: encode",
		"send keyed: encode and seal",
	};
	for (int i = 0; i < 7; i++)
		printf("%-44s %12.0f %12.0f\n", names[i], v[i][0], v[i][1]);
	printf("a heartbeat that fails to open costs %.2f (wrong key) and "
	       "%.2f (forged) of one that opens and parses\n",
	       v[2][0] / v[4][0], v[3][0] / v[4][0]);
	return sink == 42 ? 2 : 0;
}
