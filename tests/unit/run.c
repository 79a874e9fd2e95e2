/* SPDX-License-Identifier: Apache-2.0 */
/* The unit test runner: every module's Check suite, in fork mode. */
#include <check.h>
#include <stdlib.h>

Suite *util_suite(void);
Suite *histogram_suite(void);
Suite *privacy_suite(void);
Suite *agg_suite(void);
Suite *merge_suite(void);
Suite *report_suite(void);
Suite *decode_suite(void);
Suite *framed_suite(void);
Suite *skim_suite(void);
Suite *lines_suite(void);
Suite *unwrap_suite(void);
Suite *rules_suite(void);
Suite *conformance_suite(void);
Suite *inputs_suite(void);
Suite *rotation_suite(void);
Suite *serialize_suite(void);
Suite *state_suite(void);
Suite *mode_suite(void);
Suite *yaml_suite(void);
Suite *views_suite(void);
Suite *html_suite(void);
Suite *esc_suite(void);
Suite *collector_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(util_suite());
	int failed;

	srunner_add_suite(sr, histogram_suite());
	srunner_add_suite(sr, privacy_suite());
	srunner_add_suite(sr, agg_suite());
	srunner_add_suite(sr, merge_suite());
	srunner_add_suite(sr, report_suite());
	srunner_add_suite(sr, decode_suite());
	srunner_add_suite(sr, framed_suite());
	srunner_add_suite(sr, skim_suite());
	srunner_add_suite(sr, lines_suite());
	srunner_add_suite(sr, unwrap_suite());
	srunner_add_suite(sr, rules_suite());
	srunner_add_suite(sr, conformance_suite());
	srunner_add_suite(sr, inputs_suite());
	srunner_add_suite(sr, rotation_suite());
	srunner_add_suite(sr, serialize_suite());
	srunner_add_suite(sr, state_suite());
	srunner_add_suite(sr, mode_suite());
	srunner_add_suite(sr, yaml_suite());
	srunner_add_suite(sr, views_suite());
	srunner_add_suite(sr, html_suite());
	srunner_add_suite(sr, esc_suite());
	srunner_add_suite(sr, collector_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
