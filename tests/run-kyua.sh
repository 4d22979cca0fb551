#!/bin/sh
# Run the test suite with kyua and end with one closing line
# "N passed, N failed, N skipped" computed from kyua's report: kyua's
# own summary counts skipped tests as passed.  Exit non-zero if any test
# failed or was broken.
#
# usage: run-kyua.sh SRCDIR/tests BUILDDIR/tests
set -u
src=$1
build=$2
kyua=${KYUA:-kyua}
db="$build/kyua-results.db"
report="$build/kyua-report.txt"

rm -f "$db" "$report"
"$kyua" test --kyuafile="$src/Kyuafile" --build-root="$build" \
    --results-file="$db" >/dev/null 2>&1
"$kyua" report --results-file="$db" \
    --results-filter=passed,skipped,xfail,broken,failed --verbose \
    >"$report" 2>&1

# Result lines look like "prog:case  ->  passed  [0.1s]".
count() {
	grep -E -- "->  $1( |:|\$)" "$report" | grep -c -v '^ ' || true
}
passed=$(count passed)
xfail=$(count 'expected_failure')
skipped=$(count skipped)
failed=$(count failed)
broken=$(count broken)

grep -E -- '->  (failed|broken)' "$report" | sed 's/^/FAILED: /'
if [ $((failed + broken)) -ne 0 ] || [ -n "${MF_TEST_VERBOSE:-}" ]; then
	# Show why, without drowning the closing line.
	"$kyua" report --results-file="$db" --verbose \
	    --results-filter=broken,failed 2>&1 | tail -n 200
fi
grep -E -- '->  skipped' "$report" | sed 's/^/SKIPPED: /'
echo "$((passed + xfail)) passed, $((failed + broken)) failed, $skipped skipped"
[ "$passed" -gt 0 ] && [ $((failed + broken)) -eq 0 ]
