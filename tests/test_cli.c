/*
 * test_cli.c — the `remit` command as a user runs it: exit codes, the
 * printed reconciliation, --json, --lines, --rejects, --unpriced, --strict,
 * explain, and help.  Runs the example regime of models/tariff/examples,
 * whose totals are worked by hand in the README.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EX "../models/tariff/examples/"
#define REGIME EX "pbr-2024-25.yaml"
#define ACTIVITY EX "activity.csv"

static char *out, *err;

static void cleanup(void)
{
	free(out);
	free(err);
	out = err = NULL;
}

TestSuite(cli, .fini = cleanup);

Test(cli, price_prints_totals_and_a_balanced_reconciliation)
{
	int rc = remit_test_run("price " REGIME " --activity " ACTIVITY " --quiet", &out, &err);
	cr_assert_eq(rc, 0, "stderr: %s", err);
	cr_assert(strstr(out, "RJZ        44470.24\n") != NULL, "%s", out);
	cr_assert(strstr(out, "C01        56482.39\n") != NULL, "%s", out);
	cr_assert(strstr(out, "C02        33401.93\n") != NULL, "%s", out);
	cr_assert(strstr(out, "  rows: 13 read = 10 priced + 0 covered + 2 unpriced + 1 rejected: "
			      "balanced\n") != NULL,
		  "%s", out);
	cr_assert(strstr(out, "  money: by payer 89884.32 = by payee 89884.32 = total 89884.32 "
			      "over 10 lines: balanced\n") != NULL,
		  "%s", out);
}

/* The regime's readmission rule reads the activity twice (a pre-pass by
 * patient, then pricing).  A pipe cannot be read again: its copy is, and
 * the totals are the file's.  So is a gzip stream's through a pipe, priced
 * on two threads (the second read, of the copy, in parts). */
Test(cli, a_pipe_read_twice_prices_as_the_file)
{
	const char *before[] = {"cat " ACTIVITY " |", "gzip -c " ACTIVITY " |"};
	for (int i = 0; i < 2; i++) {
		int rc = remit_test_run_piped(
			before[i], "price " REGIME " --activity /dev/stdin --quiet --threads 2", &out,
			&err);
		cr_assert_eq(rc, 0, "stderr: %s", err);
		cr_assert(strstr(out, "  rows: 13 read = 10 priced + 0 covered + 2 unpriced + 1 "
				      "rejected: balanced\n") != NULL,
			  "%s", out);
		cr_assert(strstr(out, "  money: by payer 89884.32 = by payee 89884.32 = total "
				      "89884.32 over 10 lines: balanced\n") != NULL,
			  "%s", out);
		cleanup();
	}
}

/* With no temporary file for its copy, a pipe cannot be read twice: an
 * error, not a second read of nothing. */
Test(cli, a_pipe_without_a_copy_cannot_be_read_twice)
{
	int rc = remit_test_run_piped("cat " ACTIVITY " | TMPDIR=/nonexistent",
				      "price " REGIME " --activity /dev/stdin --quiet", &out, &err);
	cr_assert_eq(rc, 4, "stderr: %s", err);
	cr_assert(strstr(err, "/dev/stdin: cannot read this input twice: it is a pipe or a device, "
			      "and no temporary copy of it could be made (No such file or "
			      "directory); TMPDIR names where that goes") != NULL,
		  "%s", err);
}

/* A copy that cannot be written (here: a file size limit of 2 KiB, and
 * SIGXFSZ ignored, so the write fails with EFBIG) stops the run with an
 * error that says where the copy goes. */
Test(cli, a_copy_that_cannot_be_written_is_an_error)
{
	char rows[200 * 64] = "", before[512];
	for (int i = 0; i < 200; i++)
		snprintf(rows + strlen(rows), 64, "a%d,P%d,RJZ,C01,EL,HN12A,2024-05-01,,\n", i, i);
	char *csv = remit_test_csv("id,patient,provider,commissioner,pod,code,start,end,los\n", rows);
	snprintf(before, sizeof before,
		 "cat %s | sh -c 'trap \"\" XFSZ; ulimit -f 4; exec \"$0\" \"$@\"'", csv);
	int rc = remit_test_run_piped(before, "price " REGIME " --activity /dev/stdin --quiet", &out,
				      &err);
	cr_assert_eq(rc, 4, "stderr: %s", err);
	cr_assert_str_eq(err, "/dev/stdin:1:0: cannot write the temporary copy of this stream "
			      "(File too large); TMPDIR names where it goes\n");
	unlink(csv);
	free(csv);
}

