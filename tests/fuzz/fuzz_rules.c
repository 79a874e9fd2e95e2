/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the rules table. The input is used twice. As a log line:
 * decoded, and when it is an application line its msg goes through the
 * shipped table (as ingest does); the raw bytes also go through as a msg
 * of their own, so PCRE2 sees text that is not UTF-8 too. As a rules
 * file (the --rules FILE format): loaded into an empty table, which must
 * refuse cleanly or add rules that then match, alone and cloned, alike.
 */
#include "fuzz.h"
#include "../../parser/decode.h"
#include "../../parser/rules.h"

#define MAX_LINE (1024 * 1024)

static struct vt_rules *defaults;
static struct vt_decoder *dec;

static void init(void)
{
	char err[256];

	dec = vt_decoder_new(MAX_LINE);
	defaults = vt_rules_new();
	FUZZ_CHECK(vt_rules_load_default(defaults, err, sizeof(err)) == VT_OK);
	FUZZ_CHECK(vt_rules_count(defaults) > 0);
}

/* Facts are distinct kinds, and their values readable. */
static size_t match(struct vt_rules *r, const struct vt_record *rec,
		    struct vt_fact *facts)
{
	size_t n = vt_rules_match(r, rec, facts, VT_FACT_COUNT);
	unsigned seen = 0;

	FUZZ_CHECK(n <= VT_FACT_COUNT);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(facts[i].kind < VT_FACT_COUNT);
		FUZZ_CHECK(!(seen & (1u << facts[i].kind)));
		seen |= 1u << facts[i].kind;
		fuzz_touch(facts[i].value);
	}
	return n;
}

static int same_facts(const struct vt_fact *a, const struct vt_fact *b,
		      size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].kind != b[i].kind ||
		    !fuzz_sv_same(a[i].value, b[i].value))
			return 0;
	return 1;
}

/* The input as a rules file. */
static void load_as_rules(const char *text, size_t size,
			  const struct vt_record *rec)
{
	struct vt_rules *r = vt_rules_new(), *c;
	struct vt_fact a[VT_FACT_COUNT], b[VT_FACT_COUNT];
	char err[256] = "";
	size_t na, nb;
	enum vt_err e = vt_rules_load(r, text, size, "fuzz", err, sizeof(err));

	if (e != VT_OK) {
		/* Refused: a reason, and none of the text's rules added. */
		FUZZ_CHECK(e == VT_ERR_FORMAT);
		FUZZ_CHECK(strncmp(err, "fuzz:", 5) == 0);
		FUZZ_CHECK(vt_rules_count(r) == 0);
		vt_rules_free(r);
		return;
	}
	c = vt_rules_clone(r);
	FUZZ_CHECK(vt_rules_count(c) == vt_rules_count(r));
	na = match(r, rec, a);
	nb = match(c, rec, b);
	FUZZ_CHECK(na == nb && same_facts(a, b, na));
	vt_rules_free(c);
	vt_rules_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct vt_fact facts[VT_FACT_COUNT], again[VT_FACT_COUNT];
	struct vt_record rec, raw;
	size_t n;

	if (size > MAX_LINE)
		return 0;
	if (!defaults)
		init();
	vt_decode_line(dec, line, size, &rec);
	if (rec.cls == VT_LINE_APP) {
		/* Matching twice gives the same facts (match scratch reused). */
		n = match(defaults, &rec, facts);
		FUZZ_CHECK(match(defaults, &rec, again) == n);
		FUZZ_CHECK(same_facts(facts, again, n));
	}
	/* The raw bytes as a message, with the decoded line's attributes. */
	raw = rec;
	raw.cls = VT_LINE_APP;
	raw.msg.ptr = line;
	raw.msg.len = size;
	match(defaults, &raw, facts);
	load_as_rules(line, size, &raw);
	return 0;
}
