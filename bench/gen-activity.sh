#!/bin/sh
# Synthetic activity for the tariff example regime: N rows (default 1M) to
# stdout, deterministic.  A stop-gap until `remit synth` exists (issue 5).
# Usage: bench/gen-activity.sh 3000000 > /tmp/act.csv
n=${1:-1000000}
awk -v n="$n" 'BEGIN {
	srand(42)
	split("RJZ RJ2 RX1 RK5 RYY", prov, " ")
	split("C01 C02 C03", comm, " ")
	split("EL:HN12F NE:HN12F EL:HN12A NE:HT12A DC:HN12F DC:SB97Z OPFA:WF01A OPFU:WF01A", act, " ")
	print "id,patient,provider,commissioner,pod,code,start,end,los,age,sex,diagnoses,procedures,flags"
	for (i = 1; i <= n; i++) {
		split(act[int(rand() * 8) + 1], pc, ":")
		pod = pc[1]; code = pc[2]
		d = int(rand() * 330)
		los = (pod == "EL" || pod == "NE") ? int(rand() * 15) : 0
		# days since 2024-04-01, as a date (30-day months are enough here)
		# dates within one month, so that los = end - start by construction
		m = int(d / 28); day = int(rand() * (28 - los)) + 1
		y = 2024; mm = m + 4; if (mm > 12) { mm -= 12; y = 2025 }
		e = day + los; em = mm; ey = y
		flags = rand() < 0.1 ? "SPEC_ORTH" : ""
		if (code == "HT12A" && rand() < 0.5) flags = flags "|BPT_HIP"
		printf "A%d,P%d,%s,%s,%s,%s,%04d-%02d-%02d,%04d-%02d-%02d,%d,%d,%s,M16.1,%s,%s\n",
			i, int(rand() * n / 3), prov[int(rand() * 5) + 1], comm[int(rand() * 3) + 1],
			pod, code, y, mm, day, ey, em, e, los, int(rand() * 90) + 1,
			rand() < 0.5 ? "F" : "M", code == "SB97Z" ? "X721" : "", flags
	}
}'