Test(cli, json_has_the_shape_of_the_spec)
{
	int rc = remit_test_run("price " REGIME " --activity " ACTIVITY " --json -", &out, &err);
	cr_assert_eq(rc, 0);
	const char *want =
		"{\"regime\": \"PbR 2024/25\", \"currency\": \"GBP\", \"scale\": 2,\n"
		" \"rows\": {\"read\": 13, \"priced\": 10, \"covered\": 0, \"unpriced\": 2, "
		"\"rejected\": 1},\n"
		" \"overlaps\": 0, \"population\": {\"read\": 0, \"rejected\": 0},\n"
		" \"total\": \"89884.32\",\n"
		" \"by_payee\": {\"RJ2\": \"12012.15\", \"RJZ\": \"44470.24\", \"RK5\": \"175.74\", "
		"\"RX1\": \"20888.19\", \"RYY\": \"12338.00\"},\n"
		" \"by_payer\": {\"C01\": \"56482.39\", \"C02\": \"33401.93\"},\n"
		" \"by_module\": {\"apc\": \"89708.58\", \"op\": \"175.74\"},\n"
		" \"by_kind\": {\"activity\": \"89884.32\"},\n"
		" \"lines\": 10, \"balanced\": true}\n";
	cr_assert_str_eq(out, want);
	/* the reconciliation stays visible when stdout carries data */
	cr_assert(strstr(err, "rows: 13 read = 10 priced + 0 covered + 2 unpriced + 1 rejected") !=
		  NULL);
}

Test(cli, lines_rejects_and_unpriced_files)
{
	char dir[] = "/tmp/remit-cli-XXXXXX";
	cr_assert(mkdtemp(dir));
	char args[1024];
	snprintf(args, sizeof args,
		 "price " REGIME " --activity " ACTIVITY
		 " --quiet --lines %s/l.csv --rejects %s/r.csv --unpriced %s/u.csv",
		 dir, dir, dir);
	cr_assert_eq(remit_test_run(args, &out, &err), 0);
	char path[512];
	snprintf(path, sizeof path, "%s/l.csv", dir);
	char *lines = remit_test_slurp(path);
	cr_assert(lines);
	cr_assert(!strncmp(lines, "regime,module,component,payer,payee,patient,activity,amount,basis\n",
			   66));
	cr_assert(strstr(lines, "PbR 2024/25,apc,activity,C01,RJZ,P004,T4,27195.90,HT12A NE 16447.00 "
				"+ 3×250.00 long stay; +25% top-ups; + 1335.00 bpt-hip; ×MFF 1.19117\n"));
	cr_assert(strstr(lines, "PbR 2024/25,apc,activity,C01,RJ2,P002,R1,0.00,"));
	int n = 0;
	for (char *p = lines; *p; p++)
		n += *p == '\n';
	cr_assert_eq(n, 11); /* header + 10 lines */
	free(lines);
	snprintf(path, sizeof path, "%s/r.csv", dir);
	char *rej = remit_test_slurp(path);
	cr_assert_str_eq(rej, "file,line,column,reason,raw\n"
			      "../models/tariff/examples/activity.csv,13,26,\"start: expected a date "
			      "YYYY-MM-DD, got \"\"2024-02-30\"\"\","
			      "\"X1,P011,RJZ,C01,EL,HN12F,2024-02-30,2024-03-02,,70,M,,,\"\n");
	free(rej);
	snprintf(path, sizeof path, "%s/u.csv", dir);
	char *unp = remit_test_slurp(path);
	cr_assert_str_eq(unp, "file,line,activity,reason\n"
			      "../models/tariff/examples/activity.csv,8,T7,no price for code HX99Z "
			      "pod NE\n"
			      "../models/tariff/examples/activity.csv,14,Z1,outside the period\n");
	free(unp);
	/* no temporary files left behind */
	char cmd[600];
	snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 3", dir);
	cr_assert_eq(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	system(cmd);
}

/* A field of the lines file that holds a comma, a quote or a line end is
 * quoted, its quotes doubled (RFC 4180); the others are written as they
 * are.  Here the regime's name and one row's id need it. */
Test(cli, lines_quote_the_fields_that_need_it)
{
	char *prices = remit_test_tmpfile(".csv", "code,pod,price\nAB1,EL,100.00\n");
	char *activity = remit_test_tmpfile(
		".csv", "id,patient,provider,commissioner,code,pod,start,end,los,age,sex\n"
			"\"A,1\",P1,R1,C1,AB1,EL,2024-05-01,2024-05-02,1,40,F\n"
			"A2,P2,R1,C1,AB1,EL,2024-05-03,2024-05-03,0,41,M\n");
	char yaml[512];
	snprintf(yaml, sizeof yaml,
		 "remit: 1\nregime: 'Q \"draft\", one'\ncurrency: GBP\n"
		 "rounding: {scale: 2, mode: half-up}\nmodules:\n"
		 "  - module: tariff\n    name: apc\n    covers: pod in [EL]\n"
		 "    prices: {file: %s}\n",
		 prices);
	char *regime = remit_test_tmpfile(".yaml", yaml);
	char *lines_path = remit_test_tmpfile(".csv", "");
	char args[1024];
	snprintf(args, sizeof args, "price %s --activity %s --quiet --lines %s", regime, activity,
		 lines_path);
	cr_assert_eq(remit_test_run(args, &out, &err), 0, "%s", err);
	char *lines = remit_test_slurp(lines_path);
	cr_assert_str_eq(lines, "regime,module,component,payer,payee,patient,activity,amount,basis\n"
				"\"Q \"\"draft\"\", one\",apc,activity,C1,R1,P1,\"A,1\",100.00,"
				"AB1 EL 100.00\n"
				"\"Q \"\"draft\"\", one\",apc,activity,C1,R1,P2,A2,100.00,AB1 EL 100.00\n");
	free(lines);
	char *files[] = {prices, activity, regime, lines_path};
	for (int i = 0; i < 4; i++) {
		unlink(files[i]);
		free(files[i]);
	}
}

Test(cli, strict_exits_1_when_rows_are_rejected_or_unpriced)
{
	cr_assert_eq(remit_test_run("price " REGIME " --activity " ACTIVITY " --quiet --strict", &out,
				    &err),
		     1);
}

Test(cli, usage_errors_exit_2)
{
	cr_assert_eq(remit_test_run("", &out, &err), 2);
	cleanup();
	cr_assert_eq(remit_test_run("frobnicate", &out, &err), 2);
	cr_assert(strstr(err, "unknown command 'frobnicate'"));
	cleanup();
	cr_assert_eq(remit_test_run("price " REGIME, &out, &err), 2);
	cr_assert_str_eq(err, "remit price: --activity FILE is required\n"
			      "Try 'remit price --help'.\n");
	cleanup();
	cr_assert_eq(remit_test_run("price " REGIME " --activity " ACTIVITY " --threads 0", &out, &err),
		     2);
	cr_assert(strstr(err, "--threads: expected a whole number from 1 to 1024, got '0'"));
	cleanup();
	cr_assert_eq(remit_test_run("price " REGIME " --activity " ACTIVITY " --bogus", &out, &err), 2);
	cr_assert(strstr(err, "unknown option '--bogus'"));
}

Test(cli, rule_file_errors_exit_3)
{
	char *bad = remit_test_tmpfile(".yaml", "remit: 1\nregime: x\nmodules:\n  - module: tarif\n"
						"    name: a\n");
	char args[512];
	snprintf(args, sizeof args, "price %s --activity " ACTIVITY, bad);
	cr_assert_eq(remit_test_run(args, &out, &err), 3);
	char want[512];
	snprintf(want, sizeof want,
		 "%s:4:13: modules[0].module: unknown module \"tarif\"; expected one of: tariff, bundle, year_of_care, capitation, block\n",
		 bad);
	cr_assert_str_eq(err, want);
	unlink(bad);
	free(bad);
}

Test(cli, data_file_errors_exit_4)
{
	cr_assert_eq(remit_test_run("price " REGIME " --activity /nonexistent.csv", &out, &err), 4);
	cr_assert(strstr(err, "/nonexistent.csv"));
	cleanup();
	char *nohdr = remit_test_tmpfile(".csv", "id,patient,provider,commissioner,pod,code\n");
	char args[512];
	snprintf(args, sizeof args, "price " REGIME " --activity %s", nohdr);
	cr_assert_eq(remit_test_run(args, &out, &err), 4);
	cr_assert(strstr(err, "missing required column 'start'"), "%s", err);
	unlink(nohdr);
	free(nohdr);
}

Test(cli, a_predicate_field_missing_from_the_file_is_a_rule_error)
{
	char *yaml = remit_test_tmpfile(
		".yaml", "remit: 1\nregime: x\nmodules:\n  - module: tariff\n    name: a\n"
			 "    covers: pod == EL and site == north\n"
			 "    prices: {columns: [code, pod, price], rows: [[A1, EL, 10]]}\n");
	char *with_site = remit_test_tmpfile(
		".csv", "id,patient,provider,commissioner,pod,code,start,site\n"
			"1,P,R,C,EL,A1,2024-05-01,north\n2,P,R,C,EL,A1,2024-05-01,south\n");
	char args[1024];
	snprintf(args, sizeof args, "price %s --activity " ACTIVITY, yaml);
	cr_assert_eq(remit_test_run(args, &out, &err), 3);
	/* the column points at `site` inside the expression: col 13 + 14 */
	char want[256];
	snprintf(want, sizeof want, "%s:6:27: unknown field 'site'", yaml);
	cr_assert(!strncmp(err, want, strlen(want)), "%s", err);
	cleanup();
	snprintf(args, sizeof args, "price %s --activity %s --json -", yaml, with_site);
	cr_assert_eq(remit_test_run(args, &out, &err), 0, "%s", err);
	cr_assert(strstr(out, "\"total\": \"10.00\""), "%s", out);
	cleanup();
	snprintf(args, sizeof args, "check %s", yaml);
	cr_assert_eq(remit_test_run(args, &out, &err), 3);
	cleanup();
	snprintf(args, sizeof args, "check %s --activity %s", yaml, with_site);
	cr_assert_eq(remit_test_run(args, &out, &err), 0, "%s", err);
	unlink(yaml);
	unlink(with_site);
	free(yaml);
	free(with_site);
}

Test(cli, explain_shows_every_step_of_t4)
{
	int rc = remit_test_run("explain " REGIME " --activity " ACTIVITY " --id T4", &out, &err);
	cr_assert_eq(rc, 0, "%s", err);
	const char *want =
		"T4 under regime \"PbR 2024/25\" (rounding: scale 2)\n"
		"module apc (tariff): claims the row\n"
		"  base price: code HT12A pod NE → 16447.00 (../models/tariff/examples/apc_prices.csv:5)\n"
		"  short stay: not applied (los 8 > max_los 1)\n"
		"  long stay: max(0, los 8 − trim 5) = 3 days × 250.00 = 750\n"
		"  top-up spec-orth (flags has SPEC_ORTH): 25%\n"
		"  top-ups: 17197 × 25% = 4299.25\n"
		"  uplift bpt-hip (flags has BPT_HIP): 1335.00\n"
		"  market forces: 22831.25 × 1.19117 = 27195.9000625\n"
		"  exact 27195.9000625 → 27195.90 (scale 2, half-up)\n"
		"line: activity C01 pays RJZ 27195.90 (HT12A NE 16447.00 + 3×250.00 long stay; +25% "
		"top-ups; + 1335.00 bpt-hip; ×MFF 1.19117)\n";
	cr_assert_str_eq(out, want);
}

Test(cli, explain_says_why_a_row_is_unpriced_and_unknown_ids_exit_2)
{
	cr_assert_eq(remit_test_run("explain " REGIME " --activity " ACTIVITY " --id T7", &out, &err),
		     0);
	cr_assert(strstr(out, "unpriced: no price for code HX99Z pod NE\n"), "%s", out);
	cleanup();
	cr_assert_eq(remit_test_run("explain " REGIME " --activity " ACTIVITY " --id NOPE", &out, &err),
		     2);
	cr_assert(strstr(err, "no valid row has id 'NOPE'"), "%s", err);
}

Test(cli, help_for_each_command)
{
	cr_assert_eq(remit_test_run("--help", &out, &err), 0);
	cr_assert(strstr(out, "Usage: remit COMMAND"));
	cleanup();
	cr_assert_eq(remit_test_run("price --help", &out, &err), 0);
	cr_assert(strstr(out, "Usage: remit price REGIME.yaml --activity FILE"));
	cleanup();
	cr_assert_eq(remit_test_run("check --help", &out, &err), 0);
	cr_assert(strstr(out, "Usage: remit check"));
	cleanup();
	cr_assert_eq(remit_test_run("explain --help", &out, &err), 0);
	cr_assert(strstr(out, "Usage: remit explain"));
}

Test(cli, check_reports_a_valid_regime)
{
	cr_assert_eq(remit_test_run("check " REGIME, &out, &err), 0);
	cr_assert_str_eq(out, REGIME ": ok (regime \"PbR 2024/25\")\n");
}
